"""The notebooks of examples/ run as written: every cell executes in a fresh kernel, in a temporary
folder (a cell that raises fails the test). They are stored without outputs."""

import json
import os
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
SRC = Path(__file__).resolve().parents[2] / "src"


def test_every_example_notebook_is_found_and_stored_without_outputs():
    assert len(NOTEBOOKS) >= 5
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert code, path.name
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), path.name


# the X-ray run simulates the Compton images of both charge rates and a CT: ~30 s of CPU, over a minute on
# two busy cores; the others take 2-15 s of CPU each (the ODMR fit up to 20 s where numba compiles first)
SLOW = {"05_xray_compton_run"}
CASES = [pytest.param(p, marks=pytest.mark.slow, id=p.stem) if p.stem in SLOW else pytest.param(p, id=p.stem)
         for p in NOTEBOOKS]


@pytest.mark.parametrize("path", CASES)
def test_notebook_executes(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="executing notebooks needs nbformat (the test extra)")
    nbclient = pytest.importorskip("nbclient", reason="executing notebooks needs nbclient (the test extra)")
    pytest.importorskip("ipykernel", reason="executing notebooks needs ipykernel (the test extra)")
    # the kernel imports the operando of this checkout, draws without a display, prints no progress bars
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("OPERANDO_PROGRESS", "0")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))  # kernel connection files
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell, when one raises
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(o.output_type in ("stream", "display_data", "execute_result") for o in outputs)
