"""Fixtures for the end-to-end tests: the running server's base URL and the repository's sample data."""
import os
import pathlib
import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]


def server_url(variable: str) -> str:
    """The base URL of a server scripts/e2e.sh started, from its variable."""
    url = os.environ.get(variable)
    if not url:
        pytest.fail(f"{variable} is not set: run these tests through scripts/e2e.sh, which starts the server")
    return url.rstrip("/")


@pytest.fixture(scope="session")
def base_url() -> str:
    return server_url("VIVIDCROWD_URL")


@pytest.fixture(scope="session")
def qa_csv() -> pathlib.Path:
    return REPOSITORY / "corpora" / "seed" / "qa.csv"


@pytest.fixture(scope="session")
def chat_url() -> str:
    return server_url("VIVIDCROWD_CHAT_URL")


@pytest.fixture(scope="session")
def twins_url() -> str:
    return server_url("VIVIDCROWD_TWINS_URL")


@pytest.fixture(scope="session")
def training_url() -> str:
    return server_url("VIVIDCROWD_TRAINING_URL")


@pytest.fixture(scope="session")
def demo_url() -> str:
    return server_url("VIVIDCROWD_DEMO_URL")


@pytest.fixture(scope="session")
def twin_documents() -> pathlib.Path:
    return REPOSITORY / "corpora" / "twins"


@pytest.fixture(scope="session")
def guarded_address() -> tuple[str, int]:
    """Host and port of the server started with short connection limits (see scripts/e2e.sh)."""
    host, port = server_url("VIVIDCROWD_GUARDED_URL").removeprefix("http://").split(":")
    return host, int(port)


@pytest.fixture()
def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()
