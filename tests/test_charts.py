"""Charts: every label drawn lies inside the image (margins are set by hand, not by tight_layout),
the council stays highlighted and labelled, and the SVG, its text kept as text, is what
figure_html embeds."""
from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import matplotlib.colors as mcolors
import matplotlib.text
import numpy as np
import pandas as pd
import pytest

from benchmark.report import charts, content

GBP_PER_HEAD = content.short_fmt("gbp_per_head")
GBP = content.short_fmt("gbp")
LONG_NAME = "A council with an extraordinarily long official name, City of"


@pytest.fixture
def drawn_texts(monkeypatch):
    """The texts a draw actually renders (tick labels outside the view exist but are not drawn)."""
    drawn: list = []
    draw = matplotlib.text.Text.draw

    def spy(self, renderer):
        drawn.append(self)
        return draw(self, renderer)

    monkeypatch.setattr(matplotlib.text.Text, "draw", spy)
    return drawn


def _clipped(fig, drawn: list) -> list:
    """Texts of ``fig`` (bar the watermark, which may run off the edge) not wholly inside its image."""
    charts.svg_bytes(fig)
    # Measured in the figure's own pixels, after a draw at its dpi (the SVG's draw, at 72 to the
    # inch, leaves the texts placed to within a pixel of this).
    drawn.clear()
    fig.canvas.draw()
    width, height = fig.get_size_inches() * fig.dpi
    renderer = fig.canvas.get_renderer()
    out = []
    for text in drawn:
        if not text.get_visible() or not text.get_text() or text.get_gid() == "illustrative":
            continue
        box = text.get_window_extent(renderer)
        if box.x0 < -0.5 or box.y0 < -0.5 or box.x1 > width + 0.5 or box.y1 > height + 0.5:
            out.append((text.get_text(), tuple(round(v) for v in box.extents), (width, height)))
    return out


AWKWARD = {  # charts whose labels reach past the usual margins
    "long names, long title, median near the top": lambda: charts.ranked_bar(
        pd.Series({LONG_NAME: 100.0, "Beta": 99.0, "Gamma": 2.0}), "Beta", 99.5,
        "Beta spends " + "a great deal more than anyone else " * 4, GBP_PER_HEAD, "£ per head", True,
        median_label="median of a very large comparator group"),
    "x label longer than the axis": lambda: charts.ranked_bar(
        pd.Series({f"A council with a long name number {i}": float(i + 1) for i in range(3)}), "A council with a long name number 1",
        2.0, "Short", GBP_PER_HEAD, "A very long unit text describing the metric in a great many words, far longer than the axis (2017-18)"),
    "one bar": lambda: charts.ranked_bar(pd.Series({"Solo": 5.0}), "Solo", 5.0, "One", GBP_PER_HEAD, "£"),
    "no bars": lambda: charts.ranked_bar(pd.Series(dtype=float), "Solo", float("nan"), "None", GBP_PER_HEAD, "£"),
    "budget, negative lines, long title": lambda: charts.budget_bars(
        pd.DataFrame({"current": [-5e6, 2e7, 6e7], "median": [-4e6, 1.5e7, 5.5e7]},
                     index=["Less: client contributions and other income", "Assessment and care management (social care activities)", "Total (net)"]),
        "A needs-based budget for Somewhere in 2019-20 ranges from £50.7m to £57.5m across 3 scenarios, against £52.8m now", GBP, True),
    "series in millions (y offset text)": lambda: charts.time_series(
        pd.DataFrame({"council": [1.2e7, 1.25e7, 1.3e7], "median": [1.1e7, 1.15e7, 1.2e7], "q1": [1e7, 1e7, 1.1e7], "q3": [1.3e7, 1.35e7, 1.4e7]},
                     index=["2016-17", "2017-18", "2018-19"]),
        "Somewhere with a long name", "A long title about money that wraps over two lines at least, it goes on and on", GBP,
        "Gross spend, £, a long label that wraps", True),
    "funnel, wide denominators": lambda: charts.funnel(
        pd.DataFrame({"value": [10.0, 14.0, 8.0, 12.0], "denominator": [1000, 2000, 1500, 3_000_000]}, index=["Alpha", "Beta", "Gamma", LONG_NAME]),
        LONG_NAME, 11.0, 4.0, 1, False, "Funnel", GBP_PER_HEAD, "£ per head, a long label that wraps onto two lines", "population", False),
    "bars with long notes": lambda: charts.simple_bars(
        pd.Series({"Band 1": 500.0, "Band 2": 650.0}), "Bands", GBP_PER_HEAD, "£ a week", True,
        pd.Series({"Band 1": "residential, 1000 placements and a long note", "Band 2": "nursing"})),
}


