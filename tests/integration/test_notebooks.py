"""Every researcher notebook, executed for real against a project with two demo releases.

Each notebook runs in its own Jupyter kernel (nbclient; ipykernel comes from the
``notebooks`` extra, never from the runtime dependencies) with the project passed in
``BLUECARBON_PROJECT``. The kernel talks to this session's Prefect test server
(``PREFECT_API_URL``), so the monitoring runs of notebooks 4 (a new study area) and 5 (the
Qingdao study, into ``BLUECARBON_QINGDAO_DIR``, reusing the project's step cache) do not start
a server of their own.
A cell that raises fails the test with the cell and its traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _kernel_env(project: Path, scratch: Path) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith("BLUECARBON_")}
    return env | {
        "BLUECARBON_PROJECT": str(project),
        "BLUECARBON_BYO_DIR": str(scratch),
        "BLUECARBON_QINGDAO_DIR": str(scratch.parent / "qingdao"),
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }


def test_the_notebooks_are_there() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01_catalog.ipynb",
        "02_soil_cores.ipynb",
        "03_shellfish.ipynb",
        "04_bring_your_own_area.ipynb",
        "05_jiaozhou_bay.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, notebook_project: Path, tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=_kernel_env(notebook_project, tmp_path / "my-area"))

    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "every code cell ran"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= 2, "each notebook shows its results as figures"
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    if path.stem == "01_catalog":
        assert "parameter tables changed: ['soil_defaults']" in text, "the two releases were compared"
    if path.stem == "04_bring_your_own_area":
        assert "published: True" in text and (tmp_path / "my-area" / "store").is_dir()
    if path.stem == "05_jiaozhou_bay":
        assert "salt marsh 81.3 Mg C/ha from 15 cores (same as the release)" in text
        assert "大沽河口盐沼单元01（示意）" in text and "statement verified: True" in text
        assert (tmp_path / "qingdao" / "qd-jzb-marsh-01.zh.html").is_file()
