"""What every command shares: consoles, option types, configuration, the store, error handling.

Import cost is part of the CLI's interface (``bluecarbon --help`` must answer at once), so
this module imports only typer and the standard library at module level; rich, the config
loader and the store are imported inside the helpers that need them.

Output width. On a terminal, rich asks the terminal. Piped (into a file, ``less``, a mail),
the width is ``COLUMNS`` when set, else 80: the width people paste into review comments and
e-mails, and what ``COLUMNS=100 bluecarbon show latest | less`` asks for. Tables and reports
(``releases``, ``show``, ``parcels``, ``sites``, ``status``) are laid out to that width
(:mod:`bluecarbon.cli.tables`); one-line messages (``release X: OK ...``) are not hard-wrapped
off a terminal, so each stays one line for logs and grep, as on standard error.
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
WideOption = Annotated[
    bool,
    typer.Option(
        "--wide", help="Show every column, even past the terminal's width (--json: every field in full)."
    ),
]
StudyOption = Annotated[
    Path | None,
    typer.Option("--study", help="Study file to use instead of [study] file (BLUECARBON_STUDY_FILE)."),
]
ParamsDirOption = Annotated[
    Path | None,
    typer.Option(
        "--params-dir",
        help="Folder of parameter tables overriding the shipped ones, instead of [params] dir.",
    ),
]


#: Width of piped output when ``COLUMNS`` is not set.
PIPED_WIDTH = 80


def piped_width(environ: dict[str, str] | None = None) -> int:
    """Width of output that is not a terminal: ``COLUMNS`` when it is a whole number of at
    least 20, else :data:`PIPED_WIDTH`."""
    text = (os.environ if environ is None else environ).get("COLUMNS", "").strip()
    return int(text) if text.isdigit() and int(text) >= 20 else PIPED_WIDTH


@cache
def console() -> Console:
    """Standard output console: the terminal's width, or :func:`piped_width` off a terminal
    (where messages are soft-wrapped: see the module docstring)."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console()
    return Console(width=piped_width(), soft_wrap=True)


def report(text: str) -> None:
    """Print ``text`` (rich markup) wrapped at the output width, also off a terminal: the
    lines of a report a person reads (``show``, ``status``), unlike one-line messages."""
    console().print(text, soft_wrap=False, highlight=False, overflow="fold")


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


def settings(config: Path | None, *, study: Path | None = None, params_dir: Path | None = None) -> Settings:
    """The configuration, with ``--study`` and ``--params-dir`` applied.

    The overrides are set as ``BLUECARBON_STUDY_FILE`` and ``BLUECARBON_PARAMS_DIR`` in this
    process's environment (absolute paths, as the user meant them relative to where they typed
    the command): the flows read the configuration themselves (``flows._tasks.settings_for``),
    and the environment is how they, and every ``load_settings`` in this process, see the same
    overrides as the command."""
    from bluecarbon.config import load_settings

    for variable, path in (("BLUECARBON_STUDY_FILE", study), ("BLUECARBON_PARAMS_DIR", params_dir)):
        if path is not None:
            os.environ[variable] = str(path.expanduser().resolve())
    with errors():
        return load_settings(config)


def print_json(value: Any) -> None:
    """JSON on standard output: keys in the order the command built them (stable from run to
    run), UTF-8 text kept, two-space indent."""
    import json

    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


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
