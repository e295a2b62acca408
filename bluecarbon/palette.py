"""Colours and styling rules of every figure: research plots (:mod:`bluecarbon.plots`) and
statement maps (:mod:`bluecarbon.report.maps`) draw a habitat, "no data" or water the same way.

Kept apart from both users, with no matplotlib import, so that a colour is decided in one
place and a test can compare the two renderings against it. The rules:

- every habitat class has one colour (:data:`HABITAT_COLOURS`); "other" (mapped, but not a
  habitat of the pipeline) is a neutral mid grey;
- "no data" (outside the mapped area) is never a colour a class could have: white under a
  grey hatch (:data:`NODATA_FACE`, :data:`NODATA_HATCH`, :data:`NODATA_EDGE`);
- in carbon maps, pixels that hold no carbon because they are not habitat are masked and
  drawn underneath as a pale background: water pale blue (:data:`WATER_BACKGROUND`), other
  non-habitat pale grey (:data:`NON_HABITAT_BACKGROUND`); neither colour occurs in the
  sequential (:data:`SEQUENTIAL_CMAP`) or diverging (:data:`DIVERGING_CMAP`) scales;
- subclasses (cover, salt-marsh species) and lines that are not classes (releases) have their
  own lists;
- the figure's chrome (ink, paper, frames, notes, zero lines, bands of totals) is named here
  too, so no figure module spells a colour.
"""

from __future__ import annotations

from bluecarbon.errors import InputError
from bluecarbon.vocab import Habitat, Subclass

#: One colour per habitat class.
HABITAT_COLOURS: dict[Habitat, str] = {
    Habitat.SEAGRASS: "#1b9e77",
    Habitat.SALT_MARSH: "#a6d854",
    Habitat.MANGROVE: "#00441b",
    Habitat.TIDAL_FLAT: "#d9b365",
    Habitat.SHELLFISH_AQUACULTURE: "#e6550d",
    Habitat.SEAWEED_AQUACULTURE: "#7b4fa6",
    Habitat.WATER: "#6baed6",
    Habitat.OTHER: "#a3a3a3",
}

#: "No data": white under a grey hatch, never a class colour.
NODATA_FACE = "#ffffff"
NODATA_EDGE = "#9a9a9a"
NODATA_HATCH = "////"

#: Carbon maps: masked pixels without carbon, drawn as a pale background.
WATER_BACKGROUND = "#d6e8f5"
NON_HABITAT_BACKGROUND = "#e9e9e9"

#: Colour scales of carbon maps: stocks (from zero) and signed fluxes (centred on zero;
#: pink = emission, green = sink; colour-blind safe, and no blue to mistake for water).
SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "PiYG"

#: Site net flux: the area between zero and the central value where a site is a sink
#: (net removal) or an emitter; the light ends of :data:`DIVERGING_CMAP`.
SINK_FILL = "#b8e186"
EMITTER_FILL = "#f1b6da"

#: Subclass layer: cover and salt-marsh species ("none" = no subclass known).
SUBCLASS_COLOURS: dict[Subclass, str] = {
    Subclass.PATCHY: "#66c2a5",
    Subclass.SPARTINA: "#d95f02",
    Subclass.SUAEDA: "#e7298a",
    Subclass.PHRAGMITES: "#8da0cb",
}
NO_SUBCLASS_COLOUR = "#e9e9e9"
#: Hatches of subclasses drawn over a habitat map's class colours.
SUBCLASS_HATCHES: dict[Subclass, str] = {
    Subclass.PATCHY: "....",
    Subclass.SPARTINA: "xxx",
    Subclass.SUAEDA: "\\\\\\",
    Subclass.PHRAGMITES: "+++",
}

#: Lines that are not classes (releases, unknown classes), in order.
SERIES_COLOURS: tuple[str, ...] = ("#1f78b4", "#e31a1c", "#33a02c", "#ff7f00", "#6a3d9a", "#b15928")

#: Outline of a parcel on a statement map.
PARCEL_OUTLINE = "#c00000"
#: Edge of legend patches.
PATCH_EDGE = "#333333"

#: Figure chrome (not data): ink of lines, arrows and scale bars, the paper behind a figure,
#: frames of boxes drawn over a map, notes under a title, zero lines and the band of a total.
INK = "black"
PAPER = "white"
FRAME_EDGE = "#999999"
NOTE_TEXT = "#555555"
ZERO_LINE = "#444444"
BAND_FILL = "#8c8c8c"


def habitat_colour(name: str) -> str | None:
    """The colour of a habitat class by name (canonical or synonym), None if not a habitat."""
    try:
        return HABITAT_COLOURS[Habitat.parse(name)]
    except InputError:
        return None


def subclass_colour(name: str) -> str | None:
    """The colour of a subclass by name; ``none`` (no subclass) has its own pale grey."""
    if name.strip().lower() in ("none", "continuous", ""):
        return NO_SUBCLASS_COLOUR
    try:
        return SUBCLASS_COLOURS[Subclass(name.strip().lower())]
    except ValueError:
        return None


def subclass_hatch(name: str) -> str:
    """The hatch of a subclass drawn over a habitat map."""
    try:
        return SUBCLASS_HATCHES[Subclass(name.strip().lower())]
    except ValueError:
        return ".."


def series_colour(index: int) -> str:
    """The ``index``-th colour for lines that are not habitat classes."""
    return SERIES_COLOURS[index % len(SERIES_COLOURS)]


__all__ = [
    "BAND_FILL",
    "DIVERGING_CMAP",
    "EMITTER_FILL",
    "FRAME_EDGE",
    "HABITAT_COLOURS",
    "INK",
    "NODATA_EDGE",
    "NODATA_FACE",
    "NODATA_HATCH",
    "NON_HABITAT_BACKGROUND",
    "NOTE_TEXT",
    "NO_SUBCLASS_COLOUR",
    "PAPER",
    "PARCEL_OUTLINE",
    "PATCH_EDGE",
    "SEQUENTIAL_CMAP",
    "SERIES_COLOURS",
    "SINK_FILL",
    "SUBCLASS_COLOURS",
    "SUBCLASS_HATCHES",
    "WATER_BACKGROUND",
    "ZERO_LINE",
    "habitat_colour",
    "series_colour",
    "subclass_colour",
    "subclass_hatch",
]
