"""The picture of the week: the week's tenders by theme against the previous weeks' average, and the share
reserved to the ESS or with an insertion clause. One small matplotlib figure per issue (Agg backend, no GUI),
as SVG for the HTML and PNG for the DOCX; its data is also given as a table in every format.

The output is made deterministic (fixed SVG hash salt, no date or software in the metadata), so the same
issue gives the same bytes with the same matplotlib.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache

from formatting.charts import GREY, TEAL, new_figure, plain_axes, png_of, style, svg_of
from newsletter.content import Chart, ChartRow

SALT = "ess-newsletter"


def _key(chart: Chart) -> tuple:
    """What the picture shows: one figure per distinct key, the HTML's SVG and the DOCX's PNG saved from it."""
    return (tuple((r.label, r.week, r.average) for r in chart.rows), chart.social, chart.total, chart.weeks)


@lru_cache(maxsize=4)
def _drawn(key: tuple):  # -> matplotlib.figure.Figure
    rows_data, social, total, weeks = key
    chart = Chart([ChartRow(*r) for r in rows_data], social, total, weeks)

    rows = chart.rows[::-1]  # the first theme on top
    top, bottom = 0.85, 0.35  # inches: the title and the legend above, the axis below
    height = top + bottom + 0.45 * max(len(rows), 1)
    fig = new_figure(7.2, height)
    with style(SALT, **{"font.size": 9}):
        ax = fig.add_axes((0.34, bottom / height, 0.62, 1 - (top + bottom) / height))
        y = list(range(len(rows)))
        ax.barh([i + 0.2 for i in y], [r.week for r in rows], height=0.4, color=TEAL, label="Cette semaine")
        ax.barh(
            [i - 0.2 for i in y],
            [r.average for r in rows],
            height=0.4,
            color=GREY,
            label=f"Moyenne des {chart.weeks} semaines précédentes",
        )
        ax.set_yticks(y, ["\n".join(textwrap.wrap(r.label, 28)) for r in rows])
        ax.xaxis.get_major_locator().set_params(integer=True)
        plain_axes(ax)
        fig.legend(loc="upper left", bbox_to_anchor=(0.015, 1 - 0.32 / height), ncols=2, frameon=False, fontsize=8)
        fig.suptitle(
            f"Marchés par thème — réservés ou avec clause d'insertion : {chart.social} sur {chart.total}"
            f" ({chart.share})",
            x=0.02,
            y=0.98,
            ha="left",
            fontsize=10,
            color="#111827",
        )
    return fig


def svg(chart: Chart) -> str:
    """The chart as an inline <svg> element (no XML prolog, no DOCTYPE, no metadata)."""
    return _svg(_key(chart))


@lru_cache(maxsize=8)  # the same week compiled again (all four formats, a re-run) is drawn once
def _svg(key: tuple) -> str:
    return svg_of(_drawn(key), SALT, "Graphique de la semaine (données dans le tableau)")


def png(chart: Chart) -> bytes:
    """The chart as a PNG (for the DOCX), without the software's name in its metadata."""
    return _png(_key(chart))


@lru_cache(maxsize=8)
def _png(key: tuple) -> bytes:
    return png_of(_drawn(key))
