"""Validation of soil-core tables (CCN ``cores`` + ``depthseries``, or the survey template's
cores and depth intervals, which use the same column names).

The unit of trust is the core: a stock integrates every interval of a core, so one interval
that breaks a rule (an impossible density, an overlap, a fraction in percent) makes the whole
core unusable. In quarantine mode such a core is held back with all its intervals; the report
lists the broken rows (severity ``error``) and, for each core held back because of them, one
row with severity ``held_back``. Findings that do not stop a core (severity ``warning``) are
reported and the data are used.

Rules (each has its own test in tests/unit/ingest/test_core_validation.py):

=========================================  ===========================================
cores                                      depth intervals
=========================================  ===========================================
study_id, core_id present                  study_id, core_id present; core exists
duplicate (study_id, core_id)              depth_min, depth_max present when measured
unknown habitat                            depth_min >= 0; depth_max >= depth_min
missing or out-of-range coordinates        intervals of a core do not overlap
                                           0 < dry_bulk_density <= 2.65 g cm-3
                                           0 <= fractions <= 1; whole study in percent
                                           0 <= compaction_fraction <= 0.5 (< 1)
                                           warning: fOC > fOM (columns swapped?)
=========================================  ===========================================

Identical intervals of one core (same depth_min and depth_max) are replicates (CCN
``sample_id``) and are averaged by the carbon code; they are not overlaps.

Cores from several sources (a CCN folder and survey workbooks) are validated source by
source, so every report row names its own file and row, and then combined by
:func:`combine_validated`, where a core id already given by an earlier source is a duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from bluecarbon.errors import Issue, ValidationFailed
from bluecarbon.ingest.ccn import CORE_REQUIRED, FOURQUREAN_TRAP_FOLDER
from bluecarbon.ingest.validation import (
    Findings,
    Mode,
    check_mode,
    coerce_numeric,
    finish,
    require_columns,
    row_numbers,
    source_file,
    with_unique_index,
)
from bluecarbon.params import ParameterSet
from bluecarbon.vocab import HABITAT_SYNONYMS, Habitat

KEY = ["study_id", "core_id"]
DEPTH_KEY_COLUMNS = ("study_id", "core_id", "depth_min", "depth_max")
CORE_NUMERIC = ("latitude", "longitude")
DEPTH_NUMERIC = (
    "depth_min",
    "depth_max",
    "representative_depth_min",
    "representative_depth_max",
    "dry_bulk_density",
    "fraction_organic_matter",
    "fraction_carbon",
    "compaction_fraction",
)
#: Measurements that make an interval matter for carbon.
MEASUREMENTS = ("dry_bulk_density", "fraction_organic_matter", "fraction_carbon")
FRACTIONS = ("fraction_organic_matter", "fraction_carbon")


@dataclass(frozen=True)
class ValidatedCores:
    """Core tables after validation: the rows that may enter an estimate, and the report."""

    cores: pd.DataFrame
    depthseries: pd.DataFrame
    methods: pd.DataFrame | None
    issues: list[Issue]
    held_back: pd.DataFrame

    @property
    def n_held_back(self) -> int:
        return len(self.held_back)


def normalise_habitat(values: pd.Series) -> pd.Series:
    """Canonical habitat names (vocab synonyms); NaN where unknown or missing."""
    keys = values.astype("string").str.strip().str.lower().str.replace("-", "_").str.replace(" ", "_")
    mapping = {k: h.value for k, h in HABITAT_SYNONYMS.items()}
    return keys.map(mapping).astype("object").where(keys.notna(), None)


def _limit(name: str, parameters: ParameterSet) -> float:
    return parameters.value("validation_limits", name)


def _core_schema() -> pa.DataFrameSchema:
    known = ", ".join(h.value for h in Habitat)
    return pa.DataFrameSchema(
        {
            "study_id": pa.Column(nullable=False),
            "core_id": pa.Column(nullable=False),
            "habitat": pa.Column(
                checks=pa.Check(
                    lambda s: normalise_habitat(s).notna(), error=f"unknown habitat (expected one of {known})"
                ),
                nullable=True,
            ),
            "latitude": pa.Column(
                float,
                pa.Check.in_range(-90.0, 90.0, error="latitude outside -90..90 degrees"),
                nullable=True,
            ),
            "longitude": pa.Column(
                float,
                pa.Check.in_range(-180.0, 180.0, error="longitude outside -180..180 degrees"),
                nullable=True,
            ),
        },
        strict=False,
    )


def _depth_schema(parameters: ParameterSet) -> pa.DataFrameSchema:
    dbd_max = _limit("dry_bulk_density_max", parameters)
    return pa.DataFrameSchema(
        {
            "study_id": pa.Column(nullable=False),
            "core_id": pa.Column(nullable=False),
            "depth_min": pa.Column(
                float, pa.Check.ge(0.0, error="negative depth (expected depth_min >= 0 cm)"), nullable=True
            ),
            "representative_depth_min": pa.Column(
                float,
                pa.Check.ge(0.0, error="negative depth (expected >= 0 cm)"),
                nullable=True,
                required=False,
            ),
            "dry_bulk_density": pa.Column(
                float,
                [
                    pa.Check.gt(0.0, error="impossible dry bulk density (expected > 0 g cm-3)"),
                    pa.Check.le(
                        dbd_max,
                        error=f"impossible dry bulk density (expected <= {dbd_max} g cm-3, "
                        "the particle density of quartz)",
                    ),
                ],
                nullable=True,
            ),
            **{
                c: pa.Column(
                    float,
                    pa.Check.ge(0.0, error="negative fraction (expected 0-1)"),
                    nullable=True,
                    required=False,
                )
                for c in FRACTIONS
            },
            "compaction_fraction": pa.Column(
                float,
                pa.Check.ge(0.0, error="negative fraction (expected 0-1)"),
                nullable=True,
                required=False,
            ),
        },
        strict=False,
    )


def validate_core_tables(
    cores: pd.DataFrame,
    depthseries: pd.DataFrame,
    methods: pd.DataFrame | None = None,
    *,
    parameters: ParameterSet,
    mode: Mode = "fail_fast",
) -> ValidatedCores:
    """Check cores and depth intervals against the rules of this module (limits from the
    ``validation_limits`` table of ``parameters``).

    ``mode="fail_fast"`` raises :class:`~bluecarbon.errors.ValidationFailed` with every error;
    ``mode="quarantine"`` returns the cores (and their intervals) that pass, the issues, and
    the held-back core keys. Numeric columns come back as float64.
    """
    check_mode(mode)
    cores, depthseries = with_unique_index(cores), with_unique_index(depthseries)
    cores_file = source_file(cores, "cores")
    depth_file = source_file(depthseries, "depthseries")
    require_columns(cores, CORE_REQUIRED, file=cores_file)
    require_columns(depthseries, DEPTH_KEY_COLUMNS, file=depth_file)

    core_findings = Findings.for_frame(cores, file=cores_file)
    depth_findings = Findings.for_frame(depthseries, file=depth_file)
    cores = coerce_numeric(cores, CORE_NUMERIC, core_findings)
    depths = coerce_numeric(depthseries, DEPTH_NUMERIC, depth_findings)
    for column in DEPTH_NUMERIC:
        if column not in depths.columns:
            depths[column] = np.nan

    _check_cores(cores, core_findings)
    _check_depths(depths, cores, depth_findings, parameters)

    held = _held_keys(cores, depths, core_findings, depth_findings)
    issues = core_findings.issues + depth_findings.issues + _held_back_issues(cores, held, core_findings)
    combined = Findings(file=cores_file, rows=core_findings.rows, issues=issues)
    finish(combined, mode=mode)

    keep_core = ~_in_keys(cores, held)
    bad_rows = depth_findings.error_labels()
    keep_depth = ~_in_keys(depths, held) & ~depths.index.isin(list(bad_rows))
    clean_cores = cores.loc[keep_core].copy()
    clean_depths = depths.loc[keep_depth].copy()
    clean_cores.attrs, clean_depths.attrs = dict(cores.attrs), dict(depths.attrs)
    return ValidatedCores(clean_cores, clean_depths, methods, issues, held)


def combine_validated(parts: Sequence[ValidatedCores], *, mode: Mode = "fail_fast") -> ValidatedCores:
    """Core sets validated source by source as one set.

    A core whose (study_id, core_id) an earlier part already holds would merge two cores'
    intervals into one, so it is an error naming the file that has it first: fail-fast
    raises, quarantine holds the later copy back with its intervals.
    """
    check_mode(mode)
    first_file: dict[tuple[str, str], str] = {}
    cores, depths, methods, issues, held = [], [], [], [], []
    for part in parts:
        file = source_file(part.cores, "cores")
        keys = pd.Series(
            list(part.cores[KEY].astype("string").itertuples(index=False, name=None)), index=part.cores.index
        )
        dup = keys.map(first_file.__contains__).astype(bool)
        rows = row_numbers(part.cores)
        issues += part.issues
        for label in keys.index[dup.to_numpy()]:
            row, key = rows.loc[label], keys.loc[label]
            issues.append(
                Issue(
                    file,
                    None if pd.isna(row) else int(row),
                    "core_id",
                    "/".join(str(k) for k in key),
                    f"duplicate id (study_id, core_id) across sources: already in {first_file[key]}",
                )
            )
        held_keys = part.held_back[KEY].astype("string").itertuples(index=False, name=None)
        for key in [*keys[~dup], *held_keys]:  # a held-back core's id is taken too
            first_file.setdefault(key, file)
        dropped = part.cores.loc[dup.to_numpy(), KEY]
        cores.append(part.cores.loc[~dup.to_numpy()])
        depths.append(part.depthseries.loc[~_in_keys(part.depthseries, dropped)])
        if part.methods is not None and not part.methods.empty:
            methods.append(part.methods)
        held += [part.held_back, dropped.assign(bad_intervals=0)]
    if mode == "fail_fast" and any(i.severity == "error" for i in issues):
        raise ValidationFailed([i for i in issues if i.severity == "error"])
    combined_cores = pd.concat(cores, ignore_index=True) if cores else pd.DataFrame(columns=KEY)
    combined_depths = pd.concat(depths, ignore_index=True) if depths else pd.DataFrame(columns=KEY)
    return ValidatedCores(
        combined_cores,
        combined_depths,
        pd.concat(methods, ignore_index=True) if methods else None,
        issues,
        pd.concat(held, ignore_index=True) if held else pd.DataFrame(columns=KEY),
    )


# ------------------------------------------------------------------------------- cores
def _check_cores(cores: pd.DataFrame, findings: Findings) -> None:
    findings.add_schema(cores, _core_schema())
    missing = cores["latitude"].isna() | cores["longitude"].isna()
    findings.add_mask(cores, missing, column="latitude", rule="missing coordinates (latitude/longitude)")
    ids = cores["study_id"].astype("string") + "/" + cores["core_id"].astype("string")
    dup = cores.duplicated(KEY, keep=False) & cores["core_id"].notna()
    findings.add_mask(
        cores.assign(_id=ids),
        dup,
        column="core_id",
        value_column="_id",
        rule="duplicate id (study_id, core_id)",
    )


# ------------------------------------------------------------------------------ depths
def _check_depths(
    depths: pd.DataFrame, cores: pd.DataFrame, findings: Findings, parameters: ParameterSet
) -> None:
    findings.add_schema(depths, _depth_schema(parameters))
    measured = depths[list(MEASUREMENTS)].notna().any(axis=1)

    top, bottom = effective_interval(depths)
    no_depth = measured & (top.isna() | bottom.isna())
    findings.add_mask(
        depths,
        no_depth,
        column="depth_min",
        rule="measured interval without depths (depth_min/depth_max or representative_depth_min/max)",
    )
    inverted = depths["depth_max"] < depths["depth_min"]
    findings.add_mask(depths, inverted, column="depth_max", rule="inverted interval (depth_max < depth_min)")
    rep_inv = depths["representative_depth_max"] < depths["representative_depth_min"]
    findings.add_mask(
        depths,
        rep_inv,
        column="representative_depth_max",
        rule="inverted interval (representative_depth_max < representative_depth_min)",
    )
    usable = measured & ~no_depth & ~inverted & ~rep_inv
    _check_overlaps(depths.assign(_top=top, _bottom=bottom), usable, findings)

    known = pd.MultiIndex.from_frame(cores[KEY].astype("string"))
    keys = pd.MultiIndex.from_frame(depths[KEY].astype("string"))
    orphan = ~keys.isin(known)
    findings.add_mask(
        depths, orphan, column="core_id", rule="depth interval of a core that is not in the cores table"
    )
    for column in FRACTIONS:
        _check_fraction_scale(depths, column, findings, parameters)
    _check_compaction(depths, findings, parameters)
    _check_carbon_vs_organic_matter(depths, cores, findings, parameters)


def effective_interval(depths: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The horizon a row stands for: its representative depths when both are given (CCN
    discontinuous sampling), else its sampled depths."""
    rep = depths["representative_depth_min"].notna() & depths["representative_depth_max"].notna()
    top = depths["representative_depth_min"].where(rep, depths["depth_min"])
    bottom = depths["representative_depth_max"].where(rep, depths["depth_max"])
    return top, bottom


