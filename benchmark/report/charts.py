"""Charts a director can read: small matplotlib figures, each with alt text.

Every chart function returns ``(Figure, alt_text)``.  The council is dark blue (#12436D) and
labelled by name, its comparators grey (#BFBFBF); the comparator median is a dashed line with its
value written beside it; every bar carries its value, so colour is never the only cue.  Figures
resting on example data carry a diagonal "ILLUSTRATIVE" watermark (:func:`watermark`).
Margins are fitted to the labels as each chart is built (:func:`_layout`, not ``tight_layout``), so
the image is drawn exactly once (:func:`svg_bytes`).
:func:`figure_html` turns a figure into a self-contained ``<figure>`` (SVG as a data URI, alt text,
caption with source, year and comparator group).
"""
from __future__ import annotations

import base64
import html
import io
import math
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.transforms import offset_copy

# one formula for the statistics and the charts (the limits drawn are the limits flagged)
from benchmark.metrics.funnel import Z95, Z998, funnel_limits

COUNCIL = "#12436D"
OTHERS = "#BFBFBF"
MEDIAN = "#F46A25"
LIMIT_95 = "#28A197"
LIMIT_998 = "#801650"
WATERMARK = "ILLUSTRATIVE"
SCENARIO_STYLES = [(COUNCIL, ""), ("#28A197", "//"), ("#F46A25", ".."), ("#801650", "xx"), ("#3D3D3D", "\\\\"), ("#A285D1", "--")]

# text.hinting: FreeType's hinter re-runs on every glyph each time it is measured; unhinted, measuring
# the labels (see _layout) takes about half as long.
# svg.fonttype "none": the charts are SVG with their text kept as text (see svg_bytes), in the
# sans-serif fonts matplotlib lists (DejaVu Sans, then Verdana, Arial, Helvetica, ...); svg.hashsalt:
# the same chart gives the same file.
plt.rcParams.update({"font.size": 9, "axes.titlesize": 10, "axes.spines.top": False, "axes.spines.right": False,
                     "figure.dpi": 100, "savefig.dpi": 100, "text.hinting": "no_hinting",
                     "svg.fonttype": "none", "svg.hashsalt": "asc-benchmark"})


def watermark(fig: Figure) -> None:
    """A large diagonal 'ILLUSTRATIVE' across the figure (an artist with gid 'illustrative')."""
    fig.text(0.5, 0.5, WATERMARK, fontsize=44, color="#C00000", alpha=0.22, rotation=30, ha="center", va="center",
             fontweight="bold", gid="illustrative", zorder=10)


def has_watermark(fig: Figure) -> bool:
    return any(t.get_gid() == "illustrative" and t.get_text() == WATERMARK for t in fig.texts)


def _wrap(title: str, width: int = 64) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(title, width))


PAD = 0.1  # inches of white space kept round the edge of every figure


def _title(ax, title: str) -> None:
    """The chart's title, top left.  ``y=1.0`` pins it just above the axes: left to itself,
    matplotlib re-measures the whole y axis at every draw to see whether the title must dodge
    labels above the axes, which these charts only have with a y offset text (see :func:`_layout`)."""
    ax.set_title(_wrap(title), loc="left", y=1.0)


def _row_labels(ax, labels) -> list:
    """Name the rows 0, 1, ... of a horizontal bar chart, right-aligned just left of the axes, where
    y tick labels would sit; returns the texts.

    Plain texts rather than tick labels: matplotlib builds a tick per label (two marker lines, a grid
    line and two texts) and re-formats them all several times per draw, about a tenth of a bar
    chart's time, while the ticks themselves say nothing here.
    """
    ax.set_yticks([])
    gap = plt.rcParams["ytick.major.size"] + plt.rcParams["ytick.major.pad"]
    left_of_axes = offset_copy(ax.get_yaxis_transform(), fig=ax.get_figure(), x=-gap, units="points")
    return [ax.text(0, i, label, transform=left_of_axes, ha="right", va="center_baseline") for i, label in enumerate(labels)]


def _in_view(axis) -> list:
    """The tick labels the axis will draw (its locator may also place ticks just outside the view)."""
    labels = axis.get_majorticklabels()  # also brings the ticks' texts and positions up to date
    low, high = sorted(axis.get_view_interval())
    close = (high - low) * 1e-9  # a tick at 1.2000000000000002 on an axis ending at 1.2 is drawn
    return [label for loc, label in zip(axis.get_majorticklocs(), labels, strict=False) if low - close <= loc <= high + close]


