"""The drawing surface every report figure shares: palette, axes style, text safety, SVG out.

Figures are built with matplotlib's object API only (``matplotlib.figure.Figure``), never
pyplot, whose global figure manager leaks state between the server's threads. Styling is set
per artist rather than through ``rcParams``, which are process-wide. The two settings the SVG
writer only reads from ``rcParams`` (text kept as text, a fixed id salt so output is
reproducible) are applied in a ``rc_context`` held under a module lock, so concurrent renders
never interleave their save/restore and the values never outlive the call.

Axes are placed by hand, in inches, from estimated text sizes (``left_space``,
``bottom_space``): constrained layout would cost an extra drawing pass per figure.

The SVG is then tidied: the per-element font list is replaced by the app's font stack on the
root element, ids are scoped to the figure (several figures share one HTML page), coordinates
are cut to 0.01 pt, and the root gets ``role="img"`` and an ``aria-label``.
"""

import html
import io
import math
import re
import threading
import unicodedata
from dataclasses import dataclass, field

import matplotlib
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure as MplFigure

# Colours and fonts of static/css/app.css.
INK = "#1b2033"  # --text
INK_2 = "#4a5168"  # --text-2
MUTED = "#6b7289"  # --muted
BORDER = "#cfd4e2"  # --border-strong
GRID = "#e3e6ef"  # --border
SOFT = "#f1f3f9"  # --surface-2
ACCENT = "#4f46e5"  # --accent
ACCENT_SOFT = "#eef0ff"  # --accent-soft
OK, BAD, WARN, INFO = "#13795b", "#c02c38", "#9a6200", "#1d63c4"
# Series colours: the app's accent and status colours first, then hues in the same register.
PALETTE = (ACCENT, OK, BAD, WARN, INFO, "#9333ea", "#0e7490", "#be185d", "#c2410c", MUTED)
SEQUENTIAL = LinearSegmentedColormap.from_list(
    "report", ["#ffffff", ACCENT_SOFT, "#a5a1f3", ACCENT, "#272179"]
).with_extremes(bad=SOFT)
FONT_STACK = (
    "-apple-system, BlinkMacSystemFont, 'Segoe UI', Inter, Roboto, 'Helvetica Neue', Arial, "
    "sans-serif"
)
WIDTH = 8.0  # inches; a full-width figure (768 px at 96 dpi, scaled down to fit a page)
TITLE_SIZE, LABEL_SIZE, TICK_SIZE, NOTE_SIZE = 13, 10, 9, 8.5
EDGE = 0.12  # inches of white around the content
HEADING = 0.32  # inches above an axes that has a heading (its own title)
CHAR_WIDTH = 0.6  # average glyph width in ems, a little wider than the app's fonts
LINE = 1.25  # line height in ems

_SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "ml-platform-report"}
_NO_METADATA = {"Format": None, "Type": None, "Creator": None, "Date": None}
_RENDER_LOCK = threading.Lock()
# Control, surrogate, unassigned (incl. U+FFFE/U+FFFF) and line/paragraph separators.
_UNDRAWABLE = ("Cc", "Cs", "Cn", "Zl", "Zp")
_TAG = re.compile(r"<[^>]+>")
_ID = re.compile(r'\sid="([^"]*)"')
_REFERENCE = re.compile(r'url\(#([^)]+)\)|href="#([^"]+)"')
_FONT_FAMILY = re.compile(r"font-family: [^;\"]*(; )?")
_LONG_DECIMAL = re.compile(r"(\d\.\d\d)\d+")


@dataclass
class Figure:
    """One rendered report figure: SVG text, alt text, and the points it draws as JSON data."""

    name: str
    title: str
    alt: str
    svg: str
    data: dict = field(default_factory=dict)


def new_figure(width, height):
    """A white figure with no layout engine: each figure places its axes itself (in inches).

    Constrained layout would measure every text in an extra drawing pass, about half the
    time a figure takes; the report's figures are regular enough to lay out by estimate.
    """
    return MplFigure(figsize=(width, height), facecolor="#ffffff")


def header_height(subtitle=True):
    """Inches the title (and subtitle) take at the top of a figure."""
    return EDGE + line_height(TITLE_SIZE) + (line_height(NOTE_SIZE + 0.5) if subtitle else 0) + 0.2


def title(fig, text, subtitle=None):
    """The figure's title, left-aligned at the top, with an optional muted line under it."""
    width, height = fig.get_size_inches()
    x, top = EDGE / width, 1 - EDGE / height
    fig.text(
        x,
        top,
        plain(text, limit=None),
        ha="left",
        va="top",
        fontsize=TITLE_SIZE,
        fontweight="bold",
        color=INK,
    )
    if subtitle:
        below = top - line_height(TITLE_SIZE) / height
        fig.text(
            x,
            below,
            plain(subtitle, limit=None),
            ha="left",
            va="top",
            fontsize=NOTE_SIZE + 0.5,
            color=MUTED,
        )


