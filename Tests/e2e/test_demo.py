"""The offline demo as a newcomer meets it: the server started as `make run` starts it (no key, no LLM_MODE, an empty
.env), then every view in headless Chromium: the banner, the recorded questions, one answer per mode, and the friendly
answer to a question the recording does not hold."""
import json
import os

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as conditions
from selenium.webdriver.support.ui import WebDriverWait

from demo_driver import drive, REPOSITORY


def first_try(browser, prefix):
    """Clicks the first recorded question under a view's composer and returns its text."""
    chip = WebDriverWait(browser, 30).until(
        conditions.element_to_be_clickable((By.CSS_SELECTOR, f"#{prefix}-tries .try")))
    chip.click()
    text = browser.find_element(By.ID, f"{prefix}-input").get_attribute("value")
    assert text == chip.text and text
    return text


def test_every_recorded_message_replays(demo_url):
    manifest = json.loads((REPOSITORY / "corpora" / "demo" / "manifest.json").read_text(encoding="utf-8"))
    described = requests.get(demo_url + "/api/demo", timeout=30).json()
    assert described["demo"] is True and described["questions"] == manifest["questions"]
    assert requests.get(demo_url + "/health", timeout=30).json()["llm_mode"] == "replay"
    failed = [(mode, message, ending) for mode, message, ending, _ in drive(demo_url, manifest) if ending.get("type") == "error"]
    assert failed == []


def test_demo_page(browser, demo_url):
    wait = WebDriverWait(browser, 60)
    browser.get(demo_url + "/")
    banner = wait.until(conditions.visibility_of_element_located((By.ID, "demo-banner")))
    assert "Offline demo" in banner.text and "DASHSCOPE_API_KEY" in banner.text

    # Customer service: a recorded question is answered with its band; an unrecorded one gets questions to try.
    first_try(browser, "cs")
    browser.find_element(By.ID, "cs-send").click()
    wait.until(conditions.presence_of_element_located((By.CSS_SELECTOR, "#cs-messages .msg.assistant[data-band]")))
    browser.find_element(By.ID, "cs-input").send_keys("火星上的分店几点开门？这句话没有录过。")
    browser.find_element(By.ID, "cs-send").click()
    note = wait.until(conditions.presence_of_element_located((By.CSS_SELECTOR, "#cs-messages .msg.demo-note")))
    assert "Try one of these" in note.text and "/" not in note.text and "cassette" not in note.text
    assert browser.find_elements(By.CSS_SELECTOR, "#cs-messages .msg.error") == []

    # Group chat: the recorded @mention is answered by that member.
    browser.get(demo_url + "/#group-chat")
    assert browser.find_element(By.ID, "demo-banner").is_displayed()
    wait.until(lambda d: d.find_element(By.ID, "gc-status").text == "online")
    question = first_try(browser, "gc")
    browser.find_element(By.ID, "gc-send").click()
    member = question.split()[0].lstrip("@")
    reply = wait.until(conditions.presence_of_element_located(
        (By.CSS_SELECTOR, f'#gc-messages .msg.assistant[data-sender="{member}"]')))
    assert len(reply.text) > len(member)

    # Twins: the first shipped twin answers its recorded question.
    browser.get(demo_url + "/#twins")
    wait.until(lambda d: d.find_element(By.ID, "tw-status").text == "online")
    box = wait.until(conditions.element_to_be_clickable((By.CSS_SELECTOR, "#tw-list li input")))
    box.click()
    name = browser.find_element(By.CSS_SELECTOR, "#tw-list li label").text.split()[0]
    first_try(browser, "tw")
    browser.find_element(By.ID, "tw-send").click()
    wait.until(conditions.presence_of_element_located(
        (By.CSS_SELECTOR, f'#tw-messages .msg.assistant[data-sender="{name}"]:not(.streaming)')))

    # Sales training: a session with the first customer; the first recorded line is evaluated and answered.
    browser.get(demo_url + "/#training")
    wait.until(lambda d: d.find_element(By.ID, "tr-customer").get_attribute("value"))
    browser.find_element(By.ID, "tr-start").click()
    wait.until(lambda d: d.find_element(By.ID, "tr-status").text == "online")
    first_try(browser, "tr")
    browser.find_element(By.ID, "tr-send").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#tr-messages .msg.user .evaluation")) == 1)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#tr-messages .msg.customer:not(.streaming)")) >= 1)
    assert browser.find_elements(By.CSS_SELECTOR, ".msg.error") == []

    screenshot = os.environ.get("VIVIDCROWD_DEMO_SCREENSHOT")
    if screenshot:
        browser.save_screenshot(screenshot)
