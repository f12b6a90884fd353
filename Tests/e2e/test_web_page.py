"""Drives the web page in headless Chromium: customer service (upload, every kind of reply, rate, stats), group chat,
digital twins (refused and accepted uploads, a private answer with clickable sources, an in-character refusal), and
sales training (a customer and a material uploaded, the five stages sold through with evaluations and copilot
suggestions, the report with its radar, a spoken reply played, and a line spoken into Chromium's fake microphone and
transcribed)."""
import os
import pathlib
import shutil
import time

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as conditions
from selenium.webdriver.support.ui import Select, WebDriverWait


def send(driver, text):
    box = driver.find_element(By.ID, "cs-input")
    box.send_keys(text)
    driver.find_element(By.ID, "cs-send").click()


def test_customer_service_page(browser, base_url, qa_csv):
    wait = WebDriverWait(browser, 30)
    browser.get(base_url + "/")
    wait.until(lambda d: len(d.find_element(By.ID, "cs-session").text) == 36)

    browser.find_element(By.ID, "csv-file").send_keys(str(qa_csv))
    browser.find_element(By.ID, "csv-upload").click()
    wait.until(lambda d: "qa.csv" in d.find_element(By.ID, "upload-result").text)
    wait.until(lambda d: d.find_element(By.ID, "kb-count").text == "499")
    # The knowledge-base check lists qa.csv's near-duplicate topics under the answer.
    duplicates = browser.find_elements(By.CSS_SELECTOR, '#upload-warnings li[data-kind="near_duplicate_topics"]')
    assert any("PS128益生菌服用指导" in item.text for item in duplicates)

    send(browser, "老师，张善庭一天可以吃几个水果西红柿呀？他挺喜欢吃的。")
    high = wait.until(conditions.presence_of_element_located((By.CSS_SELECTOR, '.msg.assistant[data-band="high_confidence"]')))
    assert "西红柿由于含有的水杨酸较高" in high.text
    assert "high" in high.find_element(By.CSS_SELECTOR, ".badge").text

    send(browser, "检测报告多久出来")
    mid = wait.until(conditions.presence_of_element_located((By.CSS_SELECTOR, '.msg.assistant[data-band="mid_confidence"]')))
    assert "rewritten by the LLM" in mid.text
    assert len(mid.text) > 40

    send(browser, "我要转人工")
    notice = wait.until(conditions.visibility_of_element_located((By.ID, "cs-handoff")))
    assert "Handed to a human" in notice.text

    browser.find_element(By.CSS_SELECTOR, '#cs-rating button[data-rating="5"]').click()
    wait.until(lambda d: d.find_element(By.ID, "cs-rating-result").text == "rated 5/5")
    wait.until(lambda d: int(d.find_element(By.ID, "stat-messages").text) >= 3)
    assert int(browser.find_element(By.CSS_SELECTOR, '#stat-bands [data-band="high_confidence"]').text) >= 1

    screenshot = os.environ.get("VIVIDCROWD_SCREENSHOT")
    if screenshot:
        pathlib.Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(screenshot)


def test_group_chat_page(browser, chat_url):
    wait = WebDriverWait(browser, 30)
    browser.get(chat_url + "/#group-chat")
    wait.until(lambda d: d.find_element(By.ID, "gc-status").text == "online")
    agent = wait.until(conditions.element_to_be_clickable((By.CSS_SELECTOR, '#gc-agents li[data-agent="xiaolin"]')))
    agent.click()
    assert browser.find_element(By.ID, "gc-input").get_attribute("value").startswith("@小林 ")
    browser.find_element(By.ID, "gc-input").send_keys("最近喝什么茶好？")
    browser.find_element(By.ID, "gc-send").click()
    reply = wait.until(conditions.presence_of_element_located((By.CSS_SELECTOR, '#gc-messages .msg.assistant[data-sender="小林"]')))
    assert len(reply.text) > len("小林")
    wait.until(lambda d: "mention" in d.find_element(By.ID, "gc-route").text)
    assert browser.find_element(By.ID, "gc-typing").text == ""

    screenshot = os.environ.get("VIVIDCROWD_CHAT_SCREENSHOT")
    if screenshot:
        browser.save_screenshot(screenshot)


