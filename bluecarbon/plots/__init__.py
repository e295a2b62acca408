"""Figures for people who would rather look than read: habitat maps, carbon maps and time
series with their uncertainty bands.

A package of one module per concern: :mod:`~.common` (labels, units words, PNG), :mod:`~.layout`
(the map frame: axes in km, scale bar, "no data", legends), :mod:`~.maps` (habitat and carbon
maps), :mod:`~.series` (time series of the release tables), :mod:`~.figures` (catalog to
figure), :mod:`~.language` (Chinese figures, wrapped titles) and :mod:`~.fonts` (CJK fonts).
Everything a caller needs is importable from ``bluecarbon.plots`` itself.

Shaped for three callers at once (notebooks, ``bluecarbon plot`` and tests):

- The figure functions take data (a DataArray, a totals DataFrame) and return a
  :class:`matplotlib.figure.Figure`. They never call ``pyplot``, open a store or read the
  configuration, so no global plotting state leaks between calls, they run headless with
  matplotlib's Agg canvas, and a notebook displays the returned figure as it is.
- Labels come from the data, not from the caller: units from the ``units`` attribute, the
  carbon basis from ``carbon_basis`` (``Mg C ha-1``), the period of a per-period quantity
  from its ``period`` coordinate (``Mg C ha-1 per period 2016-2017``), habitat names from the
  CF ``flag_values``/``flag_meanings`` attributes. Identifiers become words in one place
  (:func:`id_label`, :func:`site_label`): a figure never shows ``net_sequestration``. A CO2e
  view converts with :func:`bluecarbon.units.to_basis`, the one C-to-CO2e factor of the code
  base.
- Colours and the "no data" / water / non-habitat rules come from :mod:`bluecarbon.palette`,
  shared with the statement maps.
- Everything a figure shows is inside the figure: legends sit outside the axes (never over
  data or a band) in space the constrained layout reserves, and map figures are sized to the
  map's aspect ratio, so there is no empty band above or beside a map.
- :func:`map_figure` and :func:`series_figure` are the thin glue from a catalog and a few
  names to a figure; :func:`save_png` writes it. That is all the CLI needs.
- Language is applied once a figure is built, before its layout is fixed
  (:func:`localise_figure`): the figure functions write English and a Chinese figure replaces
  its texts (``lang="zh"`` of the glue functions, or :func:`plot_language`).

Maps are computed only at display resolution: large grids are thinned (categorical maps by
taking every k-th pixel, continuous maps by block means) to at most ``max_size`` pixels a
side, and the figure says so. Class areas in a habitat map's legend are counted on the full
grid, lazily, in one pass. Carbon maps mask the pixels that hold no carbon because they are
not habitat (water, and other non-habitat classes where the value is exactly zero) and draw
them as a pale background, so that a zero of the colour scale always means a habitat pixel.
"""

from __future__ import annotations

from bluecarbon.plots.common import (
    HABITAT_COLOURS,
    QUANTITY_NAMES,
    SERIES_QUANTITIES,
    SITE_NET_FLUX,
    VARIABLE_LABELS,
    GroupedFormatter,
    SeriesQuantity,
    id_label,
    release_site_names,
    save_png,
    site_label,
    units_label,
)
from bluecarbon.plots.figures import map_figure, select_layer, series_figure
from bluecarbon.plots.language import localise_figure, plot_language, translate_label, wrap_label
from bluecarbon.plots.layout import NODATA_LABEL, add_scale_bar, nice_length
from bluecarbon.plots.maps import habitat_classes, habitat_map, quantity_map
from bluecarbon.plots.series import (
    area_band_label,
    available_quantities,
    class_series,
    release_series,
    series_table,
    site_balance_table,
)

__all__ = [
    "HABITAT_COLOURS",
    "NODATA_LABEL",
    "QUANTITY_NAMES",
    "SERIES_QUANTITIES",
    "SITE_NET_FLUX",
    "VARIABLE_LABELS",
    "GroupedFormatter",
    "SeriesQuantity",
    "add_scale_bar",
    "area_band_label",
    "available_quantities",
    "class_series",
    "habitat_classes",
    "habitat_map",
    "id_label",
    "localise_figure",
    "map_figure",
    "nice_length",
    "plot_language",
    "quantity_map",
    "release_series",
    "release_site_names",
    "save_png",
    "select_layer",
    "series_figure",
    "series_table",
    "site_balance_table",
    "site_label",
    "translate_label",
    "units_label",
    "wrap_label",
]
