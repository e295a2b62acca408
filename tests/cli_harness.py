"""Run the ``bluecarbon`` command as a user does: a fresh interpreter per command.

In-process CLI tests (typer's CliRunner) share one interpreter with everything the suite
imported before them, so they cannot see a command that fails in a fresh process because a
module it relies on was never imported there (``.rio`` missing in ``bluecarbon catalog``).
Every command is therefore also run here as a subprocess: ``python -m bluecarbon.cli``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: Prefect's console log lines (``12:00:00.123 | INFO | ...``): not part of an error message.
PREFECT_LOG = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} \| ")


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def error(self) -> str:
        """The ``error: ...`` paragraph on stderr (from its first line to the next blank
        line), or "" when there is none."""
        lines = [line for line in self.stderr.splitlines() if not PREFECT_LOG.match(line)]
        for i, line in enumerate(lines):
            if line.startswith("error:"):
                paragraph = []
                for rest in lines[i:]:
                    if not rest.strip():
                        break
                    paragraph.append(rest)
                return "\n".join(paragraph)
        return ""

    def __str__(self) -> str:
        return f"$ bluecarbon {' '.join(self.args)}\nexit {self.code}\n{self.stdout}\n{self.stderr}"


def cli_env(extra: Mapping[str, str] | None = None, *, keep_prefect_api: bool = False) -> dict[str, str]:
    """This process's environment without bluecarbon settings (and without a Prefect API
    URL unless asked), plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BLUECARBON_") and (keep_prefect_api or k != "PREFECT_API_URL")
    }
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return env | dict(extra or {})


def run_cli(
    *args: str | Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 300.0,
) -> CliResult:
    """Run ``bluecarbon ARGS`` in a fresh interpreter; returns exit code, stdout and stderr."""
    argv = tuple(str(a) for a in args)
    proc = subprocess.run(
        [sys.executable, "-m", "bluecarbon.cli", *argv],
        cwd=cwd,
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliResult(argv, proc.returncode, proc.stdout, proc.stderr)


def assert_user_error(result: CliResult, *needles: str, code: int = 1) -> str:
    """The command failed with ``code``, printed no traceback, and said why in one
    paragraph that contains every needle (file, row, key...); returns that paragraph."""
    assert result.code == code, result
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result
    message = result.error()
    assert message, f"no 'error:' paragraph on stderr\n{result}"
    for needle in needles:
        assert needle in message, f"{needle!r} not in the error message\n{result}"
    return message


def assert_ok(result: CliResult) -> CliResult:
    assert result.code == 0, result
    assert "Traceback" not in result.stderr, result
    return result
