"""The HTML briefing in a real headless browser (issue 18): Debian's chromium driven
by Selenium. The page must load with no console error, hold every chart as inline
SVG, need no network (no external src or href), and a screenshot is kept as the
test's artifact (tests/artifacts/briefing.png, ignored by git).

The browser is installed by .ci/run (apt-get install chromium chromium-driver); the
test is skipped, with its reason, only where neither is installed and CI is not set.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from advisor.cli import main

TINY = Path(__file__).resolve().parent.parent / "instances" / "tiny"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _driver():  # selenium WebDriver (untyped)
    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        reason = "no chromium/chromedriver: apt-get install chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the browser: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,2400"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(chromedriver), options=options)


def test_briefing_loads_in_a_browser_with_every_chart(tmp_path: Path) -> None:
    page = tmp_path / "briefing.html"
    assert main(["rank", str(TINY), "--format", "html", "-o", str(page), "-q"]) == 0
    html = page.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from a network
    driver = _driver()
    try:
        driver.get(page.as_uri())
        assert driver.title == "Tiny hand-solvable negotiation"
        charts = driver.find_elements("css selector", "figure.chart svg")
        assert len(charts) == 2  # value per scenario, market shares
        assert all(c.size["width"] > 100 and c.size["height"] > 100 for c in charts)
        summary = driver.find_element("css selector", ".summary").text
        assert "Recommended: ask USA for CHIPS cap 25%" in summary
        rows = driver.find_elements("css selector", "table tbody tr")
        assert len(rows) == 5  # tiny ranks its top five
        sources = driver.find_elements("css selector", "ul.sources li")
        assert [s.text for s in sources] == ["Invented for illustration; see README.md"]
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        ARTIFACTS.mkdir(exist_ok=True)
        assert driver.save_screenshot(str(ARTIFACTS / "briefing.png"))
    finally:
        driver.quit()
    assert (ARTIFACTS / "briefing.png").stat().st_size > 10_000


def test_briefing_is_deterministic(tmp_path: Path) -> None:
    one, two = tmp_path / "1.html", tmp_path / "2.html"
    assert main(["rank", str(TINY), "--format", "html", "-o", str(one), "-q"]) == 0
    assert main(["rank", str(TINY), "--format", "html", "-o", str(two), "-q"]) == 0
    assert one.read_bytes() == two.read_bytes()