def _layout(fig: Figure, ax, row_labels: list = ()) -> None:
    """Set the margins from the sizes of the labels round the axes, so that nothing is clipped.

    This replaces ``fig.tight_layout()`` and ``savefig(bbox_inches="tight")``: each laid out every
    artist of the figure before the final draw did it all again, half the chart time.  Here only the
    labels outside the axes are measured, with the figure's own renderer, whose text metrics
    matplotlib caches for the draw.
    """
    renderer = fig.canvas.get_renderer()
    dpi = fig.dpi
    width, height = fig.get_size_inches()

    def size(texts) -> tuple[float, float]:
        """The widest and the tallest of the visible, non-empty texts, in inches."""
        boxes = [t.get_window_extent(renderer) for t in texts if t.get_visible() and t.get_text()]
        return max((b.width for b in boxes), default=0.0) / dpi, max((b.height for b in boxes), default=0.0) / dpi

    def points(value: float) -> float:
        return value / 72

    rc = plt.rcParams
    xticks, yticks = _in_view(ax.xaxis), _in_view(ax.yaxis)
    # Offset texts ("1e7") are set at draw time from the formatters, which the ticks above have run.
    ax.xaxis.offsetText.set_text(ax.xaxis.get_major_formatter().get_offset())
    ax.yaxis.offsetText.set_text(ax.yaxis.get_major_formatter().get_offset())
    titles = [ax.title, ax._left_title, ax._right_title]  # only the centre title has a public accessor
    ytick_w = size([*yticks, *row_labels])[0] + points(rc["ytick.major.size"] + rc["ytick.major.pad"]) if yticks or row_labels else 0.0
    xtick_h = size(xticks)[1] + points(rc["xtick.major.size"] + rc["xtick.major.pad"]) if xticks else 0.0
    ylabel_w = size([ax.yaxis.label])[0]  # rotated: its width is the height of its lines
    xlabel_h = size([ax.xaxis.label, ax.xaxis.offsetText])[1]  # the offset text sits level with the label
    title_h = size(titles)[1]
    offset_h = size([ax.yaxis.offsetText])[1]  # just above the top left corner of the axes
    margins = {  # inches between the axes and the figure's edges
        "left": PAD + ytick_w + (ylabel_w + points(ax.yaxis.labelpad) if ylabel_w else 0.0),
        "right": PAD,
        "bottom": PAD + xtick_h + (xlabel_h + points(ax.xaxis.labelpad) if xlabel_h else 0.0),
        "top": PAD + offset_h + (title_h + points(rc["axes.titlepad"]) if title_h else 0.0),
    }

    def place() -> None:
        w, h = fig.get_size_inches()
        fig.subplots_adjust(left=margins["left"] / w, right=1 - margins["right"] / w,
                            bottom=margins["bottom"] / h, top=1 - margins["top"] / h)

    place()
    axes_top, axes_height = height - margins["top"], height - margins["top"] - margins["bottom"]
    # The title (pinned by _title) goes above anything rising over the axes: the y offset text, or a
    # median label over a few bars.
    texts = [t for t in ax.texts if t.get_visible() and t.get_text()]
    text_boxes = [t.get_window_extent(renderer) for t in texts]
    lift = max([offset_h, *(b.y1 / dpi - axes_top for b in text_boxes)])
    if lift > 0:
        for title in titles:
            title.set_y(1.0 + lift / axes_height)
    # What can still reach past the margins: a long or lifted title, value labels and the median
    # label beside the bars, annotations, the tick labels at the ends of the x axis, axis labels
    # longer than their axis (centred on it; placed only at draw time, so placed here by hand).
    # Where one would be cut off, widen (or heighten) the figure on that side by the overhang: the
    # axes keep their size in inches, so nothing moves relative to them and one pass is enough.
    outer = [*titles, *_in_view(ax.xaxis)]
    boxes = [(b.x0 / dpi, b.y0 / dpi, b.x1 / dpi, b.y1 / dpi)
             for b in text_boxes + [t.get_window_extent(renderer) for t in outer if t.get_visible() and t.get_text()]]
    middle_x = (margins["left"] + width - margins["right"]) / 2
    middle_y = margins["bottom"] + axes_height / 2
    xlabel_w, ylabel_h = size([ax.xaxis.label])[0], size([ax.yaxis.label])[1]
    boxes += [(middle_x - xlabel_w / 2, PAD, middle_x + xlabel_w / 2, PAD),
              (PAD, middle_y - ylabel_h / 2, PAD, middle_y + ylabel_h / 2)]
    grow = {"left": PAD - min(b[0] for b in boxes), "bottom": PAD - min(b[1] for b in boxes),
            "right": max(b[2] for b in boxes) - (width - PAD), "top": max(b[3] for b in boxes) - (height - PAD)}
    grow = {side: extra for side, extra in grow.items() if extra > 0.5 / dpi}
    if grow:
        for side, extra in grow.items():
            margins[side] += extra
        fig.set_size_inches(width + grow.get("left", 0.0) + grow.get("right", 0.0),
                            height + grow.get("bottom", 0.0) + grow.get("top", 0.0))
        place()


