"""Random-forest habitat classification trained on labelled pixels, predicted lazily.

Why this shape: training needs a few thousand labelled pixels in memory, prediction must run
over scenes far larger than memory. So the pieces are separate and small: a feature stack
(bands + indices) stays a lazy ``(feature, y, x)`` DataArray; labels come from points or from
a reference raster aligned to the image grid (:func:`align_labels`, nearest neighbour, since
labels are categories); :func:`stratified_sample` draws pixel positions per class;
:func:`extract_features` reads only those pixels; and :func:`predict` maps the fitted forest
over dask chunks with ``xarray.apply_ufunc`` (``dask="parallelized"``), so no full array is
ever computed. Predicted codes are the training labels; :func:`recode` maps them to habitat
codes of :mod:`bluecarbon.vocab`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.warp import transform_bounds
from sklearn.ensemble import RandomForestClassifier

from bluecarbon.errors import InputError
from bluecarbon.habitat.accuracy import area_estimate, error_matrix
from bluecarbon.habitat.indices import spectral_index
from bluecarbon.params import ParameterSet
from bluecarbon.vocab import HABITAT_FILL, Habitat, flag_attrs


@dataclass(frozen=True)
class TrainedForest:
    """A fitted random forest and the feature order it expects."""

    model: RandomForestClassifier
    feature_names: tuple[str, ...]
    classes: tuple[int, ...]
    n_training: int


def feature_stack(
    cube: xr.DataArray, *, parameters: ParameterSet, indices: Sequence[str] = ("ndvi", "ndwi", "mndwi")
) -> xr.DataArray:
    """Bands of ``cube`` plus spectral ``indices`` (formulas from the ``spectral_indices``
    table of ``parameters``) along a ``feature`` dimension (lazy)."""
    if "band" not in cube.dims:
        raise InputError("cube has no band dimension", file=cube.attrs.get("source_file"))
    bands = cube.drop_vars([c for c in cube.coords if c != "band" and "band" in cube[c].dims])
    bands = bands.rename({"band": "feature"})
    layers = [bands] + [
        spectral_index(cube, name, parameters=parameters).expand_dims(feature=[name]) for name in indices
    ]
    out = xr.concat(layers, dim="feature", coords="minimal", compat="override", join="exact")
    out = out.assign_coords(feature=np.asarray([str(f) for f in out["feature"].values], dtype=str))
    out.attrs = {"long_name": "classification features (bands and indices)", "units": "1"}
    if cube.rio.crs is not None:
        out = out.rio.write_crs(cube.rio.crs)
    return out


def align_labels(labels: xr.DataArray, like: xr.DataArray) -> xr.DataArray:
    """Reproject a categorical label raster onto the grid of ``like`` (nearest neighbour).

    ``labels`` may cover a larger extent or another CRS; pixels of ``like`` outside it become
    NaN. Labels are 2-D ``(y, x)`` (a single ``band`` is squeezed).
    """
    if "band" in labels.dims:
        if labels.sizes["band"] != 1:
            raise InputError("label raster has several bands", file=labels.attrs.get("source_file"))
        labels = labels.isel(band=0, drop=True)
    if labels.rio.crs is None or like.rio.crs is None:
        raise InputError("labels and image need a CRS", file=labels.attrs.get("source_file"))
    template = like.isel({d: 0 for d in like.dims if d not in ("y", "x")}, drop=True)
    _check_overlap(labels, template)
    source = labels.astype("float32").rio.write_nodata(np.nan, encoded=False)
    out = source.rio.reproject_match(template, resampling=Resampling.nearest, nodata=np.nan)
    out = out.assign_coords(y=template["y"], x=template["x"])
    if not np.isfinite(np.asarray(out.values)).any():
        _check_overlap(labels, template, overlaps=False)
    out.attrs = {
        "long_name": "reference labels on the image grid",
        "source_file": labels.attrs.get("source_file"),
    }
    return out.rename("labels")


def _check_overlap(labels: xr.DataArray, image: xr.DataArray, *, overlaps: bool | None = None) -> None:
    """Raise naming the label file when it does not cover the image: most often a wrong CRS
    in one of the files, which would otherwise surface as "no training pixels"."""
    lb, ib = labels.rio.bounds(), image.rio.bounds()
    try:
        tb: tuple[float, ...] | None = tuple(transform_bounds(labels.rio.crs, image.rio.crs, *lb))
    except (ValueError, RasterioError):
        tb = None
    if overlaps is None:
        overlaps = (
            tb is not None
            and all(np.isfinite(tb))
            and not (tb[2] <= ib[0] or tb[0] >= ib[2] or tb[3] <= ib[1] or tb[1] >= ib[3])
        )
    if overlaps:
        return

    def box(b: Sequence[float] | None) -> str:
        return "(not transformable)" if b is None else "(" + ", ".join(f"{v:.6g}" for v in b) + ")"

    raise InputError(
        f"label raster does not overlap the image: it covers {box(lb)} in {labels.rio.crs}, "
        f"that is {box(tb)} in the image's {image.rio.crs}, and the image covers {box(ib)}; "
        "is the CRS of either file wrong?",
        file=labels.attrs.get("source_file"),
        expected="labels covering the image (same area, correct CRS)",
    )


def stratified_sample(
    classes: xr.DataArray | np.ndarray,
    *,
    n_per_class: int | Mapping[int, int],
    seed: int,
    exclude: np.ndarray | None = None,
) -> pd.DataFrame:
    """Simple random sample of pixel positions within each class (stratified by class).

    Returns ``row``, ``col``, ``stratum`` (the class code) and, for DataArrays, ``x``/``y``.
    Classes with fewer pixels than requested are taken whole. ``exclude`` (bool, same shape)
    removes pixels, e.g. the training sample from an accuracy sample. Computes ``classes``
    (a 2-D code raster) in memory.
    """
    values = np.asarray(classes.values if isinstance(classes, xr.DataArray) else classes, dtype="float64")
    if values.ndim != 2:
        raise InputError(f"class raster has {values.ndim} dimensions", expected="(y, x)")
    eligible = np.isfinite(values)
    if exclude is not None:
        if exclude.shape != values.shape:
            raise InputError(f"exclusion mask {exclude.shape} does not match {values.shape}")
        eligible &= ~exclude
    rng = np.random.default_rng(seed)
    rows: list[pd.DataFrame] = []
    for code in np.unique(values[eligible]):
        flat = np.flatnonzero(eligible & (values == code))
        wanted = n_per_class if isinstance(n_per_class, int) else int(n_per_class.get(int(code), 0))
        take = rng.choice(flat, size=min(wanted, flat.size), replace=False)
        r, c = np.unravel_index(np.sort(take), values.shape)
        rows.append(pd.DataFrame({"row": r, "col": c, "stratum": int(code)}))
    sample = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["row", "col", "stratum"])
    if isinstance(classes, xr.DataArray):
        sample["y"] = classes["y"].values[sample["row"].to_numpy(int)]
        sample["x"] = classes["x"].values[sample["col"].to_numpy(int)]
    return sample


def extract_features(features: xr.DataArray, sample: pd.DataFrame) -> np.ndarray:
    """``(n_points, n_features)`` values at the sample's pixels (reads only their chunks)."""
    rows = xr.DataArray(sample["row"].to_numpy(int), dims="point")
    cols = xr.DataArray(sample["col"].to_numpy(int), dims="point")
    picked = features.isel(y=rows, x=cols).transpose("point", "feature")
    return np.asarray(picked.values, dtype="float64")


