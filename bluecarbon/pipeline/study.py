"""Study specifications: which raw inputs a monitoring run uses, and how.

A study file (TOML, e.g. ``data/studies/demo.toml``) lists the sites (habitat polygons or
imagery), the core data and the parcels. It is data, so users describe their own area by
copying it; it is validated here with errors that name the file and key.

Every table accepts an explicit set of keys, each with its type (:data:`STUDY_KEYS`,
:data:`SITE_KEYS`): a misspelt key is an error naming the table and the nearest allowed key,
never a silently applied default (a ``backgrnd`` typo would otherwise turn "other" into
"water" and publish it), and a value of the wrong type (``resolution_m = "20"``) is an error
too. A site is then built into typed specifications (:class:`Site`, and its
:mod:`bluecarbon.habitat.specs` mapping), so the steps read attributes, not string keys; a test
keeps the allowed keys and the specifications' fields the same.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bluecarbon.errors import InputError
from bluecarbon.fingerprint import canonical_json, sha256_text
from bluecarbon.habitat.specs import ImageryMapping, PolygonMapping, imagery_mapping, polygon_mapping
from bluecarbon.ingest.parcels import ParcelSpec
from bluecarbon.store.ids import check_name
from bluecarbon.vocab import Habitat

#: Survey-template tables that hold cores (file names in a folder of template CSV files).
SURVEY_CORE_TABLES = ("cores", "depth_intervals")


@dataclass(frozen=True)
class CoreSource:
    """Soil cores: a Coastal Carbon Network folder (``ccn_dir`` and its ``files``) and/or
    survey-template workbooks or CSV folders (``surveys``), all relative to the raw folder."""

    ccn_dir: str | None = None
    files: tuple[str, ...] = ()
    surveys: tuple[str, ...] = ()

    def survey_files(self, raw_dir: Path) -> list[str]:
        """Files the surveys read: a workbook itself, or a CSV folder's core tables."""
        from bluecarbon.ingest.survey import TEMPLATE  # pandas: not needed to read a study

        out = []
        for entry in self.surveys:
            folder = raw_dir / entry
            if not folder.is_dir():
                out.append(entry)
                continue
            names = [n for t in SURVEY_CORE_TABLES for n in (f"{t}.csv", f"{TEMPLATE[t].zh}.csv")]
            found = [f"{entry.rstrip('/')}/{n}" for n in names if (folder / n).is_file()]
            if not found:
                raise InputError(
                    "survey folder has no core tables",
                    file=folder,
                    expected="cores.csv and depth_intervals.csv (or their Chinese names)",
                )
            out += found
        return out

    def all_files(self, raw_dir: Path) -> list[str]:
        return [*self.files, *self.survey_files(raw_dir)]


@dataclass(frozen=True)
class Site:
    """A site of a study: how its habitat is mapped (``mapping``) and what the carbon step
    needs to know about it. ``options`` is the site's table as written in the study file, kept
    only to fingerprint the steps that read it; code reads the typed fields."""

    id: str
    name: str
    mapping: PolygonMapping | ImageryMapping
    #: Chinese name, shown in zh statements and figures when given.
    name_zh: str | None = None
    #: Sediment setting (``carbonate`` or ``siliciclastic``): which cores represent the site.
    setting: str | None = None
    #: IPCC climate zone selecting Tier 1 rows (e.g. ``tropical``), when it matters.
    climate_zone: str | None = None
    #: Region of the ``regional_parameters`` table (e.g. ``shandong``): regional rows applied
    #: or shown as references beside the site's figures.
    region: str | None = None
    #: (longitude, latitude) the core search is centred on; default: the grid's centre.
    reference_point: tuple[float, float] | None = None
    #: Per-habitat core selections (see bluecarbon.carbon.representative).
    soil_cores: dict[str, Any] = field(default_factory=dict)
    accuracy_note: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> Literal["polygons", "imagery"]:
        return "polygons" if isinstance(self.mapping, PolygonMapping) else "imagery"

    def files(self, raw_dir: Path) -> list[str]:
        """Raw files (relative to ``raw_dir``) this site reads."""
        if isinstance(self.mapping, PolygonMapping):
            return self.mapping.files()
        return self.image_files(raw_dir) + ([self.mapping.labels] if self.mapping.labels else [])

    def image_files(self, raw_dir: Path) -> list[str]:
        """Images (relative to ``raw_dir``) of an imagery site, sorted."""
        if not isinstance(self.mapping, ImageryMapping):
            raise InputError(f"site {self.id} maps habitat from polygons, not imagery")
        pattern = self.mapping.images
        found = sorted(p.relative_to(raw_dir).as_posix() for p in raw_dir.glob(pattern))
        if not found:
            raise InputError(f"site {self.id}: no images match {pattern!r}", file=raw_dir)
        return found