def _finish(fig: Figure, illustrative: bool, row_labels: list = ()) -> None:
    if illustrative:
        watermark(fig)
    _layout(fig, fig.axes[0], row_labels)


def ranked_bar(values: pd.Series, council: str, median: float, title: str, value_label, unit_text: str,
               illustrative: bool = False, median_label: str = "comparator median") -> tuple[Figure, str]:
    """Horizontal bars of ``values`` (index = council names), sorted, ``council`` highlighted.

    ``value_label`` formats a value for the bar labels; ``unit_text`` names the axis.
    """
    data = values.dropna().sort_values()
    fig, ax = plt.subplots(figsize=(7.0, 0.24 * len(data) + 1.3))
    colours = [COUNCIL if name == council else OTHERS for name in data.index]
    ax.barh(range(len(data)), data.to_numpy(), color=colours, height=0.7)
    rows = _row_labels(ax, [f"{name}  ◀" if name == council else name for name in data.index])
    for text, name in zip(rows, data.index, strict=True):
        if name == council:
            text.set_fontweight("bold")
            text.set_color(COUNCIL)
    span = float(data.max()) if len(data) else 1.0
    for i, v in enumerate(data.to_numpy()):
        ax.text(v + span * 0.01, i, value_label(v), va="center", fontsize=7.5,
                fontweight="bold" if data.index[i] == council else "normal")
    if median is not None and not (isinstance(median, float) and math.isnan(median)):
        ax.axvline(median, color=MEDIAN, linestyle="--", linewidth=1.3)
        ax.text(median, len(data) - 0.3, f" {median_label}: {value_label(median)}", color="#7A3100", fontsize=7.5, va="bottom")
    ax.set_xlim(0, span * 1.2 if span > 0 else 1)
    ax.set_xlabel(unit_text)
    _title(ax, title)
    _finish(fig, illustrative, rows)
    own = values.get(council)
    position = ""
    if own is not None and not pd.isna(own):
        rank = int((data > own).sum()) + 1
        position = f" {council} is {value_label(own)}, ranked {rank} of {len(data)} (1 = highest)."
    alt = (f"Horizontal bar chart, sorted, of {unit_text} for {len(data)} councils: {council} and its comparators.{position} "
           f"The comparator median is {value_label(median) if median is not None and not pd.isna(median) else 'not available'}, "
           f"drawn as a dashed line. Highest: {data.index[-1]} {value_label(data.iloc[-1])}; lowest: {data.index[0]} "
           f"{value_label(data.iloc[0])}." if len(data) else f"Bar chart of {unit_text}: no values.")
    if illustrative:
        alt += " ILLUSTRATIVE: rests on generated example data."
    return fig, alt