def _check_overlaps(depths: pd.DataFrame, usable: pd.Series, findings: Findings) -> None:
    """Distinct intervals of a core must not overlap (identical ones are replicates)."""
    d = depths.loc[usable, [*KEY, "_top", "_bottom"]]
    if d.empty:
        return
    distinct = d.drop_duplicates([*KEY, "_top", "_bottom"]).sort_values([*KEY, "_top", "_bottom"])
    deepest_above = distinct.groupby(KEY, sort=False)["_bottom"].cummax()
    deepest_above = deepest_above.groupby([distinct[k] for k in KEY], sort=False).shift()
    overlapping = distinct.loc[distinct["_top"] < deepest_above, [*KEY, "_top", "_bottom"]]
    if overlapping.empty:
        return
    flagged = d.reset_index(names="_label").merge(overlapping, on=[*KEY, "_top", "_bottom"])
    mask = depths.index.isin(flagged["_label"])
    findings.add_mask(
        depths,
        mask,
        column="depth_min",
        rule="overlapping depth intervals in one core (starts above the bottom of a shallower interval)",
    )


def _check_fraction_scale(
    depths: pd.DataFrame, column: str, findings: Findings, parameters: ParameterSet
) -> None:
    """A study whose values mostly exceed 1 is in percent (all its rows are held); otherwise
    each value above 1 is an error on its own."""
    values = depths[column]
    above = values > 1.0
    if not above.any():
        return
    share = above.groupby(depths["study_id"]).transform("sum") / values.notna().groupby(
        depths["study_id"]
    ).transform("sum").clip(lower=1)
    in_percent = (share >= _limit("percent_share", parameters)) & values.notna()
    findings.add_mask(
        depths, in_percent, column=column, rule="fractions given as percent (expected a fraction 0-1)"
    )
    findings.add_mask(
        depths,
        above & ~in_percent,
        column=column,
        rule="fraction above 1 (expected 0-1; a percent value?)",
    )


