"""Fonts with Chinese glyphs for figures and statement maps.

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs and draws each as a box. The
font is looked up once per process: a family matplotlib already knows, else the face
fontconfig finds for ``:lang=zh-cn`` (registered with matplotlib, whose font cache may predate
the font's installation). It lives with the figures, the lowest layer that draws text, so both
the figures and the statement maps above them use the same lookup.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

#: Font families with Chinese glyphs matplotlib may already know.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei")
#: The Debian/Ubuntu package that provides them.
CJK_PACKAGE = "fonts-noto-cjk"


@cache
def cjk_font_file() -> tuple[str, int] | None:
    """(font file, index in a collection) with Chinese glyphs (fontconfig), or None."""
    fc = shutil.which("fc-match")
    if fc is None:
        return None
    out = subprocess.run(
        [fc, "-f", "%{file}|%{index}", ":lang=zh-cn"], capture_output=True, text=True, timeout=20
    )
    path, _, index = out.stdout.strip().partition("|")
    if not path or not Path(path).is_file() or "DejaVu" in path:
        return None
    return path, int(index or 0)


def _known_family(name: str) -> bool:
    from matplotlib import font_manager

    try:
        font_manager.findfont(name, fallback_to_default=False)
    except ValueError:
        return False
    return True


@cache
def cjk_font_family() -> str | None:
    """A matplotlib font family with Chinese glyphs, or None.

    A family matplotlib already knows is used as it is; otherwise the font fontconfig finds
    for ``:lang=zh-cn`` is registered with matplotlib (``fontManager.addfont``: its cache
    may predate the font) and the family of that face is returned.
    """
    from matplotlib import font_manager

    for candidate in CJK_FAMILIES:
        if _known_family(candidate):
            return candidate
    found = cjk_font_file()
    if found is None:
        return None
    path, index = found
    font_manager.fontManager.addfont(path)
    faces = [e for e in font_manager.fontManager.ttflist if Path(e.fname) == Path(path)]
    face = next((e for e in faces if e.index == index), faces[0] if faces else None)
    return face.name if face is not None and _known_family(face.name) else None