def funnel(points: pd.DataFrame, council: str, target: float, tau2: float, multiplier: float, binomial: bool, title: str,
           value_label, value_text: str, denominator_text: str, illustrative: bool = False) -> tuple[Figure, str]:
    """Funnel plot: ``points`` (index = names; columns value, denominator), the pooled target and
    95% and 99.8% limits against the denominator (:func:`benchmark.metrics.funnel.funnel_limits`,
    the limits the statistics flag with; ``tau2``, the between-council variance, must be known)."""
    data = points.dropna(subset=["value", "denominator"])
    data = data[data["denominator"] > 0]
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    lo, hi = float(data["denominator"].min()), float(data["denominator"].max())
    grid = np.linspace(lo * 0.8, hi * 1.15, 200)
    for z, colour, style, label in ((Z95, LIMIT_95, "--", "95% limits"), (Z998, LIMIT_998, ":", "99.8% limits")):
        lower, upper = funnel_limits(target, tau2, grid, multiplier, binomial, z)
        ax.plot(grid, lower, color=colour, linestyle=style, linewidth=1.2, label=label)
        ax.plot(grid, upper, color=colour, linestyle=style, linewidth=1.2)
    ax.axhline(target, color=MEDIAN, linewidth=1, label=f"pooled comparator rate: {value_label(target)}")
    others = data[data.index != council]
    ax.scatter(others["denominator"], others["value"], color=OTHERS, edgecolor="#7F7F7F", s=28, label="comparators", zorder=3)
    if council in data.index:
        row = data.loc[council]
        ax.scatter([row["denominator"]], [row["value"]], color=COUNCIL, marker="D", s=60, label=council, zorder=4)
        ax.annotate(f"{council}: {value_label(row['value'])}", (row["denominator"], row["value"]), xytext=(6, 6),
                    textcoords="offset points", color=COUNCIL, fontweight="bold", fontsize=8)
    ax.set_xlabel(denominator_text)
    ax.set_ylabel(_wrap(value_text, 40))
    _title(ax, title)
    ax.legend(fontsize=7, loc="best", frameon=False)
    _finish(fig, illustrative)
    where = ""
    if council in data.index:
        own = data.loc[council]
        l95, u95 = funnel_limits(target, tau2, np.array([own["denominator"]]), multiplier, binomial, Z95)
        l998, u998 = funnel_limits(target, tau2, np.array([own["denominator"]]), multiplier, binomial, Z998)
        inside = ("inside the 95% limits" if l95[0] <= own["value"] <= u95[0] else
                  "outside the 95% but inside the 99.8% limits" if l998[0] <= own["value"] <= u998[0] else "outside the 99.8% limits")
        where = f" {council} ({value_label(own['value'])}) lies {inside}."
    alt = (f"Funnel plot of {value_text} against {denominator_text} for {council} and {len(others)} comparators, with the pooled "
           f"comparator rate {value_label(target)} and 95% and 99.8% control limits, widened for the variation between councils "
           f"beyond chance (between-council standard deviation tau {value_label(math.sqrt(tau2))}).{where}")
    if illustrative:
        alt += " ILLUSTRATIVE: rests on generated example data."
    return fig, alt


def time_series(frame: pd.DataFrame, council: str, title: str, value_label, value_text: str,
                illustrative: bool = False, comparator_text: str = "comparator median",
                breaks: list[tuple[float, str]] = ()) -> tuple[Figure, str]:
    """Lines over financial years: ``frame`` indexed by year with columns 'council', 'median' and
    optionally 'q1', 'q3' (drawn as a band).  ``breaks``: (x position, short label) of each break in
    the series (a whole position marks a year, a half one the gap between two), drawn as dotted
    lines labelled at the top, and listed in the alt text."""
    data = frame.sort_index()
    years = list(data.index)
    x = np.arange(len(years))
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    for position, label in breaks:
        ax.axvline(position, color="#3D3D3D", linestyle=":", linewidth=1)
        # labelled from the foot of the axis, clear of the values written above the points
        ax.annotate(label, (position, 0.02), xycoords=("data", "axes fraction"), xytext=(2, 0), textcoords="offset points",
                    ha="left", va="bottom", fontsize=6.5, color="#3D3D3D", rotation=90,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.5})
    if {"q1", "q3"} <= set(data.columns):
        ax.fill_between(x, data["q1"].astype(float), data["q3"].astype(float), color=OTHERS, alpha=0.5, label="comparators' middle half (Q1-Q3)")
    ax.plot(x, data["median"].astype(float), color=MEDIAN, linestyle="--", marker="s", label=comparator_text)
    ax.plot(x, data["council"].astype(float), color=COUNCIL, marker="o", linewidth=2, label=council)
    for i, v in enumerate(data["council"].astype(float)):
        if not math.isnan(v):
            ax.annotate(value_label(v), (i, v), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=7.5, color=COUNCIL)
    ax.set_xticks(x)
    ax.set_xticklabels(years)
    ax.set_ylabel(_wrap(value_text, 40))
    ax.set_ylim(bottom=0)
    _title(ax, title)
    if breaks:  # the break labels stand at the foot of the axis: the legend goes in a band left free at the top
        ax.set_ylim(0, ax.get_ylim()[1] * 1.25)
        ax.legend(fontsize=7, frameon=False, loc="upper left", ncol=3)
    else:
        ax.legend(fontsize=7, frameon=False, loc="best")
    _finish(fig, illustrative)
    pairs = "; ".join(f"{y}: {value_label(c) if not pd.isna(c) else 'n/a'} (median {value_label(m) if not pd.isna(m) else 'n/a'})"
                      for y, c, m in zip(years, data["council"], data["median"], strict=True))
    alt = f"Line chart of {value_text} for {council} and the {comparator_text}, {years[0]} to {years[-1]}: {pairs}."
    if breaks:
        alt += " Breaks in the series marked: " + "; ".join(label for _, label in breaks) + "."
    if illustrative:
        alt += " ILLUSTRATIVE: rests on generated example data."
    return fig, alt


