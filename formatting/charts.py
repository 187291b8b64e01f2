"""The house charts: matplotlib on the Agg backend (no GUI, no pyplot global state), saved as an inline,
responsive <svg> for the HTML outputs and as a PNG for the DOCX, deterministically (fixed SVG hash salt, no
date or software in the metadata): the same data gives the same bytes. Shared by the newsletter's picture of
the week and the observatory's report.
"""

from __future__ import annotations

import io
import re
from contextlib import AbstractContextManager
from typing import Any

TEAL, GREY, PURPLE, AMBER, INK, LIGHT = "#0f766e", "#9ca3af", "#5b21b6", "#b45309", "#111827", "#e5e7eb"


def style(salt: str, **extra: Any) -> AbstractContextManager[Any]:
    """The rc settings every house chart is drawn and saved under (`salt`: the SVG ids' seed)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    return matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "path", **extra})


def new_figure(width: float, height: float) -> Any:
    """A matplotlib Figure (inches) on the Agg backend, outside pyplot."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def plain_axes(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def svg_of(fig: Any, salt: str, label: str) -> str:
    """The figure as an inline <svg> element (no XML prolog, no DOCTYPE, no metadata), full width on a
    phone and never wider than drawn, with `label` for screen readers."""
    out = io.StringIO()
    with style(salt):
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None, "Format": None})
    text = out.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    text = re.sub(r'^<svg([^>]*?) width="([\d.]+)pt" height="([\d.]+)pt"', _responsive, text, count=1)
    quoted = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return text.replace("<svg ", f'<svg role="img" aria-label="{quoted}" ', 1)


def _responsive(m: re.Match[str]) -> str:
    return f'<svg{m.group(1)} width="100%" style="max-width:{m.group(2)}pt;height:auto"'


def png_of(fig: Any, dpi: int = 150) -> bytes:
    """The figure as a PNG, without the software's name in its metadata."""
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()
