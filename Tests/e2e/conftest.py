"""Fixtures for the end-to-end tests: the running server's base URL and the repository's sample data."""
import os
import pathlib

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def base_url() -> str:
    url = os.environ.get("VIVIDCROWD_URL")
    if not url:
        pytest.fail("VIVIDCROWD_URL is not set: run these tests through scripts/e2e.sh, which starts the server")
    return url.rstrip("/")


@pytest.fixture(scope="session")
def qa_csv() -> pathlib.Path:
    return REPOSITORY / "corpora" / "seed" / "qa.csv"


@pytest.fixture(scope="session")
def chat_url() -> str:
    url = os.environ.get("VIVIDCROWD_CHAT_URL")
    if not url:
        pytest.fail("VIVIDCROWD_CHAT_URL is not set: run these tests through scripts/e2e.sh, which starts the server")
    return url.rstrip("/")


@pytest.fixture(scope="session")
def twins_url() -> str:
    url = os.environ.get("VIVIDCROWD_TWINS_URL")
    if not url:
        pytest.fail("VIVIDCROWD_TWINS_URL is not set: run these tests through scripts/e2e.sh, which starts the server")
    return url.rstrip("/")


@pytest.fixture(scope="session")
def training_url() -> str:
    url = os.environ.get("VIVIDCROWD_TRAINING_URL")
    if not url:
        pytest.fail("VIVIDCROWD_TRAINING_URL is not set: run these tests through scripts/e2e.sh, which starts the server")
    return url.rstrip("/")


@pytest.fixture(scope="session")
def twin_documents() -> pathlib.Path:
    return REPOSITORY / "corpora" / "twins"


@pytest.fixture(scope="session")
def guarded_address() -> tuple[str, int]:
    """Host and port of the server started with short connection limits (see scripts/e2e.sh)."""
    url = os.environ.get("VIVIDCROWD_GUARDED_URL")
    if not url:
        pytest.fail("VIVIDCROWD_GUARDED_URL is not set: run these tests through scripts/e2e.sh, which starts the server")
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    return host, int(port)