def budget_bars(lines: pd.DataFrame, title: str, value_label, illustrative: bool = False) -> tuple[Figure, str]:
    """Grouped horizontal bars: one group per budget line, one bar per scenario (colour and hatch,
    with a legend), £ on the x axis.  ``lines``: index = line labels, columns = scenarios."""
    data = lines.iloc[::-1]
    scenarios = list(data.columns)
    n = len(scenarios)
    height = 0.8 / max(n, 1)
    fig, ax = plt.subplots(figsize=(7.5, 0.22 * len(data) * n + 1.6))
    y = np.arange(len(data))
    for i, scenario in enumerate(scenarios):
        colour, hatch = SCENARIO_STYLES[i % len(SCENARIO_STYLES)]
        ax.barh(y + (n - 1 - i) * height - 0.4 + height / 2, data[scenario].to_numpy(dtype=float), height=height, color=colour,
                hatch=hatch, edgecolor="white", label=scenario)
    span = float(np.nanmax(np.abs(data.to_numpy(dtype=float)))) if data.size else 1.0
    for i, scenario in enumerate(scenarios):
        for j, v in enumerate(data[scenario].to_numpy(dtype=float)):
            if not math.isnan(v):
                ax.text(v + span * 0.01 * (1 if v >= 0 else -1), j + (n - 1 - i) * height - 0.4 + height / 2, value_label(v),
                        va="center", ha="left" if v >= 0 else "right", fontsize=6.5)
    rows = _row_labels(ax, list(data.index))
    ax.axvline(0, color="#3D3D3D", linewidth=0.8)
    low = float(np.nanmin(data.to_numpy(dtype=float))) if data.size else 0.0
    # Left of a negative bar, room for its value label (a seventh of the axis), clear of the row names.
    ax.set_xlim(low - 0.15 * (span * 1.3 - low) if low < 0 else 0.0, span * 1.3)
    ax.set_xlabel("£ million in the budget year")
    ax.xaxis.set_major_formatter(lambda value, _: f"{value / 1e6:,.0f}")  # whole £m, not matplotlib's "1e7" offset
    _title(ax, title)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    _finish(fig, illustrative, rows)
    parts = []
    for label, row in lines.iterrows():
        parts.append(f"{label}: " + ", ".join(f"{s} {value_label(v) if not pd.isna(v) else 'n/a'}" for s, v in row.items()))
    alt = f"Grouped bar chart of the base budget by line for scenarios {', '.join(scenarios)}. " + "; ".join(parts) + "."
    if illustrative:
        alt += " ILLUSTRATIVE: some lines rest on generated example data."
    return fig, alt