def values_at(raster: xr.DataArray, sample: pd.DataFrame) -> np.ndarray:
    """Values of a 2-D raster at the sample's pixels."""
    rows = xr.DataArray(sample["row"].to_numpy(int), dims="point")
    cols = xr.DataArray(sample["col"].to_numpy(int), dims="point")
    return np.asarray(raster.isel(y=rows, x=cols).values)


def train_random_forest(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    feature_names: Sequence[str],
    n_estimators: int = 100,
    seed: int = 0,
    min_samples_leaf: int = 1,
    max_features: str | float = "sqrt",
) -> TrainedForest:
    """Fit a random forest (Breiman 2001) on labelled feature rows; rows with NaN are dropped.

    References
    ----------
    Breiman L. (2001) Random forests. Machine Learning 45:5-32.
    """
    x = np.asarray(features, dtype="float64")
    y = np.asarray(labels)
    if x.ndim != 2 or x.shape[1] != len(feature_names):
        raise InputError(f"features of shape {x.shape} for {len(feature_names)} feature names")
    if len(y) != len(x):
        raise InputError(f"{len(x)} feature rows but {len(y)} labels")
    keep = np.isfinite(x).all(axis=1) & pd.notna(y)
    y_kept = y[keep].astype("int64")
    if np.unique(y_kept).size < 2:
        raise InputError("training needs at least two classes with valid pixels")
    model = RandomForestClassifier(
        n_estimators=n_estimators,
        random_state=seed,
        min_samples_leaf=min_samples_leaf,
        max_features=max_features,
        n_jobs=1,
    )
    model.fit(x[keep], y_kept)
    return TrainedForest(
        model=model,
        feature_names=tuple(str(f) for f in feature_names),
        classes=tuple(int(c) for c in model.classes_),
        n_training=int(keep.sum()),
    )