def place(fig, ax, left, bottom, width, height):
    """Put ``ax`` at a rectangle given in inches from the figure's bottom-left corner."""
    fig_width, fig_height = fig.get_size_inches()
    ax.set_position([left / fig_width, bottom / fig_height, width / fig_width, height / fig_height])
    return ax


def text_width(strings, size=None):
    """Estimated inches of the longest of ``strings`` (generous: layout fonts vary)."""
    longest = max((len(str(s)) for s in strings), default=0)
    return longest * (size or TICK_SIZE) * CHAR_WIDTH / 72


def line_height(size):
    return size * LINE / 72


def left_space(ticks, ylabel=True):
    """Inches left of an axes for its y tick labels (and its y label)."""
    label = line_height(LABEL_SIZE) + 0.06 if ylabel else 0.0
    return EDGE + label + text_width(ticks) + 0.1


def bottom_space(ticks=(), rotation=0, xlabel=True):
    """Inches below an axes for its x tick labels (and its x label)."""
    if rotation:
        angle = math.radians(rotation)
        tick = text_width(ticks) * math.sin(angle) + line_height(TICK_SIZE) * math.cos(angle)
    else:
        tick = line_height(TICK_SIZE)
    return EDGE + tick + 0.1 + (line_height(LABEL_SIZE) + 0.04 if xlabel else 0.0)


def tick_texts(axis):
    """The labels the axis will draw at its current limits (for ``left_space``)."""
    low, high = sorted(axis.get_view_interval())
    locations = [v for v in axis.get_majorticklocs() if low <= v <= high]
    return axis.get_major_formatter().format_ticks(locations)


def style_axes(ax, *, grid="both"):
    """The app's look on one axes: light frame, muted ticks, a faint grid behind the data."""
    ax.set_facecolor("#ffffff")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(BORDER)
        ax.spines[side].set_linewidth(0.8)
    ax.tick_params(colors=BORDER, labelcolor=INK_2, labelsize=TICK_SIZE, length=3, width=0.8)
    if grid:
        ax.grid(True, axis=grid, color=GRID, linewidth=0.7)
    ax.set_axisbelow(True)


def labels(ax, x=None, y=None, heading=None):
    if x is not None:
        ax.set_xlabel(plain(x, limit=None), fontsize=LABEL_SIZE, color=INK_2)
    if y is not None:
        ax.set_ylabel(plain(y, limit=None), fontsize=LABEL_SIZE, color=INK_2)
    if heading is not None:
        ax.set_title(plain(heading, limit=None), fontsize=LABEL_SIZE + 1, color=INK, loc="left")


def legend(target, handles, names, **options):
    """A frameless legend from explicit handles and names (names starting with "_" stay)."""
    return target.legend(
        handles,
        [plain(n, limit=48) for n in names],
        frameon=False,
        fontsize=TICK_SIZE,
        labelcolor=INK_2,
        handlelength=1.6,
        **options,
    )


def message(ax, text):
    """An empty panel that says why nothing is drawn."""
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        plain(text, limit=None),
        ha="center",
        va="center",
        fontsize=LABEL_SIZE,
        color=MUTED,
        transform=ax.transAxes,
        wrap=True,
    )


def shorten(value, limit=32):
    """User text on one line, without characters a font or XML cannot take, cut to ``limit``."""
    text = "".join(" " if unicodedata.category(ch) in _UNDRAWABLE else ch for ch in str(value))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def plain(value, limit=32):
    """``shorten`` and escape "$", so matplotlib draws user text as is, never as mathtext.

    Apply it once, right where the text is handed to matplotlib.
    """
    return shorten(value, limit).replace("$", r"\$")


def render(fig, name, title_text, alt, data):
    """Draw ``fig`` to a tidy SVG and wrap it, with its alt text and data, in a ``Figure``."""
    buffer = io.StringIO()
    with _RENDER_LOCK, matplotlib.rc_context(_SVG_RC):
        fig.savefig(buffer, format="svg", metadata=_NO_METADATA)
    return Figure(name, title_text, alt, tidy_svg(buffer.getvalue(), name, alt), data)


def tidy_svg(svg, prefix, alt):
    """Scope ids to ``prefix``, drop unused ids, one font stack, short numbers, ARIA on root."""
    svg = svg[svg.index("<svg") :]
    used = {a or b for a, b in _REFERENCE.findall(svg)}

    def scope_id(match):
        return f' id="{prefix}-{match[1]}"' if match[1] in used else ""

    def tag(match):
        text = _FONT_FAMILY.sub("", match[0])
        text = _ID.sub(scope_id, text)
        text = _REFERENCE.sub(
            lambda m: f"url(#{prefix}-{m[1]})" if m[1] else f'href="#{prefix}-{m[2]}"', text
        )
        return _LONG_DECIMAL.sub(r"\1", text)

    svg = _TAG.sub(tag, svg)
    root = (
        f'<svg role="img" aria-label="{html.escape(shorten(alt, limit=None), quote=True)}" '
        f'font-family="{FONT_STACK}"'
    )
    return svg.replace("<svg", root, 1)
