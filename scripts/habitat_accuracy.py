"""Run the habitat-extent step for every site of a study and print area and accuracy tables.

Usage: python scripts/habitat_accuracy.py [data/studies/demo.toml]

Work files go to a temporary folder; nothing is published. Prints, per site, the area table
(area with 95 % CI and where the CI comes from) and the accuracy table ("assessed" with
user's / producer's / overall accuracy and CIs, or "not assessed").
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

from bluecarbon.manifest import verify_manifest
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline import habitat
from bluecarbon.pipeline.study import load_study

ROOT = Path(__file__).resolve().parents[1]


def main(study_file: Path) -> None:
    raw = ROOT / "data" / "raw"
    study = load_study(study_file)
    files = sorted({f for s in study.sites for f in s.files(raw)})
    entries = verify_manifest(raw, files)
    hashes = {f: entries[f].sha256 for f in files}
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    with tempfile.TemporaryDirectory() as work:
        for site in study.sites:
            result = habitat.site_habitat(raw, site, Path(work), hashes, parameters=ParameterSet.shipped())
            area = pd.read_parquet(result.uris["area"])
            accuracy = pd.read_parquet(result.uris["accuracy"])
            sys.stdout.write(f"\n== {site.id}\n{json.dumps(result.info, indent=1)}\n")
            sys.stdout.write(area.drop(columns=["site", "area_ci_source"]).round(3).to_string() + "\n")
            columns = ["year", "habitat", "status", "n_samples", "users_accuracy", "users_accuracy_ci"]
            columns += [
                "producers_accuracy",
                "producers_accuracy_ci",
                "overall_accuracy",
                "overall_accuracy_ci",
            ]
            sys.stdout.write(accuracy[columns].round(4).to_string() + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data" / "studies" / "demo.toml")
