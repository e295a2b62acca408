"""The field-survey template: soil cores, depth intervals, biomass plots and harvests, as CSV
or Excel, with English or Chinese column headers.

Why this shape. Analysts fill spreadsheets; the pipeline needs the CCN column names and one
unit per quantity. The template is therefore declared once, here (:data:`TEMPLATE`: table ->
columns with the English and Chinese header, the canonical units and the other units we
convert from), and everything else follows from that declaration: the reader, the shipped
template files (``scripts/make_survey_templates.py`` writes ``data/templates/``) and
``docs/survey-template.md`` (a test checks that the document lists every column).

Layout of a sheet (or CSV file): row 1 holds the headers (English or Chinese, any mix); row 2
may hold the units, and then its first cell reads ``units`` or ``单位``; data start on the
next row. Units may instead follow a header in brackets, e.g. ``干容重 (g/cm3)``. A column
without stated units is taken in the canonical units of :data:`TEMPLATE`. Percent fractions
(``%``), metres or millimetres, kilograms, kg m-3, 亩 ... are converted by
:func:`bluecarbon.units.conversion_factor` (pint; case matters: ``Mg`` is a tonne, ``mg`` a
milligram and refused for tonnes as an implausible scale); a units cell we do not
know makes the whole table unusable (its units apply to every row), which is reported as an
issue on the units row (``wrong units``). Reported row numbers are spreadsheet rows (see
:mod:`bluecarbon.ingest.validation`).

Size (about 640 lines, 200 of them the :data:`TEMPLATE` declaration): the declaration is the
reader's and the template writer's contract, so the three stay together; the units of a column
are converted by :func:`bluecarbon.units.conversion_factor`, not by a table here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from bluecarbon.errors import InputError, Issue, UnitError, ValidationFailed
from bluecarbon.ingest.validation import ROW_COLUMN, Mode, TableRead, check_mode
from bluecarbon.units import INPUT_SCALE_LIMITS, conversion_factor

#: Canonical units of the template's physical columns. A column may state any units of the same
#: kind; :func:`bluecarbon.units.conversion_factor` converts them (``kg m-3``, ``%``, ``亩`` ...).
PHYSICAL_UNITS: Final[frozenset[str]] = frozenset({"cm", "g cm-3", "1", "degrees", "g m-2", "t", "ha", "m2"})
#: Units cells that mean "no units" (identifiers, text, dates, years).
NO_UNITS: Final[frozenset[str]] = frozenset({"", "-", "—", "text", "文本", "yyyy-mm-dd", "year", "年", "yr"})
#: First cell of a units row.
UNITS_MARKERS: Final[frozenset[str]] = frozenset({"units", "unit", "单位"})


@dataclass(frozen=True)
class Column:
    """One template column: canonical name, Chinese header, canonical units, and notes."""

    name: str
    zh: str
    units: str
    required: bool
    description: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """One template table (a sheet of the workbook, or one CSV file)."""

    name: str
    zh: str
    description: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_ID = "text"
TEMPLATE: Final[dict[str, Table]] = {
    t.name: t
    for t in (
        Table(
            "cores",
            "岩芯",
            "one row per soil core",
            (
                Column("study_id", "调查编号", _ID, True, "survey or study identifier", ("研究编号",)),
                Column("site_id", "站位编号", _ID, True, "site (station) identifier", ("站位",)),
                Column(
                    "core_id",
                    "岩芯编号",
                    _ID,
                    True,
                    "core identifier, unique within the survey",
                    ("柱样编号",),
                ),
                Column(
                    "habitat",
                    "生境类型",
                    _ID,
                    True,
                    "seagrass / salt_marsh / mangrove / tidal_flat (or 海草床, 盐沼, 红树林, 潮滩)",
                    ("生境",),
                ),
                Column("latitude", "纬度", "degrees", True, "decimal degrees, WGS84"),
                Column("longitude", "经度", "degrees", True, "decimal degrees, WGS84"),
                Column("date", "采样日期", "yyyy-mm-dd", False, "sampling date", ("日期",)),
                Column(
                    "species",
                    "优势种",
                    _ID,
                    False,
                    "dominant plant species (Latin name), e.g. Zostera marina",
                    ("物种",),
                ),
                Column(
                    "compaction_fraction",
                    "压实率",
                    "1",
                    False,
                    "fraction of core length lost to compaction (for intervals without their own)",
                ),
                Column("notes", "备注", _ID, False, "free text"),
            ),
        ),
        Table(
            "depth_intervals",
            "分层样品",
            "one row per sampled depth interval of a core",
            (
                Column("study_id", "调查编号", _ID, True, "as in cores", ("研究编号",)),
                Column("core_id", "岩芯编号", _ID, True, "as in cores", ("柱样编号",)),
                Column("sample_id", "样品编号", _ID, False, "sample or replicate code"),
                Column(
                    "depth_min",
                    "上界深度",
                    "cm",
                    True,
                    "top of the interval below the surface",
                    ("顶部深度",),
                ),
                Column("depth_max", "下界深度", "cm", True, "bottom of the interval", ("底部深度",)),
                Column("dry_bulk_density", "干容重", "g cm-3", False, "dry mass per wet volume", ("容重",)),
                Column(
                    "fraction_organic_matter",
                    "烧失量",
                    "1",
                    False,
                    "organic matter by loss on ignition",
                    ("有机质含量",),
                ),
                Column(
                    "fraction_carbon",
                    "有机碳含量",
                    "1",
                    False,
                    "organic (or total, see carbon_type) carbon per dry mass",
                    ("碳含量",),
                ),
                Column(
                    "fraction_carbon_type",
                    "碳类型",
                    _ID,
                    False,
                    "organic carbon / total carbon (有机碳 / 总碳)",
                ),
                Column(
                    "compaction_fraction", "压实率", "1", False, "fraction of the interval lost to compaction"
                ),
                Column(
                    "representative_depth_min",
                    "代表深度上界",
                    "cm",
                    False,
                    "top of the horizon the sample represents (discontinuous sampling)",
                ),
                Column(
                    "representative_depth_max",
                    "代表深度下界",
                    "cm",
                    False,
                    "bottom of the horizon the sample represents",
                ),
            ),
        ),
        Table(
            "plots",
            "生物量样方",
            "one row per biomass plot visit",
            (
                Column("study_id", "调查编号", _ID, False, "survey or study identifier", ("研究编号",)),
                Column("plot_id", "样方编号", _ID, True, "plot identifier"),
                Column("site_id", "站位编号", _ID, True, "site identifier", ("站位",)),
                Column(
                    "habitat",
                    "生境类型",
                    _ID,
                    True,
                    "seagrass / salt_marsh / mangrove (or Chinese)",
                    ("生境",),
                ),
                Column("species", "优势种", _ID, False, "dominant species (Latin name)", ("物种",)),
                Column("latitude", "纬度", "degrees", True, "decimal degrees, WGS84"),
                Column("longitude", "经度", "degrees", True, "decimal degrees, WGS84"),
                Column("date", "采样日期", "yyyy-mm-dd", False, "sampling date", ("日期",)),
                Column("agb_g_m2", "地上生物量", "g m-2", False, "living above-ground biomass, dry mass"),
                Column("bgb_g_m2", "地下生物量", "g m-2", False, "living below-ground biomass, dry mass"),
                Column(
                    "bgb_depth_cm",
                    "地下生物量采样深度",
                    "cm",
                    False,
                    "depth to which below-ground biomass was taken",
                ),
                Column(
                    "agb_carbon_fraction",
                    "地上碳含量",
                    "1",
                    False,
                    "measured carbon fraction of above-ground dry mass (else the default)",
                ),
                Column(
                    "bgb_carbon_fraction",
                    "地下碳含量",
                    "1",
                    False,
                    "measured carbon fraction of below-ground dry mass (else the default)",
                ),
            ),
        ),
        Table(
            "harvests",
            "收获",
            "one row per species, farm (or area) and year",
            (
                Column("farm_id", "养殖场编号", _ID, False, "farm or sea-use parcel identifier", ("养殖户",)),
                Column("site_id", "海域", _ID, False, "sea area or site", ("站位编号",)),
                Column(
                    "species",
                    "物种",
                    _ID,
                    True,
                    "Latin, Chinese or English name, or FAO 3-alpha code",
                    ("品种",),
                ),
                Column("year", "年份", "year", True, "harvest year"),
                Column("harvest_t", "收获量", "t", True, "harvested wet weight, shell on", ("产量",)),
                Column("area_ha", "养殖面积", "ha", False, "farmed area"),
                Column(
                    "dry_wet_ratio",
                    "干湿比",
                    "1",
                    False,
                    "measured dry/wet mass ratio (overrides the class default)",
                ),
                Column(
                    "tissue_frac_dry", "软组织干重比例", "1", False, "measured soft-tissue share of dry mass"
                ),
                Column("shell_frac_dry", "贝壳干重比例", "1", False, "measured shell share of dry mass"),
                Column(
                    "c_tissue",
                    "软组织含碳率",
                    "1",
                    False,
                    "measured carbon fraction of dry soft tissue (seaweed: of dry thallus)",
                ),
                Column("c_shell", "贝壳含碳率", "1", False, "measured carbon fraction of dry shell"),
            ),
        ),
    )
}
#: Values of ``fraction_carbon_type`` accepted in Chinese.
CARBON_TYPES: Final[dict[str, str]] = {"有机碳": "organic carbon", "总碳": "total carbon"}


@dataclass(frozen=True)
class Survey:
    """All tables of a survey workbook (or folder of CSV files); missing tables are empty."""

    cores: pd.DataFrame
    depthseries: pd.DataFrame
    plots: pd.DataFrame
    harvests: pd.DataFrame
    species: pd.DataFrame
    issues: list[Issue]


# ------------------------------------------------------------------------------ headers
def _key(text: object) -> str:
    return re.sub(r"[\s_]+", "_", str(text).strip().lower())


def _header_lookup(table: Table) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in table.columns:
        for name in (c.name, c.zh, *c.aliases):
            out[_key(name)] = c.name
    return out


_HEADER_UNITS = re.compile(r"^(?P<name>.*?)\s*[\(\[（【](?P<units>[^\)\]）】]*)[\)\]）】]\s*$")


def _split_header(header: object) -> tuple[str, str | None]:
    text = "" if header is None else str(header)
    match = _HEADER_UNITS.match(text)
    if match:
        return match.group("name"), match.group("units").strip()
    return text, None


def _unit_factor(canonical: str, given: str, *, file: str, row: int, column: str) -> float:
    """Factor from ``given`` to ``canonical`` units (:func:`bluecarbon.units.conversion_factor`);
    :class:`~bluecarbon.errors.UnitError` when they are unknown, of another kind, or of an
    implausible scale (``mg`` for tonnes)."""
    given = re.sub(r"\s+", " ", given.strip())
    if canonical not in PHYSICAL_UNITS:
        if given.lower() in NO_UNITS:
            return 1.0
        raise UnitError(
            f"units {given!r} given for a column without units", file=file, row=row, column=column
        )
    return conversion_factor(given, canonical, file=file, row=row, column=column, within=INPUT_SCALE_LIMITS)


# ------------------------------------------------------------------------------- reading
def _raw_rows(path: Path, table: Table, sheet: str | None) -> tuple[list[list[object]], str]:
    """All rows of the table's sheet (xlsx) or file (csv) as lists, and a file label."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            names = {(_key(n)): n for n in book.sheetnames}
            wanted = [sheet] if sheet else [table.name, table.zh]
            found = next((names[_key(w)] for w in wanted if _key(w) in names), None)
            if found is None:
                return [], f"{path}#{table.name}"
            rows = [list(r) for r in book[found].iter_rows(values_only=True)]
        finally:
            book.close()
        return rows, f"{path}#{found}"
    if suffix in (".csv", ".txt"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                frame = pd.read_csv(
                    path,
                    header=None,
                    dtype=str,
                    keep_default_na=False,
                    skip_blank_lines=False,
                    encoding=encoding,
                )
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes any byte sequence
            raise InputError("cannot decode CSV", file=path, expected="UTF-8 or GB18030 text")
        return frame.to_numpy(dtype=object).tolist(), str(path)
    raise InputError(f"unsupported survey file type {suffix!r}", file=path, expected=".xlsx or .csv")


def read_survey_table(
    path: str | Path, table: str, *, mode: Mode = "fail_fast", sheet: str | None = None
) -> TableRead:
    """Read one template table from ``path`` (a CSV file, or the matching sheet of an XLSX
    workbook: English or Chinese sheet name, or ``sheet``).

    Returns canonical columns (unknown columns dropped with a warning), values converted to
    canonical units, text left as text (validation reports cells that are not numbers), and
    ``source_row``. A units cell we do not know is an error on the units row: in
    ``fail_fast`` mode :class:`~bluecarbon.errors.ValidationFailed` is raised, in
    ``quarantine`` mode the table comes back empty with the issue.
    """
    check_mode(mode)
    path = Path(path)
    if not path.is_file():
        raise InputError("survey file not found", file=path)
    spec = TEMPLATE.get(table)
    if spec is None:
        raise InputError(f"unknown template table {table!r}", expected=", ".join(TEMPLATE))
    rows, label = _raw_rows(path, spec, sheet)
    empty = _empty(spec)
    empty.attrs["source_file"] = label
    if not rows:
        return TableRead(empty)
    frame, issues = _parse(rows, spec, label)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        if mode == "fail_fast":
            raise ValidationFailed(errors)
        return TableRead(empty, issues)
    frame.attrs["source_file"] = label
    return TableRead(frame, issues)


def _empty(spec: Table) -> pd.DataFrame:
    return pd.DataFrame(
        {c.name: pd.Series(dtype="object") for c in spec.columns} | {ROW_COLUMN: pd.Series(dtype="int64")}
    )


def _parse(rows: list[list[object]], spec: Table, label: str) -> tuple[pd.DataFrame, list[Issue]]:
    issues: list[Issue] = []
    header = rows[0]
    lookup = _header_lookup(spec)
    columns: dict[int, tuple[str, str | None]] = {}
    for j, cell in enumerate(header):
        if cell is None or str(cell).strip() == "":
            continue
        name, units = _split_header(cell)
        canonical = lookup.get(_key(name)) or lookup.get(_key(cell))
        if canonical is None:
            issues.append(
                Issue(
                    label,
                    1,
                    str(cell),
                    str(cell),
                    "unknown column (ignored): not in the survey template",
                    "warning",
                )
            )
            continue
        if canonical in {c for c, _ in columns.values()}:
            issues.append(
                Issue(
                    label,
                    1,
                    str(cell),
                    str(cell),
                    f"duplicate column {canonical!r} (first one used)",
                    "error",
                )
            )
            continue
        columns[j] = (canonical, units if lookup.get(_key(name)) else None)
    missing = [c.name for c in spec.columns if c.required and c.name not in {n for n, _ in columns.values()}]
    if missing:
        raise InputError(
            f"missing required column(s) {missing} in template table {spec.name!r}",
            file=label,
            row=1,
            expected=", ".join(f"{spec.column(m).name} / {spec.column(m).zh}" for m in missing),
        )
    first_data = 1
    units_row: list[object] | None = None
    if len(rows) > 1 and rows[1] and str(rows[1][0] or "").strip().lower() in UNITS_MARKERS:
        units_row, first_data = rows[1], 2
    data = rows[first_data:]
    numbers = np.arange(first_data + 1, first_data + 1 + len(data))
    out: dict[str, object] = {}
    for j, (name, header_units) in columns.items():
        column = spec.column(name)
        cells = pd.Series([r[j] if j < len(r) else None for r in data], dtype="object")
        cells = cells.map(lambda v: None if v is None or (isinstance(v, str) and v.strip() == "") else v)
        given = header_units
        if given is None and units_row is not None and j > 0 and j < len(units_row):
            unit_cell = units_row[j]
            given = None if unit_cell is None or str(unit_cell).strip() == "" else str(unit_cell)
        numeric = column.units in PHYSICAL_UNITS or column.units == "year"
        if given is None:
            out[name] = _scaled(cells, 1.0) if numeric else cells
            continue
        units_row_number = 2 if header_units is None else 1
        try:
            factor = _unit_factor(column.units, given, file=label, row=units_row_number, column=name)
        except UnitError as exc:
            issues.append(
                Issue(
                    label,
                    units_row_number,
                    name,
                    given,
                    f"wrong units: {exc.problem} (expected {column.units} or units of the same kind)",
                    "error",
                )
            )
            continue
        out[name] = _scaled(cells, factor) if numeric else cells
    frame = pd.DataFrame(out, index=range(len(data)))
    frame[ROW_COLUMN] = numbers
    blank = frame.drop(columns=ROW_COLUMN).isna().all(axis=1)
    frame = frame.loc[~blank].reset_index(drop=True)
    return _normalise(frame, spec), issues


def _scaled(cells: pd.Series, factor: float) -> pd.Series:
    """Numbers (also numbers written as text) times ``factor``; other text is kept for the
    validator to report as "not a number"."""
    numeric = pd.to_numeric(cells, errors="coerce")
    if numeric.notna().sum() == cells.notna().sum():
        return numeric * factor
    return cells.where(numeric.isna(), numeric * factor)


def _normalise(frame: pd.DataFrame, spec: Table) -> pd.DataFrame:
    for c in spec.columns:
        if c.name not in frame.columns:
            frame[c.name] = None
    for c in spec.columns:
        if c.units == _ID and c.name != "notes":
            frame[c.name] = (
                frame[c.name].map(lambda v: None if v is None else str(v).strip()).astype("string")
            )
    if "date" in frame.columns:
        dates = pd.to_datetime(frame["date"].astype("string"), errors="coerce")
        frame["date"] = dates.dt.strftime("%Y-%m-%d").astype("string")
        if "year" not in frame.columns:
            frame["year"] = dates.dt.year.astype("Int64")
    if "fraction_carbon_type" in frame.columns:
        kind = frame["fraction_carbon_type"].astype("string").str.strip()
        frame["fraction_carbon_type"] = kind.replace(CARBON_TYPES).str.lower()
    ordered = [c.name for c in spec.columns] + [
        c for c in frame.columns if c not in {x.name for x in spec.columns}
    ]
    return frame[ordered]


def read_survey(path: str | Path, *, mode: Mode = "fail_fast", tables: Sequence[str] | None = None) -> Survey:
    """Read every template table of a survey: an XLSX workbook (sheets named as in
    :data:`TEMPLATE`, English or Chinese) or a folder holding ``cores.csv``,
    ``depth_intervals.csv``, ``plots.csv`` and ``harvests.csv`` (any may be missing).
    ``tables`` limits the reading to those tables (the others come back empty), so that a
    step reading cores is not stopped by a bad harvest sheet.

    Core-level ``compaction_fraction`` is copied to intervals that lack their own, and the
    cores' ``species`` becomes a CCN-like ``species`` table (for species strata).
    """
    path = Path(path)
    read: dict[str, pd.DataFrame] = {}
    issues: list[Issue] = []
    for name in tables or ():
        if name not in TEMPLATE:
            raise InputError(f"unknown template table {name!r}", expected=", ".join(TEMPLATE))
    for name, spec in TEMPLATE.items():
        if tables is not None and name not in tables:
            read[name] = _empty(spec)
            continue
        if path.is_dir():
            candidates = [path / f"{name}.csv", path / f"{spec.zh}.csv"]
            found = next((p for p in candidates if p.is_file()), None)
            if found is None:
                read[name] = _empty(spec)
                continue
            result = read_survey_table(found, name, mode=mode)
        else:
            result = read_survey_table(path, name, mode=mode)
        read[name] = result.frame
        issues += result.issues
    cores, depths = read["cores"], read["depth_intervals"]
    depths = _copy_core_compaction(cores, depths)
    species = pd.DataFrame(
        {
            "study_id": cores["study_id"],
            "core_id": cores["core_id"],
            "species_code": cores["species"],
        }
    ).dropna()
    return Survey(cores, depths, read["plots"], read["harvests"], species, issues)


def _copy_core_compaction(cores: pd.DataFrame, depths: pd.DataFrame) -> pd.DataFrame:
    if depths.empty or cores["compaction_fraction"].isna().all():
        return depths
    core_c = (
        cores[["study_id", "core_id", "compaction_fraction"]]
        .dropna()
        .drop_duplicates(["study_id", "core_id"])
    )
    merged = depths.merge(core_c, on=["study_id", "core_id"], how="left", suffixes=("", "_core"))
    merged["compaction_fraction"] = merged["compaction_fraction"].where(
        merged["compaction_fraction"].notna(), merged["compaction_fraction_core"]
    )
    out = merged.drop(columns="compaction_fraction_core")
    out.attrs = dict(depths.attrs)
    return out


# ------------------------------------------------------------------------------ writing
def template_rows(table: str, *, language: str = "en") -> tuple[list[str], list[str]]:
    """Header and units row of a template table (``language`` ``en`` or ``zh``)."""
    spec = TEMPLATE[table]
    if language not in ("en", "zh"):
        raise InputError(f"unknown template language {language!r}", expected="en or zh")
    header = [c.name if language == "en" else c.zh for c in spec.columns]
    marker = "units" if language == "en" else "单位"
    units = [marker] + [("" if c.units == _ID else c.units) for c in spec.columns[1:]]
    return header, units


def write_template_workbook(
    path: str | Path, *, language: str = "en", rows: dict[str, pd.DataFrame] | None = None
) -> Path:
    """Write the survey template as an XLSX workbook: one sheet per table (header, units
    row, then ``rows`` if given, in canonical columns) and a sheet describing every column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path = Path(path)
    book = Workbook()
    book.remove(book.active)
    for name, spec in TEMPLATE.items():
        sheet = book.create_sheet(name if language == "en" else spec.zh)
        header, units = template_rows(name, language=language)
        sheet.append(header)
        sheet.append(units)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for cell in sheet[2]:
            cell.font = Font(italic=True)
        if rows and name in rows:
            frame = rows[name].reindex(columns=[c.name for c in spec.columns])
            for record in frame.itertuples(index=False):
                sheet.append(
                    [None if pd.isna(v) else (v.item() if isinstance(v, np.generic) else v) for v in record]
                )
        for j, title in enumerate(header, start=1):
            sheet.column_dimensions[sheet.cell(1, j).column_letter].width = max(12, len(title) + 4)
    about = book.create_sheet("README" if language == "en" else "说明")
    about.append(["table", "表", "column", "列名", "units", "required", "description"])
    for cell in about[1]:
        cell.font = Font(bold=True)
    for name, spec in TEMPLATE.items():
        for c in spec.columns:
            about.append([name, spec.zh, c.name, c.zh, c.units, "yes" if c.required else "no", c.description])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_template_csv(folder: str | Path, *, language: str = "en") -> list[Path]:
    """Write one CSV per template table (header and units row, UTF-8 with BOM)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, spec in TEMPLATE.items():
        header, units = template_rows(name, language=language)
        path = folder / f"{name if language == 'en' else spec.zh}.csv"
        pd.DataFrame([units], columns=header).to_csv(path, index=False, encoding="utf-8-sig")
        out.append(path)
    return out