def test_twins_page(browser, twins_url, twin_documents):
    wait = WebDriverWait(browser, 60)
    browser.get(twins_url + "/#twins")
    wait.until(lambda d: d.find_element(By.ID, "tw-status").text == "online")

    # A scanned PDF is refused with its reason, and no twin appears.
    before = len(browser.find_elements(By.CSS_SELECTOR, "#tw-list li"))
    scanned = twin_documents.parents[1] / "Tests" / "VividCrowdDocumentsTests" / "Fixtures" / "scanned.pdf"
    browser.find_element(By.ID, "tw-file").send_keys(str(scanned))
    browser.find_element(By.ID, "tw-upload").click()
    wait.until(lambda d: "rejected" in d.find_element(By.ID, "tw-upload-result").text)
    assert "no text" in browser.find_element(By.ID, "tw-upload-result").text.lower()
    assert len(browser.find_elements(By.CSS_SELECTOR, "#tw-list li")) == before

    browser.find_element(By.ID, "tw-file").send_keys(str(twin_documents / "aspirin.pdf"))
    Select(browser.find_element(By.ID, "tw-source-type")).select_by_value("topic")
    browser.find_element(By.ID, "tw-name").send_keys("阿司匹林")
    browser.find_element(By.ID, "tw-upload").click()
    wait.until(lambda d: "made 阿司匹林" in d.find_element(By.ID, "tw-upload-result").text)
    wait.until(conditions.presence_of_element_located((By.CSS_SELECTOR, "#tw-list li input:checked")))
    assert "Private chat with 阿司匹林" in browser.find_element(By.ID, "tw-heading").text
    assert "passages" in browser.find_element(By.ID, "tw-profile").text

    browser.find_element(By.ID, "tw-input").send_keys("阿司匹林是怎样合成的？")
    browser.find_element(By.ID, "tw-send").click()
    reply = wait.until(conditions.presence_of_element_located(
        (By.CSS_SELECTOR, '#tw-messages .msg.assistant[data-sender="阿司匹林"] .citations')))
    chip = reply.find_element(By.CSS_SELECTOR, ".cite")
    chip.click()
    citation = wait.until(conditions.visibility_of_element_located((By.ID, "tw-citation")))
    assert "page" in citation.text and len(citation.find_element(By.TAG_NAME, "blockquote").text) > 5

    browser.find_element(By.ID, "tw-input").send_keys("太阳系里有几颗行星？")
    browser.find_element(By.ID, "tw-send").click()
    refused = wait.until(conditions.presence_of_element_located((By.CSS_SELECTOR, '#tw-messages .msg.refused')))
    assert "没有" in refused.text
    assert refused.find_elements(By.CSS_SELECTOR, ".cite") == []

    # The talking-head panel (shown: the offline provider has ffmpeg) uploads a portrait and makes the twin's last
    # reply into a video on this server; the browser loads it and knows its length.
    panel = wait.until(conditions.visibility_of_element_located((By.ID, "tw-video-panel")))
    assert "ffmpeg" in panel.text
    portrait = pathlib.Path(__file__).resolve().parents[1] / "Fixtures" / "video" / "portrait.png"
    browser.find_element(By.ID, "tw-video-file").send_keys(str(portrait))
    browser.find_element(By.ID, "tw-video-make").click()
    wait.until(lambda d: "made by offline" in d.find_element(By.ID, "tw-video-status").text
               or "failed" in d.find_element(By.ID, "tw-video-status").text)
    assert "made by offline" in browser.find_element(By.ID, "tw-video-status").text, browser.find_element(By.ID, "tw-video-status").text
    wait.until(lambda d: (d.execute_script("return document.getElementById('tw-video').duration") or 0) > 0.5)
    assert browser.find_element(By.ID, "tw-video").is_displayed()

    screenshot = os.environ.get("VIVIDCROWD_TWINS_SCREENSHOT")
    if screenshot:
        pathlib.Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(screenshot)


SPOKEN_LINE = "what is the price of the product"


@pytest.fixture()
def voice_browser():
    """Chromium whose fake microphone plays SPOKEN_LINE (espeak-ng's, recorded once: it varies from call to call)
    on a loop."""
    microphone = pathlib.Path(__file__).resolve().parents[1] / "Fixtures" / "speech" / "price-of-the-product.wav"
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                     f"--use-file-for-fake-audio-capture={microphone}", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


