"""The README's Python examples run as written (a user copies them first)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 2


# a whole run takes minutes: in the slow set (the same stages run in tests/pipeline on smaller configs)
CASES = [pytest.param(i, marks=pytest.mark.slow) if "operando.run(" in b else i for i, b in enumerate(BLOCKS)]


@pytest.mark.parametrize("index", CASES)
def test_readme_example_runs(index, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples write their outputs to the working directory
    exec(compile(BLOCKS[index], f"README.md[python block {index}]", "exec"), {})
    out = capsys.readouterr().out
    assert out.strip(), "each example prints what it computed"
    if "charge(" in BLOCKS[index]:
        # the charge runs its 4 minutes (no cut-off in the first step) and delithiates the particles
        assert out.splitlines()[-1].startswith("duration:")
