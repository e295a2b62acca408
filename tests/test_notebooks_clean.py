"""Notebooks are committed clean: no outputs, no execution counts (they are executed by
tests/integration/test_notebooks.py, never stored executed), and each reads its project from
``BLUECARBON_PROJECT`` so that the test suite can point it at a demo release."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _committed_notebooks() -> list[Path]:
    git = shutil.which("git")
    if git is not None:
        listed = subprocess.run(
            [git, "ls-files", "--", "notebooks/*.ipynb"], cwd=ROOT, capture_output=True, text=True
        )
        if listed.returncode == 0 and listed.stdout.strip():
            return [ROOT / line for line in listed.stdout.splitlines()]
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_notebooks_in_git_have_no_outputs_or_execution_counts() -> None:
    notebooks = _committed_notebooks()
    assert len(notebooks) >= 4
    dirty = []
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "code":
                continue
            if cell.get("outputs") or cell.get("execution_count") is not None:
                dirty.append(f"{path.name} cell {index}")
    assert dirty == [], "strip outputs before committing: " + ", ".join(dirty)


def test_notebooks_read_their_project_from_the_environment() -> None:
    for path in _committed_notebooks():
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert 'os.environ.get("BLUECARBON_PROJECT"' in code, path.name
