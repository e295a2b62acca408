"""Shared orchestration helpers: retry policy and configuration for the flows.

Retries are for transient I/O only (a busy object store, a dropped connection): the
library raises :class:`bluecarbon.errors.TransientIOError` for those, and nothing else is
retried, so bad input fails at once with its message instead of three times.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bluecarbon.config import Settings, load_settings
from bluecarbon.errors import TransientIOError

RETRIES = 3
RETRY_DELAYS = [5, 30, 120]


def retry_on_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect retry condition: retry only when the task raised TransientIOError."""
    try:
        state.result()
    except TransientIOError:
        return True
    except BaseException:  # any other failure is final: do not retry
        return False
    return False


def settings_for(config: str | None) -> Settings:
    """Settings from ``config`` (a bluecarbon.toml path) or the nearest bluecarbon.toml."""
    return load_settings(Path(config) if config else None)
