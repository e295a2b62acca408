"""Progress bars for long work: rich on a terminal, nothing anywhere else.

Why this shape: library code (the engine's NetCDF writer, exports, verification) must not
print, and must not know whether a person is watching. It accepts an optional plain callback
``progress(done, total)`` (:data:`ProgressCallback`) and calls it as work completes; only the
CLI decides whether that draws a bar. :func:`progress_bar` gives such a callback: a rich bar
on standard error when both standard output and standard error are terminals and the user
did not ask for ``--quiet``, otherwise a function that does nothing (and rich is not even
imported, so scripts, pipes and tests pay nothing).

Work made of a few named stages rather than countable units (a statement: read the release,
compute, draw the map, sign; a garbage collection) takes a :data:`StageCallback` instead:
``say(stage)`` names the stage starting now, and the module that calls it lists its stages in
order (``STAGES``), so :func:`stage_bar` can show "2/4 drawing the parcel map".
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

#: ``progress(done, total)``: ``done`` units of ``total`` are finished (both counts, any unit).
ProgressCallback = Callable[[int, int], None]
#: ``say(stage)``: the named stage starts now (the previous one, if any, is finished).
StageCallback = Callable[[str], None]


def _ignore(done: int, total: int) -> None:
    """The callback when nobody is watching."""


def _ignore_stage(stage: str) -> None:
    """The stage callback when nobody is watching."""


def interactive() -> bool:
    """True when standard output and standard error are both terminals."""
    return sys.stdout.isatty() and sys.stderr.isatty()


@contextmanager
def progress_bar(description: str, *, quiet: bool = False, unit: str = "") -> Iterator[ProgressCallback]:
    """A callback drawing ``description`` as a rich progress bar while the block runs.

    The callback may be called with a new ``total`` at any time (work whose size is found out
    as it goes). With ``quiet`` or without a terminal the callback does nothing.
    """
    if quiet or not interactive():
        yield _ignore
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[Any] = [
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn() if unit else TaskProgressColumn(),
    ]
    if unit:
        columns.append(TextColumn(unit))
    columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@contextmanager
def stage_bar(description: str, stages: Sequence[str], *, quiet: bool = False) -> Iterator[StageCallback]:
    """A callback showing which of ``stages`` runs (``description: 2/4 stage``) as a rich bar
    on standard error while the block runs; the bar is full when the block ends. A stage not
    in ``stages`` is shown by name without moving the bar. With ``quiet`` or without a
    terminal the callback does nothing."""
    if quiet or not interactive():
        yield _ignore_stage
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    order = {name: i for i, name in enumerate(stages)}
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stage]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=len(stages), stage="")

        def say(stage: str) -> None:
            done = order.get(stage)
            if done is None:
                bar.update(task, stage=stage)
            else:
                bar.update(task, completed=done, stage=stage)

        yield say
        bar.update(task, completed=len(stages), stage="done")
