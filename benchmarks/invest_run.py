"""One natcap.invest Coastal Blue Carbon run on generated inputs (run with the peer's Python).

Same settings as ``benchmarks.ours``: analysis year 2050, price 15, inflation 2 %, discount
3 %. Prints JSON with wall time (imports excluded) and peak RSS (taskgraph runs in-process).

    /work/peers/invest-venv/bin/python benchmarks/invest_run.py --inputs DIR --workspace DIR
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=Path, required=True)
    parser.add_argument("--workspace", type=Path, required=True)
    ns = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from natcap.invest.coastal_blue_carbon import coastal_blue_carbon

    start = time.perf_counter()
    coastal_blue_carbon.execute(
        {
            "workspace_dir": str(ns.workspace),
            "results_suffix": "",
            "n_workers": -1,
            "landcover_snapshot_csv": str(ns.inputs / "snapshots.csv"),
            "biophysical_table_path": str(ns.inputs / "biophysical_table.csv"),
            "landcover_transitions_table": str(ns.inputs / "transitions.csv"),
            "analysis_year": 2050,
            "do_economic_analysis": True,
            "use_price_table": False,
            "price": 15.0,
            "inflation_rate": 2.0,
            "discount_rate": 3.0,
        }
    )
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - start,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
