"""Rule-based habitat classification: ordered thresholds on spectral indices.

Rules are data (``params/habitat_rules.csv``, or a table of the same columns passed in): each
says "pixels whose index satisfies operator/threshold are habitat H". Rules are applied in
priority order, first match wins; rows sharing a priority within a rule set must all hold
(AND), which is how ranges ("0.1 <= water frequency < 0.9") and multi-index rules ("NDVI >=
0.3 and sometimes flooded") are written. That keeps thresholds citable and site-tunable, and
the classification a lazy ``where`` chain.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet
from bluecarbon.vocab import HABITAT_FILL, Habitat, flag_attrs

_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
RULE_COLUMNS = ("rule_set", "habitat", "index", "operator", "threshold", "priority")


def rule_set(
    name: str, *, parameters: ParameterSet | None = None, table: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The rows of rule set ``name``, validated, sorted by priority: from the ``habitat_rules``
    table of ``parameters``, or from a rule ``table`` of the caller's own."""
    if (parameters is None) == (table is None):
        raise TypeError("give either parameters (the habitat_rules table) or a rule table")
    source = parameters.origin("habitat_rules") if parameters is not None else None
    frame = parameters.table("habitat_rules") if parameters is not None else table
    assert frame is not None
    missing = [c for c in RULE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"rule table lacks columns {missing}", file=source, expected=", ".join(RULE_COLUMNS))
    rules = frame[frame["rule_set"] == name].sort_values("priority", kind="stable")
    if rules.empty:
        raise InputError(
            f"no rules named {name!r}",
            file=source,
            expected="one of " + ", ".join(sorted(set(frame["rule_set"]))),
        )
    for i, row in enumerate(rules.itertuples(), start=1):
        if row.operator not in _OPS:
            raise InputError(
                f"rule {i} of {name!r}: operator {row.operator!r}",
                file=source,
                column="operator",
                expected="one of " + ", ".join(_OPS),
            )
        Habitat.parse(str(row.habitat))
    for priority, group in rules.groupby("priority"):
        if group["habitat"].nunique() != 1:
            raise InputError(
                f"rule set {name!r}: priority {priority} names several habitats "
                f"{sorted(set(group['habitat']))}",
                file=source,
                column="priority",
                expected="one habitat per priority",
            )
    return rules.reset_index(drop=True)


def rule_indices(
    name: str, *, parameters: ParameterSet | None = None, table: pd.DataFrame | None = None
) -> list[str]:
    """Indices rule set ``name`` needs, in first-use order."""
    return list(dict.fromkeys(rule_set(name, parameters=parameters, table=table)["index"].astype(str)))


def classify_rules(
    indices: Mapping[str, xr.DataArray] | xr.Dataset,
    rule_set_name: str,
    *,
    parameters: ParameterSet | None = None,
    table: pd.DataFrame | None = None,
) -> xr.DataArray:
    """Habitat codes (float32, NaN where every index is NaN) from the rules of ``rule_set_name``.

    Pixels that no rule matches are NaN too: write a catch-all rule to classify them.
    """
    rules = rule_set(rule_set_name, parameters=parameters, table=table)
    names = [str(n) for n in indices]
    for index in rules["index"].astype(str):
        if index not in names:
            raise InputError(
                f"rule set {rule_set_name!r} needs index {index!r}", expected="one of " + ", ".join(names)
            )
    arrays = [indices[n] for n in names]
    first = arrays[0]
    result = xr.full_like(first, np.nan, dtype="float32")
    valid = xr.zeros_like(first, dtype=bool)
    for da in arrays:
        valid = valid | da.notnull()
    groups = list(rules.groupby("priority", sort=True))
    for _, group in reversed(groups):
        hit = xr.ones_like(first, dtype=bool)
        for rule in group.itertuples():
            hit = hit & _OPS[rule.operator](indices[str(rule.index)], float(rule.threshold))
        code = np.float32(Habitat.parse(str(group["habitat"].iloc[0])).code)
        result = xr.where(hit, code, result)
    result = result.where(valid).astype("float32").rename("habitat")
    result.attrs = flag_attrs()
    result.encoding = {"dtype": "uint8", "_FillValue": HABITAT_FILL}
    return result
