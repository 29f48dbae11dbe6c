"""The run's index page (every council, its status and headline figures) and its manifest."""
from __future__ import annotations

import html
import json
import platform
import sys
from importlib import metadata
from pathlib import Path

from benchmark import __version__
from benchmark.files import write_text_atomic
from benchmark.report.html import page


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def write_manifest(path: Path, run: dict, councils: list[dict]) -> Path:
    """``run_manifest.json``: versions, kernel, inputs, parameters, timings and failures (atomically)."""
    failures = [{"council": c["code"], "name": c["name"], "error": c["error"], "error_log": c["error_log"]}
                for c in councils if c["status"] != "succeeded"]
    document = {
        "toolkit_version": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {p: _version(p) for p in ("papermill", "nbformat", "markdown-it-py", "ipykernel", "jupyter_client", "pandas", "matplotlib")},
        **run,
        "councils_run": len(councils),
        "succeeded": sum(c["status"] == "succeeded" for c in councils),
        "failed": len(failures),
        "failures": failures,
        "councils": councils,
    }
    return write_text_atomic(path, json.dumps(document, indent=1, default=str) + "\n")


def headline_cells(headlines: dict) -> dict[str, str]:
    """The index's headline columns from ``content.headlines()`` (empty when there are none)."""
    if not headlines:
        return {}
    from benchmark.report.formatting import money

    def number(value, digits=2):
        return "n/a" if value is None else f"{value:.{digits}f}"

    year = headlines.get("net_per_head_18plus_year")
    budget_year = headlines.get("budget_year")
    figures = headlines.get("illustrative_figures") or []
    return {
        "net spend per adult (18+)": money(headlines.get("net_per_head_18plus_gbp"), 2) + (f" ({year})" if year else ""),
        "comparator median": money(headlines.get("net_per_head_18plus_comparator_median_gbp"), 2),
        "flags red / amber / green": f"{headlines.get('red_flags', 0)} / {headlines.get('amber_flags', 0)} / {headlines.get('green_flags', 0)}",
        "budget, current pattern": money(headlines.get("budget_current_pattern_gbp")) + (f" ({budget_year})" if budget_year else ""),
        "needs index 65+": number(headlines.get("needs_index_65plus")),
        "expected spend (needs model)": money(headlines.get("expected_spend_gbp")) + (f" ({budget_year})" if budget_year else ""),
        "illustrative data": ("ILLUSTRATIVE: " + "; ".join(figures)) if figures else "none",
    }


def data_notes(results) -> list[str]:
    """One sentence per data folder whose files differ from the shipped copies, naming the files and how many reports used it."""
    from benchmark.report.formatting import list_data_differences

    by_folder: dict[tuple, int] = {}
    for r in results:
        differences = getattr(r, "data_differs_from_shipped", None) or {}
        if differences:
            folder = (r.parameters or {}).get("data_dir") or "the shipped data folder"
            key = (folder, tuple(sorted(differences.items())))
            by_folder[key] = by_folder.get(key, 0) + 1
    return [f"Data differs from the published files shipped with the toolkit for {count} report(s) (data folder {folder}): "
            f"{list_data_differences(dict(differences))}." for (folder, differences), count in by_folder.items()]


def index_html(results, title: str, started: str) -> str:
    """Every council in the folder: status, headlines, files, when its report was written and how long it took."""
    ok = sum(r.status == "succeeded" for r in results)
    rows = []
    shown = [headline_cells(r.headlines) for r in results]
    labels = list(dict.fromkeys(label for cells in shown for label in cells))
    for r, values in zip(results, shown, strict=True):
        name = html.escape(r.name)
        if r.status == "succeeded":
            link = f'<a href="{html.escape(r.code)}/report.html">{name}</a>'
            files = " ".join(f'<a href="{html.escape(r.code)}/{f}">{f}</a>'
                             for f in ("pack.html", "pack.pdf", "report.pdf", "tables.xlsx", "metrics.csv", "budget.csv", "report.ipynb")
                             if f in r.files)
            status = "succeeded"
        else:
            link = name
            log_link = f' (<a href="{html.escape(r.error_log)}">log</a>)' if r.error_log else ""
            files = ""
            status = f"<strong>failed</strong>: {html.escape(r.error or '')}{log_link}"
        if getattr(r, "data_differs_from_shipped", None):
            status += " (data differs from the shipped files)"
        cells = "".join(f"<td>{html.escape(str(values.get(label, '')))}</td>" for label in labels)
        rows.append(f"<tr><th scope=\"row\">{link}</th><td>{html.escape(r.code)}</td><td>{status}</td>{cells}<td>{files}</td>"
                    f"<td>{html.escape(r.finished or r.started or '')}</td><td>{r.duration_s:.1f}</td></tr>")
    head = "".join(f"<th scope=\"col\">{html.escape(str(label))}</th>" for label in labels)
    notes = "".join(f"<p><strong>{html.escape(note)}</strong></p>\n" for note in data_notes(results))
    body = (f"<h1>{html.escape(title)}</h1>\n<p>{ok} of {len(results)} report(s) succeeded (every council in this folder; "
            f"the latest run started {html.escape(started)}). "
            "Each report compares the council with its comparator group; figures state their source, year and definition in the report. "
            "<a href=\"run_manifest.json\">Run manifest</a> (versions, input checksums, parameters, timings).</p>\n" + notes +
            "<div class=\"table-scroll\" role=\"region\" aria-labelledby=\"council-reports\" tabindex=\"0\">\n"
            f"<table>\n<caption id=\"council-reports\">Council reports</caption>\n<thead><tr><th scope=\"col\">council</th><th scope=\"col\">ONS code</th>"
            f"<th scope=\"col\">status</th>{head}<th scope=\"col\">files</th><th scope=\"col\">written (UTC)</th>"
            f"<th scope=\"col\">seconds</th></tr></thead>\n<tbody>\n"
            + "\n".join(rows) + "\n</tbody>\n</table>\n</div>")
    return page(body, title, footer=f"asc-resources-benchmark {__version__}")


def write_index(path: Path, results, title: str, started: str) -> Path:
    return write_text_atomic(path, index_html(results, title, started))