#: Biomass plot formats the pipeline reads (see bluecarbon.ingest.biomass).
PLOT_KINDS = ("template", "fourqurean2012", "lumcon")
#: Harvest formats: FAO FishStat exports or the survey template's harvests table.
HARVEST_KINDS = ("fao", "template")


@dataclass(frozen=True)
class PlotSource:
    """A biomass plot table; ``ccn_dir`` gives coordinates and species for Fourqurean 2012."""

    kind: str
    file: str
    ccn_dir: str | None = None

    @property
    def files(self) -> tuple[str, ...]:
        extra = (
            (f"{self.ccn_dir}/ccn_cores.csv.gz", f"{self.ccn_dir}/ccn_species.csv.gz") if self.ccn_dir else ()
        )
        return (self.file, *extra)


@dataclass(frozen=True)
class HarvestSource:
    """Shellfish and seaweed production statistics (``countries``: ISO3 codes to keep)."""

    kind: str
    file: str
    countries: tuple[str, ...] = ()
    illustrative: bool = False


@dataclass(frozen=True)
class Study:
    name: str
    path: Path
    cores: CoreSource
    sites: tuple[Site, ...]
    parcels: tuple[ParcelSpec, ...]
    digest: str
    plots: tuple[PlotSource, ...] = ()
    harvests: tuple[HarvestSource, ...] = ()

    def raw_files(self, raw_dir: Path) -> list[str]:
        files = self.cores.all_files(raw_dir)
        for site in self.sites:
            files += site.files(raw_dir)
        files += [str(p.file) for p in self.parcels]
        for plot in self.plots:
            files += plot.files
        files += [h.file for h in self.harvests]
        return sorted(set(files))


def _core_source(table: dict[str, Any], path: Path) -> CoreSource:
    """``[cores]``: ``ccn_dir`` with ``files``, ``surveys``, or both."""
    ccn_dir, files, surveys = table.get("ccn_dir"), table.get("files", []), table.get("surveys", [])
    for key, value in (("files", files), ("surveys", surveys)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(f"[cores] {key} must be a list of paths", file=path, column=key)
    if ccn_dir is None and files:
        raise InputError("[cores] files without ccn_dir", file=path, column="ccn_dir")
    if ccn_dir is not None and not files:
        raise InputError("[cores] ccn_dir without files", file=path, column="files")
    if ccn_dir is None and not surveys:
        raise InputError(
            "[cores] names no cores",
            file=path,
            column="cores",
            expected="ccn_dir and files (Coastal Carbon Network tables) and/or surveys (template workbooks)",
        )
    return CoreSource(ccn_dir=ccn_dir, files=tuple(files), surveys=tuple(surveys))


# ------------------------------------------------------------------ allowed keys and types
#: A type check: None when ``value`` fits, else what was expected.
Check = Callable[[Any], str | None]


def _is(kind: type | tuple[type, ...], expected: str) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            return expected
        return None if isinstance(value, kind) else expected

    return check


def _list_of(kind: type, expected: str) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, list) and all(
            isinstance(v, kind) and not (isinstance(v, bool) and kind is not bool) for v in value
        )
        return None if ok else expected

    return check


def _table_of(values: Check | None, expected: str) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, dict):
            return expected
        if values is not None and any(values(v) is not None for v in value.values()):
            return expected
        return None

    return check


def _positive(kind: type | tuple[type, ...], expected: str) -> Check:
    base = _is(kind, expected)
    return lambda value: base(value) or (None if value > 0 else expected)


def _one_of(*choices: str) -> Check:
    expected = " or ".join(repr(c) for c in choices)
    return lambda value: None if value in choices else expected


def _regex(value: Any) -> str | None:
    if not isinstance(value, str):
        return "a regular expression (string) with one group capturing YYYYMMDD"
    try:
        return None if re.compile(value).groups >= 1 else "a regular expression with a (group) for the date"
    except re.error as exc:
        return f"a valid regular expression ({exc})"


def _point(value: Any) -> str | None:
    expected = "[longitude, latitude] in degrees"
    if not (isinstance(value, list) and len(value) == 2):
        return expected
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return expected
    lon, lat = value
    return None if -180 <= lon <= 180 and -90 <= lat <= 90 else expected