def _predict_block(block: np.ndarray, model: RandomForestClassifier) -> np.ndarray:
    """Predict one ``(..., n_features)`` block; NaN where any feature is NaN."""
    flat = block.reshape(-1, block.shape[-1])
    ok = np.isfinite(flat).all(axis=1)
    out = np.full(flat.shape[0], np.nan, dtype="float32")
    if ok.any():
        out[ok] = model.predict(flat[ok]).astype("float32")
    return out.reshape(block.shape[:-1])


def predict(forest: TrainedForest, features: xr.DataArray) -> xr.DataArray:
    """Predicted class per pixel, lazily over dask chunks (NaN where a feature is NaN)."""
    missing = [f for f in forest.feature_names if f not in [str(v) for v in features["feature"].values]]
    if missing:
        raise InputError(
            f"features {missing} missing from the stack", expected=", ".join(forest.feature_names)
        )
    ordered = features.sel(feature=list(forest.feature_names))
    if ordered.chunks is not None:
        ordered = ordered.chunk({"feature": -1})
    out = xr.apply_ufunc(
        _predict_block,
        ordered,
        input_core_dims=[["feature"]],
        kwargs={"model": forest.model},
        dask="parallelized",
        output_dtypes=[np.float32],
    )
    out = out.rename("class_code")
    out.attrs = {"long_name": "random forest class (training label codes)", "units": "1"}
    return out


def recode(classes: xr.DataArray, mapping: Mapping[int, Habitat]) -> xr.DataArray:
    """Map class codes to habitat codes lazily; codes not in ``mapping`` raise when seen."""
    lookup = np.full(256, np.nan, dtype="float32")
    for code, habitat in mapping.items():
        if not 0 <= int(code) < 256:
            raise InputError(f"class code {code} outside 0-255")
        lookup[int(code)] = Habitat(habitat).code

    def _apply(block: np.ndarray) -> np.ndarray:
        finite = np.isfinite(block)
        codes = np.where(finite, block, 0).astype("int64")
        if (codes < 0).any() or (codes > 255).any():
            raise InputError("class codes outside 0-255")
        out = np.where(finite, lookup[codes], np.nan).astype("float32")
        unmapped = finite & np.isnan(out)
        if unmapped.any():
            raise InputError(
                f"class code {int(codes[unmapped][0])} has no habitat", expected=f"one of {sorted(mapping)}"
            )
        return out

    out = xr.apply_ufunc(_apply, classes, dask="parallelized", output_dtypes=[np.float32]).rename("habitat")
    out.attrs = flag_attrs()
    out.encoding = {"dtype": "uint8", "_FillValue": HABITAT_FILL}
    return out