def _check_compaction(depths: pd.DataFrame, findings: Findings, parameters: ParameterSet) -> None:
    c = depths["compaction_fraction"]
    limit = _limit("compaction_fraction_max", parameters)
    findings.add_mask(
        depths,
        c >= 1.0,
        column="compaction_fraction",
        rule="impossible compaction_fraction (expected < 1: the fraction of the interval lost)",
    )
    findings.add_mask(
        depths,
        (c > limit) & (c < 1.0),
        column="compaction_fraction",
        rule=f"implausible compaction_fraction (expected <= {limit}; a compression ratio?)",
    )


def _check_carbon_vs_organic_matter(
    depths: pd.DataFrame, cores: pd.DataFrame, findings: Findings, parameters: ParameterSet
) -> None:
    if "source_folder" in cores.columns:
        trap_keys = cores.loc[cores["source_folder"] == FOURQUREAN_TRAP_FOLDER, KEY]
        trap = _in_keys(depths, trap_keys)
    else:
        trap = pd.Series(False, index=depths.index)
    tolerance = _limit("organic_carbon_over_organic_matter_tolerance", parameters)
    swapped = ~trap & (depths["fraction_carbon"] > depths["fraction_organic_matter"] + tolerance)
    findings.add_mask(
        depths,
        swapped,
        column="fraction_carbon",
        rule="organic carbon fraction above organic matter fraction (columns swapped?)",
        severity="warning",
    )