STR = _is(str, "a string")
BOOL = _is(bool, "true or false")
INT = _is(int, "an integer")
POS_INT = _positive(int, "an integer above 0")
POS_NUMBER = _positive((int, float), "a number above 0 (without quotes)")
NUMBER = _is((int, float), "a number (without quotes)")
STRS = _list_of(str, "a list of strings")
INTS = _list_of(int, "a list of integers")
TABLE = _table_of(None, "a table")
TABLE_OF_STR = _table_of(STR, "a table of strings")
TABLE_OF_TABLES = _table_of(TABLE, "a table of tables (habitat = { ... })")
TABLE_OF_SCALARS = _table_of(_is((str, int, float, bool), "a value"), "a table of column = value")
SUBCLASS = _table_of(
    _one_of("continuous", "patchy", "spartina", "suaeda", "phragmites"),
    "a table of category = 'continuous', 'patchy', 'spartina', 'suaeda' or 'phragmites'",
)

#: Top-level keys of a study file.
STUDY_KEYS: dict[str, Check] = {
    "name": STR,
    "description": STR,
    "cores": TABLE,
    "sites": _list_of(dict, "an array of [[sites]] tables"),
    "parcels": _list_of(dict, "an array of [[parcels]] tables"),
    "plots": _list_of(dict, "an array of [[plots]] tables"),
    "harvests": lambda v: None if isinstance(v, dict | list) else "[[harvests]] tables",
}
CORE_KEYS: dict[str, Check] = {"ccn_dir": STR, "files": STRS, "surveys": STRS}
PARCEL_KEYS: dict[str, Check] = {
    "file": STR,
    "id_column": STR,
    "name_column": STR,
    "kind": STR,
    "site": STR,
    "id_prefix": STR,
    "illustrative": BOOL,
    "repair": BOOL,
    "name_zh_column": STR,
}
PLOT_KEYS: dict[str, Check] = {"kind": STR, "file": STR, "ccn_dir": STR}
HARVEST_KEYS: dict[str, Check] = {"kind": STR, "file": STR, "countries": STRS, "illustrative": BOOL}
#: Keys every site accepts (read by the pipeline, the carbon engine and the release).
SITE_COMMON_KEYS: dict[str, Check] = {
    "id": STR,
    "name": STR,
    "name_zh": STR,
    "source": _one_of("polygons", "imagery"),
    "soil_cores": TABLE_OF_TABLES,
    "accuracy_note": STR,
    "setting": _one_of("carbonate", "siliciclastic"),
    "climate_zone": STR,
    "region": STR,
    "reference_point": _point,
}
#: Keys per site ``source``: the fields of its mapping (bluecarbon.habitat.specs).
SITE_KEYS: dict[str, dict[str, Check]] = {
    "polygons": {
        "polygons": STR,
        "class_column": STR,
        "year_column": STR,
        "class_map": TABLE_OF_STR,
        "subclass_map": SUBCLASS,
        "extent": STR,
        "extent_where": TABLE_OF_SCALARS,
        "background": STR,
        "crs": STR,
        "resolution_m": POS_NUMBER,
    },
    "imagery": {
        "images": STR,
        "date_pattern": _regex,
        "years": INTS,
        "classifier": STR,
        "sensor": STR,
        "scaling": STR,
        "band_order": STR,
        "band_names": STRS,
        "water_index": STR,
        "labels": STR,
        "labels_year": INT,
        "labels_nodata": NUMBER,
        "label_habitats": TABLE_OF_STR,
        "features": STRS,
        "train_per_class": POS_INT,
        "assess_per_class": POS_INT,
        "n_estimators": POS_INT,
        "seed": INT,
        "reference_note": STR,
    },
}


def check_keys(table: Mapping[str, Any], allowed: Mapping[str, Check], *, where: str, file: Path) -> None:
    """Raise :class:`InputError` for the first key of ``table`` that ``allowed`` lacks (naming
    the nearest allowed key) or whose value has the wrong type."""
    for key, value in table.items():
        check = allowed.get(key)
        if check is None:
            close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"{where}: unknown key {key!r}{hint}",
                file=file,
                column=key,
                expected="one of " + ", ".join(allowed),
            )
        wrong = check(value)
        if wrong is not None:
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            raise InputError(f"{where}: {key} = {shown}", file=file, column=key, expected=wrong)


def _site_label(i: int, table: Any) -> str:
    ident = table.get("id") if isinstance(table, dict) else None
    return f"[[sites]] #{i}" + (f" ({ident})" if isinstance(ident, str) else "")


def _check_study(data: Mapping[str, Any], path: Path) -> None:
    """Keys and types of every table of a study file (see the module docstring)."""
    check_keys(data, STUDY_KEYS, where="the study", file=path)
    if "cores" in data:
        check_keys(data["cores"], CORE_KEYS, where="[cores]", file=path)
    for i, site in enumerate(data.get("sites", []), start=1):
        where = _site_label(i, site)
        source = site.get("source")
        if source not in SITE_KEYS:
            raise InputError(
                f"{where}: source {source!r}", file=path, column="source", expected="'polygons' or 'imagery'"
            )
        check_keys(site, SITE_COMMON_KEYS | SITE_KEYS[source], where=where, file=path)
    harvests = data.get("harvests", [])
    for name, tables, allowed in (
        ("parcels", data.get("parcels", []), PARCEL_KEYS),
        ("plots", data.get("plots", []), PLOT_KEYS),
        ("harvests", [harvests] if isinstance(harvests, dict) else harvests, HARVEST_KEYS),
    ):
        for i, table in enumerate(tables, start=1):
            if not isinstance(table, dict):
                raise InputError(f"[[{name}]] #{i} is not a table", file=path, column=name)
            check_keys(table, allowed, where=f"[[{name}]] #{i}", file=path)