@pytest.mark.parametrize("case", AWKWARD)
def test_no_label_is_cut_off(case, drawn_texts):
    fig, _ = AWKWARD[case]()
    assert _clipped(fig, drawn_texts) == []
    charts.plt.close(fig)


@pytest.mark.parametrize("case", AWKWARD)
def test_the_title_clears_what_rises_above_the_axes(case):
    fig, _ = AWKWARD[case]()
    ax = fig.axes[0]
    charts.svg_bytes(fig)  # titles and offset texts take their places in the draw
    renderer = fig.canvas.get_renderer()
    title = ax._left_title.get_window_extent(renderer)  # no public accessor for the left title
    for text in [*ax.texts, ax.yaxis.offsetText]:
        if text.get_visible() and text.get_text():
            assert not text.get_window_extent(renderer).overlaps(title), text.get_text()
    charts.plt.close(fig)


def test_ranked_bar_highlights_and_labels_the_council():
    values = pd.Series({"Alpha": 10.0, "Beta": 14.0, "Gamma": 8.0, "Delta": 12.0})
    fig, alt = charts.ranked_bar(values, "Beta", 11.0, "Beta spends 27% more", GBP_PER_HEAD, "£ per head", True)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    council = [t for t in ax.texts if t.get_text().startswith("Beta")]
    assert len(council) == 1 and council[0].get_text().endswith("◀")
    assert council[0].get_fontweight() == "bold" and mcolors.same_color(council[0].get_color(), charts.COUNCIL)
    assert [c for c in ax.patches if mcolors.same_color(c.get_facecolor(), charts.COUNCIL)]  # its bar, in its colour
    for name in values.index:  # every council named, every bar labelled with its value
        assert any(t == name or t == f"{name}  ◀" for t in texts)
        assert GBP_PER_HEAD(values[name]) in texts
    assert any("comparator median: " + GBP_PER_HEAD(11.0) in t for t in texts)
    assert charts.has_watermark(fig) and "ranked 1 of 4" in alt
    charts.plt.close(fig)


def test_figure_html_embeds_the_drawn_svg_with_its_text_as_text():
    fig, alt = charts.simple_bars(pd.Series({"Band 1": 500.0, "Band 2": 650.0}), "Bands", GBP_PER_HEAD, "£ a week")
    width_pt, height_pt = np.array(fig.get_size_inches()) * 72  # SVG lengths are in points, 72 to the inch
    html = charts.figure_html(fig, alt, "Source: test.")
    assert 'src="data:image/svg+xml;base64,' in html and f'alt="{alt}"' in html and "<figcaption" in html
    svg = base64.b64decode(re.search(r'base64,([A-Za-z0-9+/=]+)"', html).group(1)).decode("utf-8")
    root = ET.fromstring(svg)  # the <svg> element itself: no XML prologue or DOCTYPE inside a page
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == f"{width_pt:g}pt" and root.get("height") == f"{height_pt:g}pt"
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for label in ("Band 1", "Band 2", "Bands", "£ a week", GBP_PER_HEAD(500.0), GBP_PER_HEAD(650.0)):
        assert label in texts, label
    assert not list(root.iter("{http://www.w3.org/2000/svg}image"))  # nothing rasterised
    assert "dc:date" not in svg  # no time stamp: the same chart gives the same file


def test_the_same_chart_gives_the_same_svg():
    def draw() -> bytes:
        fig, _ = charts.ranked_bar(pd.Series({"Alpha": 3.0, "Beta": 2.0}), "Beta", 2.5, "T", GBP_PER_HEAD, "£", True)
        svg = charts.svg_bytes(fig)
        charts.plt.close(fig)
        return svg

    assert draw() == draw()
