"""Figures in English or Chinese, and text that fits them.

The figure functions write English only; a Chinese figure is the same figure with its texts
replaced from :data:`bluecarbon.vocab.PLOT_ZH` once it is built and before its layout is fixed
(:func:`localise_figure`), so there is one figure function per figure, not one per language,
and the translations live beside the habitat names. The language in force is a context
variable (:func:`plot_language`), not a parameter of every function: the glue functions set it
for the figures they build. Any text holding Chinese characters (a site's Chinese name in an
English figure too) gets a CJK font behind DejaVu Sans (:mod:`bluecarbon.plots.fonts`), so no
glyph is drawn as a box; a long title is wrapped to the figure's width (a Chinese character is
two columns wide).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from matplotlib.figure import Figure
from matplotlib.text import Text

from bluecarbon.errors import InputError
from bluecarbon.plots.fonts import cjk_font_family
from bluecarbon.vocab import PLOT_ZH

#: Language of the figures being built (``en`` or ``zh``): set by :func:`plot_language`.
_LANG: ContextVar[str] = ContextVar("bluecarbon_plot_lang", default="en")
PLOT_LANGS = ("en", "zh")


@contextmanager
def plot_language(lang: str) -> Iterator[None]:
    """Build figures in ``lang`` (``en`` or ``zh``) inside the block."""
    if lang not in PLOT_LANGS:
        raise InputError(f"language {lang!r}", column="lang", expected=" or ".join(PLOT_LANGS))
    token = _LANG.set(lang)
    try:
        yield
    finally:
        _LANG.reset(token)


def has_cjk(text: str) -> bool:
    """True when ``text`` holds a character drawn double width (Chinese, full-width punctuation)."""
    return any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


def translate_label(text: str, lang: str) -> str:
    """``text`` in ``lang``: the Chinese phrases of :data:`PLOT_ZH` replaced in order."""
    if lang != "zh":
        return text
    for pattern, replacement in PLOT_ZH:
        text = re.sub(pattern, replacement, text)
    return text


def wrap_label(text: str, width: float) -> str:
    """``text`` broken into lines of at most ``width`` columns (a Chinese character is two
    columns), at spaces, or between Chinese characters where a line has none."""
    lines: list[str] = []
    line, size = "", 0.0
    tokens = re.findall(r"\s+|[^\s]", text.replace("\n", " "))
    words: list[str] = []
    for token in tokens:  # words of Latin letters, single wide characters, spaces
        if token.isspace():
            words.append(" ")
        elif has_cjk(token) or not words or words[-1] == " " or has_cjk(words[-1][-1]):
            words.append(token)
        else:
            words[-1] += token
    for word in words:
        cols = sum(2 if has_cjk(ch) else 1 for ch in word)
        if size + cols > width and line.strip():
            lines.append(line.rstrip())
            line, size = ("", 0.0) if word == " " else (word, cols)
            continue
        line, size = line + word, size + cols
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def suptitle(fig: Figure) -> Text | None:
    """The figure's title artist (matplotlib keeps it in a private attribute)."""
    title = getattr(fig, "_suptitle", None)
    return title if isinstance(title, Text) else None


def localise_figure(fig: Figure, lang: str | None = None) -> Figure:
    """Every text of ``fig`` in ``lang`` (default: the :func:`plot_language` in force), with a
    CJK fallback font where a text holds Chinese characters, and the title wrapped to the
    figure's width. Call it before the layout is fixed (the map and series functions do)."""
    lang = lang or _LANG.get()
    family: list[str] | None = None
    for text in fig.findobj(Text):
        new = translate_label(text.get_text(), lang)
        if new != text.get_text():
            text.set_text(new)
        if has_cjk(new):
            if family is None:
                cjk = cjk_font_family()
                family = ["DejaVu Sans", cjk] if cjk else ["DejaVu Sans"]
            text.set_fontfamily(family)
    title = suptitle(fig)
    if title is not None and title.get_text():
        columns = fig.get_figwidth() * 72.0 / (0.6 * float(title.get_fontsize())) - 4
        title.set_text(wrap_label(title.get_text(), max(columns, 20.0)))
    return fig