def test_training_page(voice_browser, training_url):
    browser = voice_browser
    wait = WebDriverWait(browser, 90)
    browser.get(training_url + "/#training")
    repository = pathlib.Path(__file__).resolve().parents[2]

    # A material that is not a workbook is refused; the real one is listed with its units.
    broken = repository / "Tests" / "VividCrowdDocumentsTests" / "Fixtures" / "truncated.pdf"
    browser.find_element(By.ID, "tr-material-file").send_keys(str(broken))
    browser.find_element(By.ID, "tr-material-upload").click()
    wait.until(lambda d: "rejected" in d.find_element(By.ID, "tr-material-result").text)
    assert browser.find_elements(By.CSS_SELECTOR, "#tr-materials li") == []
    browser.find_element(By.ID, "tr-material-file").send_keys(str(repository / "corpora" / "sales" / "materials" / "电话邀约SOP&话术.xlsx"))
    browser.find_element(By.ID, "tr-material-upload").click()
    wait.until(lambda d: "units" in d.find_element(By.ID, "tr-materials").text)

    browser.find_element(By.ID, "tr-customer-file").send_keys(str(repository / "corpora" / "sales" / "customers" / "王建国-制造业-生产总监.md"))
    browser.find_element(By.ID, "tr-customer-upload").click()
    wait.until(lambda d: "made customer" in d.find_element(By.ID, "tr-customer-result").text)
    Select(browser.find_element(By.ID, "tr-difficulty")).select_by_value("hard")
    browser.find_element(By.ID, "tr-start").click()
    wait.until(lambda d: d.find_element(By.ID, "tr-status").text == "online")
    assert "current" in browser.find_element(By.CSS_SELECTOR, '#tr-stages li[data-stage="1"]').get_attribute("class")

    lines = [
        "王总您好，我是云图科技的小王，想先听听您这边生产线最近的情况。",
        "您现在设备停机一次大概影响多少产量？预算上有什么考虑？",
        "我们的预测性维护能提前发现故障，同类工厂平均减少了三成停机。",
        "您担心数据安全的话，我们支持本地部署，数据不出厂。",
        "那我们下周二来厂里做一次现场演示，您看可以吗？",
    ]
    for index, line in enumerate(lines):
        # The first reply is asked for spoken; the others are not.
        voice = browser.find_element(By.ID, "tr-voice")
        if voice.is_selected() != (index == 0):
            voice.click()
        browser.find_element(By.ID, "tr-input").send_keys(line)
        browser.find_element(By.ID, "tr-send").click()
        # Every message gets its evaluation (or says it is unavailable) and the customer's reply.
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#tr-messages .msg.user .evaluation")) == index + 1)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#tr-messages .msg.customer:not(.streaming)")) >= index + 1)
        if index < len(lines) - 1:
            wait.until(lambda d: "done" in d.find_element(By.CSS_SELECTOR, f'#tr-stages li[data-stage="{index + 1}"]').get_attribute("class")
                       or "skipped" in d.find_element(By.CSS_SELECTOR, f'#tr-stages li[data-stage="{index + 1}"]').get_attribute("class"))
            wait.until(lambda d: "For " in d.find_element(By.ID, "tr-copilot").text)
    report = wait.until(conditions.visibility_of_element_located((By.ID, "tr-report")))
    assert "/ 25" in report.text and "outcome" in report.text
    radar = report.find_element(By.TAG_NAME, "img")
    wait.until(lambda d: d.execute_script("return arguments[0].naturalWidth > 0", radar))

    # The spoken reply carries its audio, which the page played; the unspoken ones get a play button that asks for it.
    replies = browser.find_elements(By.CSS_SELECTOR, "#tr-messages .msg.customer")
    audio_url = replies[0].get_attribute("data-audio-url")
    assert audio_url and audio_url.startswith("/api/media/") and replies[0].find_elements(By.CSS_SELECTOR, ".play")
    served = requests.get(training_url + audio_url, timeout=30)
    assert served.status_code == 200 and served.headers["Content-Type"] == "audio/wav" and len(served.content) > 10_000
    assert not replies[1].get_attribute("data-audio-url")
    replies[1].find_element(By.CSS_SELECTOR, ".play").click()
    wait.until(lambda d: (replies[1].get_attribute("data-audio-url") or "").startswith("/api/media/"))

    # A line spoken into the microphone is transcribed into a message (the finished session then declines it).
    browser.find_element(By.ID, "tr-mic").click()
    wait.until(lambda d: "listening" in d.find_element(By.ID, "tr-voice-status").text)
    time.sleep(3)  # the fake microphone plays in real time: three seconds hold the line once
    browser.find_element(By.ID, "tr-mic").click()
    wait.until(lambda d: "heard" in d.find_element(By.ID, "tr-voice-status").text)
    heard = browser.find_elements(By.CSS_SELECTOR, "#tr-messages .msg.user")[-1].text.lower()
    assert len(set(SPOKEN_LINE.split()) & set(heard.split())) >= 3, heard
    wait.until(lambda d: "finished" in d.find_elements(By.CSS_SELECTOR, "#tr-messages .msg")[-1].text)

    screenshot = os.environ.get("VIVIDCROWD_TRAINING_SCREENSHOT")
    if screenshot:
        pathlib.Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(screenshot)
