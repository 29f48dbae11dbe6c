"""The pages a director and a peer team read, opened in a real browser: headless Chromium driven by
selenium, checked with the axe-core accessibility rules (shipped inside axe-selenium-python).

One council's report, pack and the run's index are written once (``report E06000045 --pack peer``);
each page fails on any *serious* or *critical* axe violation, and a full-page screenshot of each is
saved in the test's tmp folder, its path printed (``-rA`` or a failure shows it) as the artefact.
Skipped, saying why, where Chromium, its driver or the Python packages are missing (``.ci/run``
installs Debian's chromium and chromium-driver as root).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_report_runner import REAL_NOTEBOOK, run_cli

COUNCIL = "E06000045"  # Southampton: its own local files make every section of the report appear
PAGES = {"report": f"{COUNCIL}/report.html", "pack": f"{COUNCIL}/pack.html", "index": "index.html"}
BLOCKING = ("serious", "critical")


def _find(*names: str, fallback: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return fallback if Path(fallback).exists() else None


def chromium() -> str | None:
    return _find("chromium", "chromium-browser", "google-chrome", fallback="/usr/bin/chromium")


def chromedriver() -> str | None:
    return _find("chromedriver", fallback="/usr/lib/chromium/chromedriver")


@pytest.fixture(scope="module")
def browser():
    selenium = pytest.importorskip("selenium", reason="selenium is not installed (it is in the test extra: make setup)")
    pytest.importorskip("axe_selenium_python", reason="axe-selenium-python is not installed (it is in the test extra: make setup)")
    binary, driver_path = chromium(), chromedriver()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium to run the accessibility checks)")
    if driver_path is None:
        pytest.skip("chromedriver is not installed (apt-get install chromium-driver to run the accessibility checks)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--no-first-run", "--window-size=1280,1024", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    try:
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    except selenium.common.exceptions.WebDriverException as error:  # e.g. a driver of another version than the browser
        pytest.skip(f"headless chromium could not be started with {driver_path}: {error.msg or error}".splitlines()[0])
    driver.set_script_timeout(120)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    if not REAL_NOTEBOOK.is_file():
        pytest.skip(f"{REAL_NOTEBOOK.name} does not exist yet")
    out = tmp_path_factory.mktemp("accessibility") / "out"
    result = run_cli("report", COUNCIL, "--pack", "peer", "--out", out, "--jobs", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def axe_results(driver) -> dict:
    """axe-core's results for the loaded page: the copy axe-selenium-python ships, or the ``axe.min.js`` that AXE_CORE_JS
    names (a newer axe-core, e.g. from npm's axe-core package, to check against newer rules)."""
    from axe_selenium_python import Axe

    axe = Axe(driver, os.environ["AXE_CORE_JS"]) if os.environ.get("AXE_CORE_JS") else Axe(driver)
    if not driver.execute_script("return typeof axe !== 'undefined'"):
        axe.inject()
    return axe.run()


def describe(violations: list[dict], nodes: int = 3) -> str:
    """One line per rule: id, impact, help, and the first nodes' CSS targets."""
    lines = []
    for v in violations:
        targets = "; ".join(" ".join(map(str, n.get("target", []))) for n in v["nodes"][:nodes])
        more = f" (+{len(v['nodes']) - nodes} more)" if len(v["nodes"]) > nodes else ""
        lines.append(f"{v.get('width', '')}{v['id']} [{v['impact']}] {v['help']}: {len(v['nodes'])} node(s): {targets}{more}")
    return "\n".join(lines)


def full_page_screenshot(driver, path: Path) -> Path:
    """The whole page at the window's width, not just the window (Chrome DevTools' capture beyond the viewport), down to
    60,000 px (the report is longer: its first two thirds or so; a taller PNG costs more memory than CI should spend)."""
    import base64
    import time

    # A cold headless Chromium can report the page before its first layout (0 wide, and "Cannot take
    # screenshot with 0 width"): wait for the layout, up to 20 s.
    deadline = time.monotonic() + 20
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    while not (size["width"] and size["height"]) and time.monotonic() < deadline:
        time.sleep(0.1)
        size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    assert size["width"] and size["height"], f"the page was never laid out: {size}"
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 60_000), "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


#: A desktop and a phone: wide tables scroll only on narrow screens, and a scrolling box must be reachable by keyboard.
WIDTHS = {"desktop": (1280, 1024), "phone": (400, 860)}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_accessibility_violation(name, written, browser, tmp_path, capsys):
    page = written / PAGES[name]
    assert page.is_file(), page
    browser.set_window_size(*WIDTHS["desktop"])
    browser.get(page.as_uri())
    screenshot = full_page_screenshot(browser, tmp_path / f"{name}.png")  # before axe, which scrolls what it checks
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000
    violations, passes = [], 0
    for width, size in WIDTHS.items():
        browser.set_window_size(*size)
        results = axe_results(browser)
        passes = max(passes, len(results["passes"]))
        violations += [dict(v, width=f"{width}: ") for v in results["violations"]]
    version = browser.execute_script("return axe.version")
    with capsys.disabled():  # the artefacts' paths and the full findings in the test output, passed or failed
        print(f"\n{PAGES[name]}: screenshot {screenshot}; axe-core {version}, {' and '.join(WIDTHS)} widths: {passes} rules passed, "
              f"{len(violations)} violated" + (f":\n{describe(violations)}" if violations else ""))
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    assert not blocking, f"{PAGES[name]}: serious or critical accessibility violations (screenshot {screenshot}):\n{describe(blocking)}"
    assert passes, "axe ran no rule that passed: the page did not load"
