"""The web reader in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``).

``newsarchive serve`` runs as a user runs it, in a subprocess on a free port, over an archive
filled through the storage API; Selenium drives the browser with explicit paths, so nothing is
ever downloaded. Screenshots go to test-artifacts/. Without the browser the test skips, unless
``ARCHIVE_TEST_REQUIRE_SERVICES=1`` (CI), where it fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storage.database import open_archive
from tests.conftest import PROJECT, skip_or_fail
from tests.test_web import EVIL_TITLE, FILLERS, fill_archive

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = PROJECT / "test-artifacts"
NEWSARCHIVE = Path(sys.executable).with_name("newsarchive")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``newsarchive serve --port 0`` over a filled archive; yields its base URL."""
    directory = tmp_path_factory.mktemp("browser")
    url, warc = f"sqlite:///{directory / 'archive.db'}", directory / "warc"
    archive = open_archive(url, warc_dir=warc)
    fill_archive(archive)
    archive.close()
    command = [str(NEWSARCHIVE), "serve", "--db", url, "--warc-dir", str(warc), "--port", "0"]
    log = directory / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"], stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 20
        while not (found := re.search(r"at (http://127\.0\.0\.1:\d+)/", log.read_text())):
            assert process.poll() is None, f"newsarchive serve exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, (
                f"newsarchive serve did not start:\n{log.read_text()}"
            )
            time.sleep(0.05)
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        skip_or_fail(
            f"the browser test needs Debian's chromium and chromium-driver ({', '.join(missing)} "
            "missing): apt-get install -y chromium chromium-driver"
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        skip_or_fail("the browser test needs selenium: pip install -e '.[dev]'")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a browser or driver
    profile = tempfile.TemporaryDirectory(prefix="newsarchive-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1280,1400", f"--user-data-dir={profile.name}",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
        profile.cleanup()


def wait_for(driver: Any, css: str, timeout: float = 10) -> list[Any]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: d.find_elements(By.CSS_SELECTOR, css))  # type: ignore[no-any-return]


def screenshot(driver: Any, name: str) -> Path:
    """A full-page screenshot into test-artifacts/."""
    driver.set_window_size(1280, 800)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 800), 4000))
    path = ARTIFACTS / name
    assert driver.save_screenshot(str(path)), f"no screenshot saved at {path}"
    return path


def test_search_open_an_article_and_see_the_charts(server: str, browser: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server + "/")
    browser.find_element(By.NAME, "q").send_keys("教育")
    browser.find_element(By.CSS_SELECTOR, "form.search button[type=submit]").click()
    results = wait_for(browser, "ol.results li.result")
    assert len(results) == 20
    assert browser.current_url.startswith(server + "/?q=%E6%95%99%E8%82%B2")
    marks = browser.find_elements(By.CSS_SELECTOR, "li.result .snippet mark")
    assert len(marks) >= 20 and {m.text for m in marks} == {"教育"}
    # A <script> in a scraped title (a title match ranks first) is shown as text; nothing ran.
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "li.result a.title")]
    assert titles[0] == EVIL_TITLE
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.accept()
    browser.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
    wait_for(browser, "a[rel=prev]")
    assert len(browser.find_elements(By.CSS_SELECTOR, "li.result")) == FILLERS + 3 - 20

    # The same search, newest first, from the filters.
    Select(browser.find_element(By.NAME, "sort")).select_by_value("newest")
    browser.find_element(By.CSS_SELECTOR, "form.search button[type=submit]").click()
    wait_for(browser, "select[name=sort] option[value=newest][selected]")
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "li.result a.title")]
    assert titles[:2] == ["槐荫：深耕优质均衡（转载）", "槐荫：深耕优质均衡"]
    screenshot(browser, "web-search.png")

    browser.find_element(By.LINK_TEXT, "槐荫：深耕优质均衡").click()
    title = wait_for(browser, "h1.article-title")[0]
    assert title.text == "槐荫：深耕优质均衡"
    assert "王贝艺" in browser.find_element(By.CSS_SELECTOR, "dd.authors").text
    assert browser.find_element(By.CSS_SELECTOR, "dd.published").text == "2026-01-30T09:30:00+08:00"
    assert browser.find_element(By.CSS_SELECTOR, "dd.source").text == "齐鲁晚报·齐鲁壹点"
    paragraphs = [p.text for p in browser.find_elements(By.CSS_SELECTOR, ".text p")]
    assert paragraphs[1] == "新增学位4.1万余个。"
    assert browser.find_element(By.CSS_SELECTOR, ".diff del").text == "3.6"
    assert browser.find_element(By.CSS_SELECTOR, ".diff ins").text == "4.1"
    assert "槐荫：深耕优质均衡（转载）" in browser.find_element(By.ID, "copies").text
    screenshot(browser, "web-article.png")

    browser.find_element(By.LINK_TEXT, "Sites").click()
    wait_for(browser, "#charts[data-drawn='5']")
    bars = browser.execute_script(
        "return Array.from(document.querySelectorAll('#charts rect.bar'))"
        ".filter(r => r.getBBox().height > 0 && r.getBBox().width > 0).length"
    )
    assert bars >= FILLERS  # a bar for every day with articles
    lines = browser.find_elements(By.CSS_SELECTOR, "#charts path.line")
    assert {line.get_attribute("data-site") for line in lines} >= {"qilu", "netease", "county-news"}
    legend = browser.find_element(By.CSS_SELECTOR, "ul.legend").text
    assert "qilu" in legend and "county-news" in legend
    # No console errors: the page and its script ran cleanly under the content security policy.
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    path = screenshot(browser, "web-sites.png")
    assert path.stat().st_size > 10_000
