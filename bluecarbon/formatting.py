"""Number formatting shared by the CLI, run reports and statements.

Kept free of heavy imports (no pandas, no numpy) because ``bluecarbon --help`` and every CLI
table import it: start-up time is part of the interface.
"""

from __future__ import annotations

import math


def fmt_number(value: float | None) -> str:
    """Thousands-separated number (two decimals below 10), "-" for missing values."""
    if value is None:
        return "-"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "-"
    if math.isnan(v):
        return "-"
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.2f}"