@dataclass(frozen=True)
class AssessedMap:
    """A random-forest habitat map with its training sample and accuracy assessments."""

    forest: TrainedForest
    habitat: xr.DataArray  # (y, x) habitat codes, computed
    estimate: pd.DataFrame  # area_estimate on habitat classes (areas in ha)
    label_estimate: pd.DataFrame  # area_estimate on the training label classes (areas in ha)
    n_training: int
    n_assessment: int


def _assess(
    mapped: xr.DataArray,
    reference: xr.DataArray,
    *,
    names: Mapping[int, object],
    n_per_class: int,
    seed: int,
    exclude: np.ndarray,
    pixel_area_ha: float,
) -> tuple[pd.DataFrame, int]:
    """Olofsson estimate of ``mapped`` codes against ``reference`` codes from a sample
    stratified by map class (pixels in ``exclude`` or without reference are not sampled)."""
    has_reference = np.isfinite(np.asarray(reference.values))
    frame = mapped.where(has_reference)
    sample = stratified_sample(frame, n_per_class=n_per_class, seed=seed, exclude=exclude)
    map_names = [names[int(c)] for c in sample["stratum"]]
    ref_names = [names[int(c)] for c in values_at(reference, sample)]
    labels = list(dict.fromkeys(names.values()))
    counts = error_matrix(map_names, ref_names, classes=labels)
    codes = np.asarray(frame.values)
    area = pd.Series(
        [
            float(sum(np.sum(codes == c) for c, n in names.items() if n == label)) * pixel_area_ha
            for label in labels
        ],
        index=labels,
        dtype="float64",
    )
    return area_estimate(counts, area), len(sample)


def classify_and_assess(
    features: xr.DataArray,
    labels: xr.DataArray,
    *,
    label_habitats: Mapping[int, Habitat],
    n_train_per_class: int,
    n_assess_per_class: int,
    n_estimators: int,
    seed: int,
    pixel_area_ha: float,
) -> AssessedMap:
    """Train on labelled pixels, map, and assess the map on separate samples.

    Training pixels are a stratified random sample of the label classes. The map is then
    assessed the way Olofsson et al. (2014) recommend: a stratified random sample *by map
    class* of pixels not used for training, their reference class read from ``labels``, and
    the stratified estimators of :func:`bluecarbon.habitat.accuracy.area_estimate` with the
    mapped areas. This is done twice with independent samples: on habitat classes (the
    published map) and on the label classes (a diagnostic of the classifier). The assessment
    is only as independent as ``labels`` are: say what they are wherever it is published.
    """
    label_values = labels.compute()
    training = stratified_sample(label_values, n_per_class=n_train_per_class, seed=seed)
    forest = train_random_forest(
        extract_features(features, training),
        training["stratum"].to_numpy(),
        feature_names=[str(f) for f in features["feature"].values],
        n_estimators=n_estimators,
        seed=seed,
    )
    classes = predict(forest, features).compute()
    habitat = recode(classes, label_habitats).compute()
    used = np.zeros(classes.shape, dtype=bool)
    used[training["row"].to_numpy(int), training["col"].to_numpy(int)] = True
    habitat_names = {Habitat(h).code: Habitat(h).value for h in label_habitats.values()}
    estimate, n_assessment = _assess(
        habitat,
        recode(label_values, label_habitats),
        names=habitat_names,
        n_per_class=n_assess_per_class,
        seed=seed + 1,
        exclude=used,
        pixel_area_ha=pixel_area_ha,
    )
    label_estimate, _ = _assess(
        classes,
        label_values,
        names={int(c): int(c) for c in sorted(label_habitats)},
        n_per_class=n_assess_per_class,
        seed=seed + 2,
        exclude=used,
        pixel_area_ha=pixel_area_ha,
    )
    return AssessedMap(
        forest=forest,
        habitat=habitat,
        estimate=estimate,
        label_estimate=label_estimate,
        n_training=forest.n_training,
        n_assessment=n_assessment,
    )
