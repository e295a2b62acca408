"""Map accuracy and area estimation from a reference sample (Olofsson et al. 2014).

Pixel counting a classified map gives biased areas: omission and commission errors do not
cancel. The good-practice answer is a probability sample of reference labels stratified by
map class and the stratified estimators of Olofsson et al. (2014), which give an error matrix
in area proportions, user's / producer's / overall accuracy with confidence intervals, and
error-adjusted class areas with confidence intervals. Those areas and their intervals are
what the carbon estimate should use. Kappa is deliberately absent (discouraged by the paper).

The functions take plain pandas objects (counts as a map x reference DataFrame, mapped area
as a Series), so any sampling tool or spreadsheet can feed them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from bluecarbon.errors import InputError


def error_matrix(
    map_class: Sequence[object] | pd.Series,
    reference_class: Sequence[object] | pd.Series,
    *,
    classes: Sequence[object] | None = None,
) -> pd.DataFrame:
    """Sample counts n_ij: rows map class i, columns reference class j (same labels, 0-filled)."""
    mapped = pd.Series(np.asarray(map_class, dtype=object), name="map")
    reference = pd.Series(np.asarray(reference_class, dtype=object), name="reference")
    if len(mapped) != len(reference):
        raise InputError(f"{len(mapped)} map labels but {len(reference)} reference labels")
    if mapped.isna().any() or reference.isna().any():
        raise InputError(
            "missing labels in the accuracy sample", expected="a map and a reference class per point"
        )
    labels = list(classes) if classes is not None else sorted(set(mapped) | set(reference), key=str)
    unknown = (set(mapped) | set(reference)) - set(labels)
    if unknown:
        raise InputError(
            f"labels {sorted(map(str, unknown))} are not among the classes", expected=str(labels)
        )
    counts = pd.crosstab(mapped, reference).reindex(index=labels, columns=labels, fill_value=0)
    counts.index.name, counts.columns.name = "map", "reference"
    return counts.astype("int64")


def _validated(counts: pd.DataFrame, mapped_area: pd.Series) -> tuple[list[object], np.ndarray, np.ndarray]:
    if set(counts.index) != set(counts.columns) or len(counts.index) != len(counts.columns):
        raise InputError(
            f"error matrix rows {list(counts.index)} and columns {list(counts.columns)} differ",
            expected="the same class labels on both axes",
        )
    classes = list(counts.index)
    n = counts.loc[classes, classes].to_numpy(dtype="float64")
    if not np.isfinite(n).all() or (n < 0).any():
        raise InputError("sample counts must be finite and non-negative")
    missing = [c for c in classes if c not in mapped_area.index]
    extra = [c for c in mapped_area.index if c not in classes]
    if missing or extra:
        raise InputError(
            f"mapped area classes differ from the error matrix: missing {missing}, extra {extra}",
            expected="one mapped area per class",
        )
    area = mapped_area.reindex(classes).to_numpy(dtype="float64")
    if not np.isfinite(area).all() or (area < 0).any() or area.sum() <= 0:
        raise InputError("mapped areas must be finite, non-negative and not all zero")
    unsampled = [c for c, a, row in zip(classes, area, n.sum(axis=1), strict=True) if a > 0 and row == 0]
    if unsampled:
        raise InputError(
            f"map classes {unsampled} have mapped area but no sample points",
            expected="reference points in every mapped class",
        )
    return classes, n, area


def proportion_matrix(counts: pd.DataFrame, mapped_area: pd.Series) -> pd.DataFrame:
    """Error matrix in estimated area proportions p_ij = W_i n_ij / n_i. (Olofsson eq. 4)."""
    classes, n, area = _validated(counts, mapped_area)
    weight = area / area.sum()
    row = n.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(row[:, None] > 0, n / row[:, None], 0.0)
    out = pd.DataFrame(weight[:, None] * frac, index=classes, columns=classes)
    out.index.name, out.columns.name = "map", "reference"
    return out


def area_estimate(counts: pd.DataFrame, mapped_area: pd.Series, *, confidence: float = 0.95) -> pd.DataFrame:
    """Stratified estimates of class area and accuracy with confidence intervals.

    Parameters
    ----------
    counts
        Sample counts, rows = map class, columns = reference class (same labels), from a
        sample stratified by map class (simple random within each stratum).
    mapped_area
        Mapped area per map class (any unit; the outputs ``area*`` carry the same unit).
    confidence
        Two-sided confidence level of the intervals (normal approximation).

    Returns
    -------
    DataFrame indexed by class with ``mapped_area``, ``area``, ``area_se``, ``area_ci``
    (half-width), ``area_proportion``, ``users_accuracy``, ``users_accuracy_ci``,
    ``producers_accuracy``, ``producers_accuracy_ci``, ``n_samples``; ``.attrs`` hold
    ``overall_accuracy``, ``overall_accuracy_ci``, ``confidence``, ``z``, ``total_area`` and
    ``n_samples``. Half-widths are NaN where a stratum has fewer than two sample points
    (the variance estimator is undefined) or a proportion is undefined.

    Notes
    -----
    With W_i = A_m,i / A_tot, n_i. the sample size of map class i and p_ij = W_i n_ij / n_i.:
    overall O = sum_j p_jj; user's U_i = p_ii / p_i.; producer's P_j = p_jj / p_.j;
    area A_j = A_tot p_.j.
    V(O) = sum_i W_i^2 U_i (1 - U_i) / (n_i. - 1);  V(U_i) = U_i (1 - U_i) / (n_i. - 1);
    V(P_j) = [N_j.^2 (1 - P_j)^2 U_j (1 - U_j) / (n_j. - 1)
              + P_j^2 sum_{i != j} N_i.^2 (n_ij / n_i.) (1 - n_ij / n_i.) / (n_i. - 1)] / N_.j^2
    with N_i. the mapped area of class i and N_.j = sum_i N_i. n_ij / n_i.;
    SE(p_.j) = sqrt(sum_i W_i^2 (n_ij / n_i.) (1 - n_ij / n_i.) / (n_i. - 1)), SE(A_j) =
    A_tot SE(p_.j). Half-width = z SE with z the (1 + confidence) / 2 normal quantile.

    References
    ----------
    Olofsson P., Foody G.M., Herold M., Stehman S.V., Woodcock C.E., Wulder M.A. (2014) Good
    practices for estimating area and assessing accuracy of land change. Remote Sens.
    Environ. 148:42-57, eqs. 2-11.
    """
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence {confidence} outside (0, 1)")
    classes, n, area = _validated(counts, mapped_area)
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    total = float(area.sum())
    weight = area / total
    row = n.sum(axis=1)
    sampled = row > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(sampled[:, None], n / np.where(sampled, row, 1.0)[:, None], 0.0)
        dof = np.where(row > 1, row - 1.0, np.nan)  # n_i. - 1; undefined for n_i. <= 1
        p = weight[:, None] * frac
        col = p.sum(axis=0)
        diag = np.diag(p)
        users = np.where(sampled, np.diag(frac), np.nan)
        producers = np.where(col > 0, diag / col, np.nan)
        overall = float(diag.sum())

        # Strata without mapped area contribute nothing, whatever their sample size.
        def stratum_term(values: np.ndarray) -> np.ndarray:
            return np.where(weight[:, None] > 0 if values.ndim == 2 else weight > 0, values, 0.0)

        var_users = users * (1.0 - users) / dof
        var_overall = float(np.sum(stratum_term(weight**2 * users * (1.0 - users) / dof)))
        cell = frac * (1.0 - frac) / dof[:, None]  # (n_ij/n_i.)(1 - n_ij/n_i.)/(n_i. - 1)
        var_prop = np.sum(stratum_term(weight[:, None] ** 2 * cell), axis=0)
        n_hat = total * col  # N_.j
        off = stratum_term(area[:, None] ** 2 * cell)
        off_sum = off.sum(axis=0) - np.diag(off)
        own = area**2 * (1.0 - producers) ** 2 * users * (1.0 - users) / dof
        var_producers = (own + producers**2 * off_sum) / n_hat**2
    area_se = total * np.sqrt(var_prop)
    out = pd.DataFrame(
        {
            "mapped_area": area,
            "area": total * col,
            "area_se": area_se,
            "area_ci": z * area_se,
            "area_proportion": col,
            "users_accuracy": users,
            "users_accuracy_ci": z * np.sqrt(var_users),
            "producers_accuracy": producers,
            "producers_accuracy_ci": z * np.sqrt(var_producers),
            "n_samples": row.astype("int64"),
        },
        index=pd.Index(classes, name="class"),
    )
    out.attrs = {
        "overall_accuracy": overall,
        "overall_accuracy_ci": z * float(np.sqrt(var_overall)),
        "confidence": float(confidence),
        "z": z,
        "total_area": total,
        "n_samples": int(n.sum()),
        "method": "Olofsson et al. (2014) stratified estimators",
    }
    return out
