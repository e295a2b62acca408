"""The linters the project promises hold for the code base: ruff check and format, mypy, and the
import contracts of the layering (import-linter, ``[tool.importlinter]`` in pyproject.toml).

Each tool is in the test extra, so a missing tool is a broken environment: the test fails
saying so, it never skips."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["bluecarbon", "flows", "tests", "benchmarks", "scripts"]


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    if exe.exists():
        return str(exe)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: it is in the test extra (make setup-test installs it)")
    return found


@pytest.mark.parametrize("args", [["check", "--output-format", "concise"], ["format", "--check"]])
def test_ruff(args: list[str]) -> None:
    paths = [p for p in PATHS if (ROOT / p).exists()]
    result = subprocess.run([_tool("ruff"), *args, *paths], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy(tmp_path: Path) -> None:
    """The library's type annotations hold ([tool.mypy] in pyproject.toml; ~15 s uncached)."""
    result = subprocess.run(
        [_tool("mypy"), "--cache-dir", str(tmp_path / "mypy_cache")], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts() -> None:
    """The library never imports Prefect or the flows, the store never imports the science, and
    no layer imports a higher one (docs/architecture.md)."""
    result = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    assert "0 broken" in result.stdout
