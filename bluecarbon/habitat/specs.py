"""How a site's habitat is mapped, as typed specifications.

Why types and not a dict of options: a study file's site table used to travel as a plain
mapping read through some thirty string keys scattered over the pipeline (the InVEST ``args``
habit), so a default lived wherever a key was read and a renamed key failed far from its
cause. Here each way of mapping a site is one frozen dataclass whose fields are the keys a
study file may give, with their defaults in one place. The study reader
(:mod:`bluecarbon.pipeline.study`) checks keys and types and builds these; the habitat and
carbon code read attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

#: Spectral indices a random forest is trained on when a study names none.
DEFAULT_FEATURES = ("ndvi", "ndwi", "mndwi")


@dataclass(frozen=True)
class PolygonMapping:
    """Habitat from survey polygons, rasterized on a grid (``source = "polygons"``)."""

    #: Polygon file (GeoJSON, GeoPackage, shapefile) relative to the raw folder.
    polygons: str
    #: Source category -> habitat name (see :class:`bluecarbon.vocab.Habitat`).
    class_map: dict[str, str]
    #: Projected CRS of the grid, e.g. ``EPSG:32617``.
    crs: str
    resolution_m: float
    class_column: str = "category"
    year_column: str = "year"
    #: Source category -> subclass (``continuous``, ``patchy``, ``spartina``, ...).
    subclass_map: dict[str, str] = field(default_factory=dict)
    #: The mapped area (vector file); pixels inside it that no polygon covers are ``background``.
    extent: str | None = None
    #: Column = value filters selecting the extent's features.
    extent_where: dict[str, Any] = field(default_factory=dict)
    background: str = "water"

    def files(self) -> list[str]:
        return [self.polygons, *([self.extent] if self.extent else [])]


@dataclass(frozen=True)
class ImageryMapping:
    """Habitat from classified imagery (``source = "imagery"``): rules or a random forest."""

    #: Glob of the scenes relative to the raw folder.
    images: str
    #: Regular expression whose first group is the scene's date in the file name.
    date_pattern: str
    years: tuple[int, ...]
    #: A rule set (``bluecarbon/params/habitat_rules.csv``) or ``random_forest``.
    classifier: str
    sensor: str | None = None
    scaling: str | None = None
    band_order: str | None = None
    band_names: tuple[str, ...] | None = None
    water_index: str = "mndwi"
    #: Reference labels (raster) for a random forest, their year, nodata and classes.
    labels: str | None = None
    labels_year: int | None = None
    labels_nodata: float | None = None
    label_habitats: dict[int, str] = field(default_factory=dict)
    features: tuple[str, ...] = DEFAULT_FEATURES
    train_per_class: int = 300
    assess_per_class: int = 150
    n_estimators: int = 100
    seed: int = 0
    reference_note: str | None = None


def mapping_keys(kind: type[PolygonMapping] | type[ImageryMapping]) -> tuple[str, ...]:
    """The study-file keys a mapping kind accepts (its field names)."""
    return tuple(f.name for f in fields(kind))


def polygon_mapping(table: dict[str, Any]) -> PolygonMapping:
    """A :class:`PolygonMapping` from a site table whose keys and types were checked."""
    keys = set(mapping_keys(PolygonMapping))
    values = {k: v for k, v in table.items() if k in keys}
    values["resolution_m"] = float(values["resolution_m"])
    return PolygonMapping(**values)


def imagery_mapping(table: dict[str, Any]) -> ImageryMapping:
    """An :class:`ImageryMapping` from a site table whose keys and types were checked."""
    keys = set(mapping_keys(ImageryMapping))
    values = {k: v for k, v in table.items() if k in keys}
    values["years"] = tuple(int(y) for y in values["years"])
    for name in ("band_names", "features"):
        if name in values:
            values[name] = tuple(values[name])
    if "label_habitats" in values:
        values["label_habitats"] = {int(k): str(v) for k, v in values["label_habitats"].items()}
    return ImageryMapping(**values)
