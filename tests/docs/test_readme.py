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
        assert any(line.startswith("duration:") for line in out.splitlines())


def test_readme_protocol_block_is_a_valid_charge_step():
    import tomllib

    from operando.pipeline.config import RunConfig

    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(), flags=re.S)
    steps = [tomllib.loads(b)["charge"] for b in blocks if "[[charge]]" in b]
    assert steps
    name = steps[0][0]["name"]
    cfg = RunConfig.from_mapping({"charge": steps[0], "imaging": {"oersted_step": name, "susceptometry_step": name}})
    assert cfg.charge[0].cycles == 2 and len(cfg.charge[0].steps) == 4
