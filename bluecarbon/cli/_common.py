"""What every command shares: consoles, option types, configuration, the store, error handling.

Import cost is part of the CLI's interface (``bluecarbon --help`` must answer at once), so
this module imports only typer and the standard library at module level; rich, the config
loader and the store are imported inside the helpers that need them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from bluecarbon.config import Settings

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="bluecarbon.toml to use (default: nearest one).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DaskOption = Annotated[
    str | None,
    typer.Option(
        "--dask-address", help="dask.distributed scheduler address (overrides [dask] address; '' = local)."
    ),
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bar (there is none either off a terminal).")
]
ReleaseOption = Annotated[
    str, typer.Option("--release", "-r", help="Release tag (YYYY.MM.DD[.N]), 'latest' or snapshot id.")
]


@cache
def console() -> Console:
    """Standard output console (wide tables when not on a terminal)."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 170)


@cache
def err() -> Console:
    """Standard error console. Off a terminal, long lines are not hard-wrapped, so a message
    stays one line per problem for logs and for grep."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=not sys.stderr.isatty())


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` (one paragraph) on stderr; returns the Exit to raise."""
    from rich.markup import escape

    err().print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


@contextmanager
def errors() -> Iterator[None]:
    """Turn bluecarbon's own errors, and OS errors on the files a user named, into a
    one-paragraph message and exit code 1. Anything else is a bug and keeps its traceback."""
    from bluecarbon.errors import BlueCarbonError

    try:
        yield
    except BlueCarbonError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise fail(f"{where}{exc.strerror or exc}") from None


def settings(config: Path | None) -> Settings:
    from bluecarbon.config import load_settings

    with errors():
        return load_settings(config)


def store(settings: Settings, *, create: bool = False) -> Any:
    from bluecarbon.errors import StoreError
    from bluecarbon.store import Store

    try:
        return Store.open(settings.store_uri, s3=settings.store_s3(), create=create)
    except StoreError as exc:
        if settings.config_file is None:  # most likely run outside the project folder
            raise StoreError(
                f"{exc}\n(no bluecarbon.toml in {Path.cwd()} or above: run from the project folder, "
                "pass --config PATH/bluecarbon.toml or set BLUECARBON_STORE_URI)"
            ) from None
        raise


def prefect_env(settings: Settings) -> None:
    for key, value in settings.prefect_environment().items():
        os.environ.setdefault(key, value)