# --------------------------------------------------------------------------- held back
def _held_keys(
    cores: pd.DataFrame, depths: pd.DataFrame, core_findings: Findings, depth_findings: Findings
) -> pd.DataFrame:
    core_rows = cores.loc[list(core_findings.error_labels()), KEY]
    depth_rows = depths.loc[list(depth_findings.error_labels()), KEY]
    held = pd.concat([core_rows, depth_rows], ignore_index=True).dropna().drop_duplicates()
    counts = depth_rows.value_counts().rename("bad_intervals").reset_index()
    return held.merge(counts, on=KEY, how="left").fillna({"bad_intervals": 0}).reset_index(drop=True)


def _held_back_issues(cores: pd.DataFrame, held: pd.DataFrame, findings: Findings) -> list[Issue]:
    """One ``held_back`` row per core stopped by its intervals (not by its own row)."""
    own = {
        tuple(k)
        for k in cores.loc[list(findings.error_labels()), KEY].astype("string").itertuples(index=False)
    }
    first = ~cores.duplicated(KEY)
    labels = pd.Series(
        cores.index[first.to_numpy()], index=pd.MultiIndex.from_frame(cores.loc[first, KEY].astype("string"))
    )
    out = []
    for row in held.astype({"study_id": "string", "core_id": "string"}).itertuples(index=False):
        key = (row.study_id, row.core_id)
        if key in own or key not in labels.index:
            continue
        number = findings.rows.get(labels.loc[key])
        out.append(
            Issue(
                findings.file,
                None if number is None or pd.isna(number) else int(number),
                "core_id",
                f"{row.study_id}/{row.core_id}: {int(row.bad_intervals)} interval row(s)",
                "core held back because some of its depth interval rows failed validation",
                "held_back",
            )
        )
    return out


def _in_keys(frame: pd.DataFrame, keys: pd.DataFrame) -> pd.Series:
    if keys.empty:
        return pd.Series(False, index=frame.index)
    wanted = pd.MultiIndex.from_frame(keys[KEY].astype("string"))
    have = pd.MultiIndex.from_frame(frame[KEY].astype("string"))
    return pd.Series(have.isin(wanted), index=frame.index)