def load_study(path: str | Path) -> Study:
    """Read and validate a study TOML file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("study file not found", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the study file ({exc})", file=path) from None
    _check_study(data, path)

    def need(table: dict[str, Any], key: str, where: str) -> Any:
        if key not in table:
            raise InputError(f"missing key {key!r} in {where}", file=path, column=key)
        return table[key]

    cores = _core_source(need(data, "cores", "the study"), path)
    sites = []
    for i, s in enumerate(need(data, "sites", "the study"), start=1):
        where = _site_label(i, s)
        site_id = check_name(need(s, "id", where), kind="site id")
        source = need(s, "source", where)
        if source not in ("polygons", "imagery"):
            raise InputError(
                f"{where}: source {source!r}", file=path, column="source", expected="'polygons' or 'imagery'"
            )
        required = (
            ("polygons", "class_map", "crs", "resolution_m")
            if source == "polygons"
            else ("images", "date_pattern", "years", "classifier")
        )
        for key in required:
            need(s, key, where)
        if source == "polygons":
            for category, habitat in s["class_map"].items():
                try:
                    Habitat.parse(habitat)
                except InputError as exc:
                    raise InputError(
                        f"{where}: class_map[{category!r}]: {exc.problem}", file=path, column="class_map"
                    ) from None
        options = {k: v for k, v in s.items() if k not in ("id", "name", "source")}
        point = s.get("reference_point")
        sites.append(
            Site(
                id=site_id,
                name=s.get("name", site_id),
                name_zh=s.get("name_zh"),
                mapping=polygon_mapping(options) if source == "polygons" else imagery_mapping(options),
                setting=s.get("setting"),
                climate_zone=s.get("climate_zone"),
                region=s.get("region"),
                reference_point=(float(point[0]), float(point[1])) if point else None,
                soil_cores=dict(s.get("soil_cores", {})),
                accuracy_note=s.get("accuracy_note"),
                options=options,
            )
        )
    if len({s.id for s in sites}) != len(sites):
        raise InputError("duplicate site ids", file=path, column="id")
    parcels = tuple(
        ParcelSpec(
            file=need(p, "file", "[[parcels]]"),
            id_column=need(p, "id_column", "[[parcels]]"),
            name_column=need(p, "name_column", "[[parcels]]"),
            kind=need(p, "kind", "[[parcels]]"),
            site=need(p, "site", "[[parcels]]"),
            id_prefix=p.get("id_prefix", ""),
            illustrative=bool(p.get("illustrative", False)),
            repair=bool(p.get("repair", False)),
            name_zh_column=p.get("name_zh_column"),
        )
        for p in data.get("parcels", [])
    )
    plots = []
    for i, p in enumerate(data.get("plots", []), start=1):
        where = f"[[plots]] #{i}"
        kind = need(p, "kind", where)
        if kind not in PLOT_KINDS:
            raise InputError(
                f"{where}: kind {kind!r}", file=path, column="kind", expected=" or ".join(PLOT_KINDS)
            )
        plots.append(PlotSource(kind=kind, file=need(p, "file", where), ccn_dir=p.get("ccn_dir")))
    raw_harvests = data.get("harvests", [])
    if isinstance(raw_harvests, dict):  # a single [harvests] table
        raw_harvests = [raw_harvests]
    harvest_sources = []
    for i, h in enumerate(raw_harvests, start=1):
        where = f"[[harvests]] #{i}"
        kind = need(h, "kind", where)
        if kind not in HARVEST_KINDS:
            raise InputError(
                f"{where}: kind {kind!r}", file=path, column="kind", expected=" or ".join(HARVEST_KINDS)
            )
        harvest_sources.append(
            HarvestSource(
                kind=kind,
                file=need(h, "file", where),
                countries=tuple(h.get("countries", ())),
                illustrative=bool(h.get("illustrative", False)),
            )
        )
    return Study(
        name=data.get("name", path.stem),
        path=path,
        cores=cores,
        sites=tuple(sites),
        parcels=parcels,
        digest=sha256_text(canonical_json(data)),
        plots=tuple(plots),
        harvests=tuple(harvest_sources),
    )
