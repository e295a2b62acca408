"""Rule-based habitat classification: ordered thresholds on spectral indices.

Rules are data (``params/habitat_rules.csv``): each says "pixels whose index satisfies
operator/threshold are habitat H", applied in priority order, first match wins. That keeps
thresholds citable and site-tunable, and the classification a lazy ``where`` chain.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping

import numpy as np
import xarray as xr

from bluecarbon import params
from bluecarbon.errors import InputError
from bluecarbon.vocab import HABITAT_FILL, Habitat, flag_attrs

_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


def classify_rules(indices: Mapping[str, xr.DataArray], rule_set: str) -> xr.DataArray:
    """Habitat codes (float32, NaN where every index is NaN) from ``rule_set``."""
    table = params.load_table("habitat_rules")
    rules = table[table["rule_set"] == rule_set].sort_values("priority")
    if rules.empty:
        raise InputError(f"no rules named {rule_set!r} in params/habitat_rules.csv")
    first = next(iter(indices.values()))
    result = xr.full_like(first, np.nan, dtype="float32")
    valid = xr.zeros_like(first, dtype=bool)
    for da in indices.values():
        valid = valid | da.notnull()
    for rule in reversed(list(rules.itertuples())):
        if rule.index not in indices:
            raise InputError(f"rule needs index {rule.index!r}", expected="one of " + ", ".join(indices))
        hit = _OPS[rule.operator](indices[rule.index], rule.threshold)
        result = xr.where(hit, np.float32(Habitat(rule.habitat).code), result)
    result = result.where(valid).astype("float32").rename("habitat")
    result.attrs = flag_attrs()
    result.encoding = {"dtype": "uint8", "_FillValue": HABITAT_FILL}
    return result
