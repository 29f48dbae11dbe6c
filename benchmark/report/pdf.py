"""Printable PDFs of a council's pages (the report and the peer team's pack), made by headless Chromium.

Chromium lays the page out as a browser shows it and honours the pages' print styles, so the PDF is
the page a reader would print; no PDF library reimplements that.  Where Chromium is not installed,
no PDF is made and the run says so once (:func:`missing_note`); nothing else changes.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from benchmark.files import write_atomic

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_TIMEOUT_S = 180


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable on PATH, or None."""
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def missing_note() -> str:
    return "note: --pdf: Chromium is not installed, so no PDF was made (install it, e.g. apt-get install chromium, and run again)"


def pdf_name(page_name: str) -> str:
    """``report.html`` -> ``report.pdf``."""
    return Path(page_name).with_suffix(".pdf").name


def print_pdf(page: Path, pdf: Path, browser: str) -> Path:
    """Print ``page`` (a self-contained HTML file) to ``pdf`` with headless Chromium, atomically.

    A throwaway profile folder keeps the run away from the user's own browser profile; no network
    is needed (the pages load nothing from elsewhere)."""
    page, pdf = Path(page).resolve(), Path(pdf)

    def write(temporary: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="asc-benchmark-chromium-") as profile:
            command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                       "--disable-component-update", "--no-first-run", "--no-pdf-header-footer", f"--user-data-dir={profile}",
                       f"--print-to-pdf={temporary}", page.as_uri()]
            done = subprocess.run(command, capture_output=True, timeout=PRINT_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
        if not temporary.is_file() or temporary.stat().st_size == 0:
            detail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
            raise RuntimeError(f"Chromium made no PDF of {page.name} (exit {done.returncode}{': ' + detail[-1] if detail else ''})")

    return write_atomic(pdf, write)


def page_count(pdf: Path) -> int:
    """Pages of a PDF Chromium wrote (its page objects), for the tests and the run's note."""
    import re

    return len(re.findall(rb"/Type\s*/Page(?!s)", Path(pdf).read_bytes()))
