"""End to end in headless Chromium: open a proposal, accept it with a comment, check the audit
log; a request without the token is refused. The screenshot of the proposal page is saved in
the test's tmp dir and copied to out/screenshots/review-proposal.png for a person to look at.

Needs Debian's ``chromium`` and ``chromium-driver`` (``scripts/install-browser.sh``) and
``selenium``; skips only when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from review_support import review_run

from radprompt.optimizers import Run

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
TOKEN = "browser-token-0123456789"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "out" / "screenshots"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless browser test needs /usr/bin/chromium (run scripts/install-browser.sh)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Run]]:
    uvicorn = pytest.importorskip("uvicorn")
    from radprompt.review.app import create_app

    run = review_run(tmp_path_factory)
    port = _free_port()
    config = uvicorn.Config(create_app(run.path, token=TOKEN), host="127.0.0.1", port=port,
                            log_level="warning")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not web.started:
        assert time.monotonic() < deadline, "the review server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", run
    web.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    if not CHROMEDRIVER.exists():
        pytest.fail("/usr/bin/chromium is installed but /usr/bin/chromedriver is not: "
                    "apt-get install chromium-driver (scripts/install-browser.sh)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=1400,1800",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_request_without_token_is_refused(server: tuple[str, Run]) -> None:
    base, _ = server
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/proposals/round-01", timeout=10)
    assert refused.value.code == 401


def test_accept_a_proposal_in_the_browser(server: tuple[str, Run], browser: object,
                                          tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    base, run = server
    driver = browser
    driver.get(f"{base}/?token={TOKEN}")  # type: ignore[attr-defined]
    wait = WebDriverWait(driver, 15)
    wait.until(expected_conditions.element_to_be_clickable((By.LINK_TEXT, "round-01"))).click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "diff")))
    page = driver.page_source  # type: ignore[attr-defined]
    assert "Per-label F1 on dev" in page and "<mark>" in page
    height = driver.execute_script(  # type: ignore[attr-defined]
        "return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(int(height) + 120, 6000))  # type: ignore[attr-defined]
    shot = tmp_path / "review-proposal.png"
    assert driver.save_screenshot(str(shot))  # type: ignore[attr-defined]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SCREENSHOTS / "review-proposal.png")

    driver.find_element(By.ID, "reviewer").send_keys("Dr. Browser")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "comment").send_keys(  # type: ignore[attr-defined]
        "Negation cues for pneumothorax look right.")
    driver.find_element(By.ID, "accept").click()  # type: ignore[attr-defined]
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "status"), "accepted"))
    assert "Dr. Browser" in driver.find_element(By.ID, "decision").text  # type: ignore[attr-defined]
    title = driver.find_element(By.ID, "title-status").text  # type: ignore[attr-defined]
    assert title == "accepted"
    driver.save_screenshot(str(tmp_path / "review-accepted.png"))  # type: ignore[attr-defined]
    shutil.copyfile(tmp_path / "review-accepted.png", SCREENSHOTS / "review-accepted.png")

    record = json.loads((run.path / "audit.jsonl").read_text().splitlines()[-1])
    assert record["proposal_id"] == "round-01" and record["decision"] == "accepted"
    assert record["reviewer"] == "Dr. Browser"
    assert record["comment"] == "Negation cues for pneumothorax look right."
