"""What the flows share: task options, the retry policy, configuration and the run's records.

Retries are for transient I/O only (a busy object store, a dropped connection): the
library raises :class:`bluecarbon.errors.TransientIOError` for those, and nothing else is
retried, so bad input fails at once with its message instead of three times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect.cache_policies import NO_CACHE

from bluecarbon.config import Settings, load_settings
from bluecarbon.errors import TransientIOError
from bluecarbon.manifest import ManifestEntry
from bluecarbon.pipeline.cache import StepResult

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


#: Options of every task: transient retries, no Prefect result caching (steps cache themselves).
TASK: dict[str, Any] = {
    "retries": RETRIES,
    "retry_delay_seconds": RETRY_DELAYS,
    "retry_condition_fn": retry_on_transient,
    "cache_policy": NO_CACHE,
}


def settings_for(config: str | None) -> Settings:
    """Settings from ``config`` (a bluecarbon.toml path) or the nearest bluecarbon.toml."""
    return load_settings(Path(config) if config else None)


@dataclass(frozen=True)
class Ingested:
    """What the ingest flow hands on: verified inputs and the field steps' results."""

    entries: dict[str, ManifestEntry]
    hashes: dict[str, str]
    soil: StepResult
    parcels: StepResult
    plots: StepResult | None = None
    harvests: tuple[StepResult, ...] = ()

    @property
    def surveys(self) -> tuple[StepResult, ...]:
        """Biomass plots and harvests: the field steps other than soil cores."""
        return tuple(r for r in (self.plots, *self.harvests) if r is not None)

    @property
    def quarantine_files(self) -> list[str]:
        """The quarantine reports of every validating step (cores, plots, harvests)."""
        return [r.uris["quarantine"] for r in (self.soil, *self.surveys) if "quarantine" in r.uris]


def step_records(
    ingested: Ingested, habitats: Mapping[str, StepResult], carbon: Mapping[str, StepResult]
) -> dict[str, StepResult]:
    """Every step of a run by a readable name: the one list the summary and the flow's
    return value use."""
    return {
        "soil cores": ingested.soil,
        "parcels": ingested.parcels,
        **{f"{r.step.replace('_', ' ')} {i}": r for i, r in enumerate(ingested.surveys, start=1)},
        **{f"habitat {k}": v for k, v in habitats.items()},
        **{f"carbon {k}": v for k, v in carbon.items()},
    }
