"""Study specifications: which raw inputs a monitoring run uses, and how.

A study file (TOML, e.g. ``data/studies/demo.toml``) lists the sites (habitat polygons or
imagery), the core data and the parcels. It is data, so users describe their own area by
copying it; it is validated here with errors that name the file and key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bluecarbon.errors import InputError
from bluecarbon.fingerprint import canonical_json, sha256_text
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
    id: str
    name: str
    source: Literal["polygons", "imagery"]
    options: dict[str, Any] = field(default_factory=dict)

    def files(self, raw_dir: Path) -> list[str]:
        """Raw files (relative to ``raw_dir``) this site reads."""
        if self.source == "polygons":
            out = [self.options["polygons"]]
            if "extent" in self.options:
                out.append(self.options["extent"])
            return out
        extra = [self.options[k] for k in ("labels",) if k in self.options]
        return self.image_files(raw_dir) + extra

    def image_files(self, raw_dir: Path) -> list[str]:
        """Images (relative to ``raw_dir``) of an imagery site, sorted."""
        pattern = self.options["images"]
        found = sorted(p.relative_to(raw_dir).as_posix() for p in raw_dir.glob(pattern))
        if not found:
            raise InputError(f"site {self.id}: no images match {pattern!r}", file=raw_dir)
        return found


@dataclass(frozen=True)
class ParcelSource:
    file: str
    id_column: str
    name_column: str
    kind: str
    site: str
    id_prefix: str = ""
    illustrative: bool = False
    repair: bool = False


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
    parcels: tuple[ParcelSource, ...]
    digest: str
    plots: tuple[PlotSource, ...] = ()
    harvests: tuple[HarvestSource, ...] = ()

    def raw_files(self, raw_dir: Path) -> list[str]:
        files = self.cores.all_files(raw_dir)
        for site in self.sites:
            files += site.files(raw_dir)
        files += [p.file for p in self.parcels]
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


def load_study(path: str | Path) -> Study:
    """Read and validate a study TOML file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("study file not found", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=path) from exc

    def need(table: dict[str, Any], key: str, where: str) -> Any:
        if key not in table:
            raise InputError(f"missing key {key!r} in {where}", file=path, column=key)
        return table[key]

    cores = _core_source(need(data, "cores", "the study"), path)
    sites = []
    for i, s in enumerate(need(data, "sites", "the study"), start=1):
        where = f"[[sites]] #{i}"
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
        sites.append(Site(id=site_id, name=s.get("name", site_id), source=source, options=options))
    if len({s.id for s in sites}) != len(sites):
        raise InputError("duplicate site ids", file=path, column="id")
    parcels = tuple(
        ParcelSource(
            file=need(p, "file", "[[parcels]]"),
            id_column=need(p, "id_column", "[[parcels]]"),
            name_column=need(p, "name_column", "[[parcels]]"),
            kind=need(p, "kind", "[[parcels]]"),
            site=need(p, "site", "[[parcels]]"),
            id_prefix=p.get("id_prefix", ""),
            illustrative=bool(p.get("illustrative", False)),
            repair=bool(p.get("repair", False)),
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