def bridge_waterfall(steps: pd.DataFrame, title: str, value_label) -> tuple[Figure, str]:
    """Waterfall from a starting total to an ending total: ``steps`` rows of step, amount_gbp and kind
    (start | step | end).  Start and end bars stand on zero in the council's colour; each step floats
    from the running total, increases in orange and decreases in teal, each labelled with its value."""
    labels = list(steps["step"])
    amounts = steps["amount_gbp"].to_numpy(dtype=float)
    kinds = list(steps["kind"])
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(steps) + 1.4))
    running, bottoms, colours = 0.0, [], []
    for amount, kind in zip(amounts, kinds, strict=True):
        if kind == "step":
            bottoms.append(running if amount >= 0 else running + amount)
            colours.append(MEDIAN if amount >= 0 else LIMIT_95)
            running += amount
        else:
            bottoms.append(0.0)
            colours.append(COUNCIL)
            running = amount
    widths = np.abs(amounts)
    y = np.arange(len(steps))[::-1]
    ax.barh(y, widths, left=bottoms, color=colours, height=0.6)
    span = float(np.nanmax(np.array(bottoms) + widths)) if len(steps) else 1.0
    for yi, left, width, amount, kind in zip(y, bottoms, widths, amounts, kinds, strict=True):
        text = value_label(amount) if kind != "step" else ("+" if amount >= 0 else "-") + value_label(abs(amount))
        ax.text(left + width + span * 0.01, yi, text, va="center", fontsize=7.5)
    rows = _row_labels(ax, labels[::-1])
    ax.set_xlim(0, span * 1.2)
    ax.set_xlabel("£ million")
    ax.xaxis.set_major_formatter(lambda value, _: f"{value / 1e6:,.0f}")
    _title(ax, title)
    _finish(fig, False, rows)
    alt = "Waterfall chart: " + "; ".join(
        f"{label} {value_label(a) if kind != 'step' else ('+' if a >= 0 else '-') + value_label(abs(a))}"
        for label, a, kind in zip(labels, amounts, kinds, strict=True)) + "."
    return fig, alt


def simple_bars(values: pd.Series, title: str, value_label, value_text: str, illustrative: bool = False,
                notes: pd.Series | None = None) -> tuple[Figure, str]:
    """Horizontal bars in the council's colour for one council's own items (e.g. fee bands),
    sorted, each labelled with its value (and ``notes``, e.g. placements)."""
    data = values.dropna().sort_values()
    fig, ax = plt.subplots(figsize=(7.0, 0.32 * len(data) + 1.3))
    ax.barh(range(len(data)), data.to_numpy(dtype=float), color=COUNCIL, height=0.6)
    rows = _row_labels(ax, list(data.index))
    span = float(data.max()) if len(data) else 1.0
    for i, (name, v) in enumerate(data.items()):
        extra = f"  ({notes[name]})" if notes is not None and name in notes.index else ""
        ax.text(v + span * 0.01, i, value_label(v) + extra, va="center", fontsize=7.5)
    ax.set_xlim(0, span * 1.45 if span > 0 else 1)
    ax.set_xlabel(value_text)
    _title(ax, title)
    _finish(fig, illustrative, rows)
    alt = f"Bar chart of {value_text}: " + "; ".join(
        f"{name} {value_label(v)}" + (f" ({notes[name]})" if notes is not None and name in notes.index else "") for name, v in data.items()) + "."
    if illustrative:
        alt += " ILLUSTRATIVE: rests on generated example data."
    return fig, alt


#: The XML prologue of matplotlib's SVG: an image in a page needs only the <svg> element.
_SVG_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)


def svg_bytes(fig: Figure) -> bytes:
    """The figure as SVG, drawn once, as it stands, its text kept as text.

    SVG rather than PNG: sharp at any zoom and in print, its labels selectable, about a third the size
    of a 100 dpi PNG, and about a third quicker to make (no glyph is rasterised; the labels were
    measured once, by :func:`_layout`).  Not ``savefig(bbox_inches="tight")``, which lays the whole
    figure out again to find its edges: :func:`_layout` has already fitted the margins to every
    label.  No date in the metadata, so the same chart gives the same file.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return _SVG_PROLOGUE.sub("", buffer.getvalue().decode("utf-8"), count=1).encode("utf-8")


def figure_html(fig: Figure, alt: str, caption: str, close: bool = True) -> str:
    """A self-contained ``<figure>``: SVG as a base64 data URI, the alt text and a caption."""
    svg = svg_bytes(fig)
    if close:
        plt.close(fig)
    data = base64.b64encode(svg).decode("ascii")
    return (f'<figure style="margin:1em 0"><img src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt, quote=True)}" '
            f'style="max-width:100%"><figcaption style="font-size:0.85em;color:#3D3D3D">{html.escape(caption)}</figcaption></figure>')
