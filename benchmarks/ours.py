"""One bluecarbon transitions run on generated inputs, as the benchmark measures it.

Default mode, valuation (price 15, inflation 2 %, discount 3 %), analysis year 40 years after
the first snapshot; the NetCDF4 product and the totals CSV are written. Prints JSON with the
run's wall time (imports excluded), peak RSS and output size.

    python -m benchmarks.ours --inputs DIR --output DIR/out.nc
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--mode", default="default", choices=["default", "invest_compat"])
    ns = parser.parse_args()
    start = time.perf_counter()
    from bluecarbon.carbon.transitions.workflow import invest_transition_analysis, valuation_settings
    from bluecarbon.params import ParameterSet

    imported = time.perf_counter()
    outcome = invest_transition_analysis(
        snapshots_csv=ns.inputs / "snapshots.csv",
        biophysical_csv=ns.inputs / "biophysical_table.csv",
        transitions_csv=ns.inputs / "transitions.csv",
        output=ns.output,
        analysis_year=2050,
        valuation=valuation_settings(
            price=15.0,
            inflation_rate_percent=2.0,
            price_table=None,
            discount_rate_percent=3.0,
            first_year=2010,
            last_year=2050,
        ),
        mode=ns.mode,
        parameters=ParameterSet.shipped(),
    )
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "seconds": done - imported,
                "import_seconds": imported - start,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "output_bytes": outcome.output.stat().st_size,
                "layers": outcome.spec.layout().n_layers,
            }
        )
    )


if __name__ == "__main__":
    main()
