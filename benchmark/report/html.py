"""Code-free, self-contained HTML from an executed report notebook.

nbconvert's ``HTMLExporter`` with ``exclude_input`` (papermill's report mode does not hide code in
nbconvert's HTML) and every prompt excluded, using the ``basic`` template (cells only: no MathJax,
require.js or web fonts) inside this module's own minimal page with inline CSS.  Charts are embedded
as ``data:`` images, so the file reads offline and can be e-mailed on its own.
"""
from __future__ import annotations

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
a { color: #1d70b8; } a:focus { outline: 3px solid #fd0; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.92rem; }
th, td { border-bottom: 1px solid var(--grey); padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
.anchor-link { display: none; }
thead th { border-bottom: 2px solid var(--text); }
caption { text-align: left; font-weight: bold; padding-bottom: 0.4rem; }
pre { white-space: pre-wrap; font-size: 0.85rem; background: #f3f2f1; padding: 0.5rem; }
.output_stderr { display: none; }
.text_cell_render, .output_html, .output_markdown { overflow-x: auto; }
footer { color: var(--muted); font-size: 0.85rem; margin-top: 3rem; border-top: 1px solid var(--grey); padding-top: 0.5rem; }
@media print { main { max-width: none; } h2 { page-break-after: avoid; } img, table { page-break-inside: avoid; } }
"""


#: Cells tagged so are for people working in the notebook (how to re-run it), not for readers.
NOTEBOOK_ONLY_TAG = "notebook-only"
_NUMBER_CELL = re.compile(r"<td>(\s*(?:[£$−-]?\s?[\d][\d,]*(?:\.\d+)?\s?(?:%|m|bn|k)?|n/a)\s*)</td>")


def exporter():
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    html_exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                                 exclude_raw=True, exclude_unknown=True, anchor_link_text="")
    html_exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={NOTEBOOK_ONLY_TAG}), enabled=True)
    return html_exporter


def notebook_body(notebook) -> str:
    """The cells' outputs and markdown as HTML (no code, no prompts, no notebook-only cells);
    cells holding just a number are marked so that they align right."""
    body, _ = exporter().from_notebook_node(notebook)
    return _NUMBER_CELL.sub(r'<td class="num">\1</td>', body)


def page(body: str, title: str, footer: str = "") -> str:
    """A whole, self-contained page: ``lang``, ``title``, inline CSS, nothing loaded from elsewhere."""
    foot = f"<footer>{html.escape(footer)}</footer>" if footer else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n{foot}\n</main>\n</body>\n</html>\n")


def notebook_html(notebook, title: str, footer: str = "") -> str:
    return page(notebook_body(notebook), title, footer)


def external_resources(text: str) -> list[str]:
    """Tags that would load something from the web (should be none)."""
    return [m.group(0)[:200] for m in _EXTERNAL.finditer(text)]
