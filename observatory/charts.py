"""The report's charts: the share of the amounts going to TPE/PME/ESS holders per month, per theme, per
buyer, against the charter's target line, with the part whose holder is unknown stacked above it (so the
reader sees how far the unknown could move the figure). Drawn with the house chart helpers
(formatting.charts); each chart's data is also a table in the report.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from formatting.charts import AMBER, LIGHT, TEAL, new_figure, plain_axes, style, svg_of

SALT = "ess-observatory"
LEGEND = 0.62  # inches above the axes for the legend (two rows)


@dataclass(frozen=True)
class Bar:
    label: str
    known: float  # share (of the amounts, or of the number) going to TPE/PME/ESS holders (0..1)
    unknown: float  # share whose holder is unknown


def _percent(value: float, _pos: object = None) -> str:
    return f"{100 * value:.0f}\u00a0%"


def shares_chart(bars: list[Bar], target: float, title: str, *, vertical: bool, basis: str = "des montants") -> str:
    """An inline SVG: one bar per group (months left to right when `vertical`, else the first group on top)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

    n = max(len(bars), 1)
    with style(SALT, **{"font.size": 9, "hatch.color": "#6b7280"}):
        # drawn narrow (about 5.5 in): on a phone the figure shrinks to the screen and its text stays legible
        if vertical:
            width, height = max(5.0, min(7.0, 1.0 + 0.45 * n)), 3.4
            fig = new_figure(width, height)
            ax = fig.add_axes((0.6 / width, 0.75 / height, 1 - 0.75 / width, 1 - (0.75 + LEGEND) / height))
        else:
            height = 0.5 + LEGEND + 0.42 * n
            width = 5.6
            fig = new_figure(width, height)
            ax = fig.add_axes((2.0 / width, 0.45 / height, 1 - 2.2 / width, 1 - (0.5 + LEGEND) / height))
        items = bars if vertical else bars[::-1]
        pos = list(range(len(items)))
        known = [b.known for b in items]
        unknown = [b.unknown for b in items]
        labels = [b.label for b in items]
        top = max([k + u for k, u in zip(known, unknown, strict=True)] + [target * 1.25, 0.3])
        top = min(1.0, top * 1.08)
        if vertical:
            ax.bar(pos, known, width=0.65, color=TEAL)
            ax.bar(pos, unknown, width=0.65, bottom=known, color=LIGHT, hatch="///", edgecolor="#9ca3af", lw=0)
            ax.axhline(target, color=AMBER, lw=1.8, ls="--", zorder=3)
            ax.set_xticks(pos, labels, rotation=45 if n > 6 else 0, ha="right" if n > 6 else "center")
            ax.set_ylim(0, top)
            ax.yaxis.set_major_formatter(FuncFormatter(_percent))
            ax.grid(axis="y", color="#f3f4f6", lw=0.8)
        else:
            ax.barh(pos, known, height=0.6, color=TEAL)
            ax.barh(pos, unknown, height=0.6, left=known, color=LIGHT, hatch="///", edgecolor="#9ca3af", lw=0)
            ax.axvline(target, color=AMBER, lw=1.8, ls="--", zorder=3)
            ax.set_yticks(pos, ["\n".join(textwrap.wrap(x, 28)[:2]) for x in labels])
            ax.set_xlim(0, top)
            ax.xaxis.set_major_formatter(FuncFormatter(_percent))
            ax.grid(axis="x", color="#f3f4f6", lw=0.8)
        ax.set_axisbelow(True)
        plain_axes(ax)
        legend = [
            Patch(color=TEAL, label=f"Part {basis} aux TPE/PME et à l'ESS"),
            Patch(facecolor=LIGHT, hatch="///", edgecolor="#9ca3af", label="Titulaire inconnu"),
            Line2D([0], [0], color=AMBER, lw=1.8, ls="--", label=f"Objectif de la charte ({_percent(target)})"),
        ]
        # the title is the report's heading above the chart; the legend takes its place
        fig.legend(handles=legend, loc="upper left", bbox_to_anchor=(0.01, 1 - 0.04 / height), ncols=2,
                   frameon=False, fontsize=8)  # fmt: skip
    return svg_of(fig, SALT, f"{title} (données dans le tableau)")
