"""Code-free, self-contained HTML from an executed report notebook.

The report notebook's cells display HTML that ``benchmark.report.content`` has already written
(sections with tables, figures with alt text and captions), so the page is those outputs in
order, and the text of any markdown cell, inside this module's own minimal page with inline CSS:
no code, no prompts, no cells tagged ``notebook-only``, no warnings written to standard error.
Charts are ``data:`` images, so the file reads offline and can be e-mailed on its own.

Why not nbconvert's ``HTMLExporter``: with ``exclude_input`` and the ``basic`` template it gives the
same page, but it takes 0.5-1 s per council (it re-parses the finished page with BeautifulSoup to
add focus attributes the basic template does not use), which all England pays 161 times;
assembling the outputs takes milliseconds.  Markdown is rendered with markdown-it-py (CommonMark
plus tables, raw HTML kept), the parser jupytext already uses.
"""
from __future__ import annotations

import functools
import html
import re

#: Resource attributes that would make a page fetch something from the web when opened.
_EXTERNAL = re.compile(r"<(script|link|img|iframe|source|video|audio)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)

CSS = """
:root { --focus: #12436D; --grey: #BFBFBF; --text: #0b0c0c; --muted: #505a5f; }
* { box-sizing: border-box; }
body { margin: 0; font-family: Arial, "Helvetica Neue", Helvetica, sans-serif; font-size: 16px; line-height: 1.5; color: var(--text); background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1, h2, h3, h4 { color: var(--focus); line-height: 1.25; }
h1 { font-size: 2rem; } h2 { font-size: 1.5rem; margin-top: 2.5rem; border-bottom: 2px solid var(--focus); } h3 { font-size: 1.2rem; }
a { color: #1d70b8; }
/* focus seen on any background: yellow with a black underline for links (as GOV.UK), a black outline for boxes */
a:focus { outline: 3px solid transparent; color: var(--text); background: #fd0; box-shadow: 0 -2px #fd0, 0 4px var(--text); text-decoration: none; }
[tabindex]:focus { outline: 3px solid var(--text); outline-offset: 2px; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.92rem; }
th, td { border-bottom: 1px solid var(--grey); padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
thead th { border-bottom: 2px solid var(--text); }
caption { text-align: left; font-weight: bold; padding-bottom: 0.4rem; }
.report-table caption { font-weight: normal; font-size: 0.85rem; padding-bottom: 0.2rem; }
pre { white-space: pre-wrap; font-size: 0.85rem; background: #f3f2f1; padding: 0.5rem; }
/* a wide table scrolls inside its own region (named by its caption, reachable by the keyboard), not the page */
.table-scroll { overflow-x: auto; margin: 0.6rem 0; }
.output { overflow-wrap: break-word; }
footer { color: var(--muted); font-size: 0.85rem; max-width: 1100px; margin: 0 auto; padding: 0.5rem 1rem 2rem; }
footer p { border-top: 1px solid var(--grey); padding-top: 0.5rem; margin: 0; }
@media print { main { max-width: none; } h2 { page-break-after: avoid; } img, table { page-break-inside: avoid; } }
"""


#: Cells tagged so are for people working in the notebook (how to re-run it), not for readers.
NOTEBOOK_ONLY_TAG = "notebook-only"
# A cell holding one figure ("1,234", "£9.89m", "-£22.13m", "33.2%", "<5", "n/a"): right-aligned.
_NUMBER_CELL = re.compile(r"<td>(\s*(?:[−-]?[£$]?\s?[\d][\d,]*(?:\.\d+)?\s?(?:%|m|bn|k)?|&lt;5|n/a)\s*)</td>")


def _text(value) -> str:
    """A notebook text field: a string, or a list of lines in the file format."""
    return "".join(value) if isinstance(value, list) else str(value)


@functools.cache
def _markdown_renderer():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table")


def markdown_html(text: str) -> str:
    return _markdown_renderer().render(text)


def output_html(output) -> str:
    """One cell output for a reader: its richest displayable form; standard error and errors are left out."""
    kind = output.get("output_type")
    if kind == "stream":
        return f"<pre>{html.escape(_text(output.get('text', '')))}</pre>" if output.get("name") == "stdout" else ""
    if kind not in ("display_data", "execute_result"):
        return ""  # errors: a failed notebook gets no HTML page at all
    data = output.get("data", {})
    if "text/html" in data:
        return _text(data["text/html"])
    if "text/markdown" in data:
        return markdown_html(_text(data["text/markdown"]))
    if "image/svg+xml" in data:
        return _text(data["image/svg+xml"])
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            alt = (output.get("metadata", {}).get(mime) or {}).get("alt") or "An image from the report notebook (no description was provided)"
            return f'<img src="data:{mime};base64,{_text(data[mime]).strip()}" alt="{html.escape(alt)}">'
    if "text/plain" in data:
        return f"<pre>{html.escape(_text(data['text/plain']))}</pre>"
    return ""


def notebook_body(notebook) -> str:
    """The cells' outputs and markdown as HTML (no code, no prompts, no notebook-only cells);
    cells holding just a number are marked so that they align right."""
    parts = []
    for cell in notebook["cells"]:
        if NOTEBOOK_ONLY_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        if cell["cell_type"] == "markdown":
            parts.append(markdown_html(_text(cell["source"])))
        elif cell["cell_type"] == "code":
            parts.extend(output_html(output) for output in cell.get("outputs", []))
    body = "\n".join(f'<div class="output">{part}</div>' for part in parts if part)
    return align_numbers(body)


def align_numbers(body: str) -> str:
    """Mark the table cells that hold a single figure, so the page's CSS right-aligns them."""
    return _NUMBER_CELL.sub(r'<td class="num">\1</td>', body)


def page(body: str, title: str, footer: str = "") -> str:
    """A whole, self-contained page: ``lang``, ``title``, inline CSS, nothing loaded from elsewhere; the content in the
    ``main`` landmark, the footer after it (its own landmark, so every part of the page is in one)."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n{footer_html(footer)}</body>\n</html>\n")


def footer_html(text: str) -> str:
    """The page's footer (a ``contentinfo`` landmark outside ``main``), or nothing."""
    return f"<footer><p>{html.escape(text)}</p></footer>\n" if text else ""


def notebook_html(notebook, title: str, footer: str = "") -> str:
    return page(notebook_body(notebook), title, footer)


def external_resources(text: str) -> list[str]:
    """Tags that would load something from the web (should be none)."""
    return [m.group(0)[:200] for m in _EXTERNAL.finditer(text)]
