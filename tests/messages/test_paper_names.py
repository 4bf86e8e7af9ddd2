"""User-visible text names the papers by authors, journal and year, never by the file they were read from."""

import re
import tomllib
from importlib import resources

import pytest
from typer.testing import CliRunner

from operando import materials
from operando.cli import app


def _strings(obj, key=None):
    """(key, text) of every string in a parsed TOML table, with the key it is stored under."""
    if isinstance(obj, str):
        yield key, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(v, k)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v, key)


def test_material_sources_name_the_paper():
    sources = [p.source for n in materials.names() for p in materials.get(n).properties.values()]
    assert len(sources) > 100
    assert not [s for s in sources if "seed" in s.lower()]
    chi = materials.get("LiCoO2").property("chi_molar").source
    assert "Pollok et al., Nat. Commun. 2025, Table 1" in chi and " L102" not in chi


@pytest.mark.parametrize("package", ["operando.materials", "operando.nmr", "operando.xray"])
def test_packaged_tables_carry_no_seed_tags(package):
    files = [f for f in resources.files(package).joinpath("data").iterdir() if f.name.endswith(".toml")]
    assert files
    for f in files:
        strings = list(_strings(tomllib.loads(f.read_text(encoding="utf-8"))))
        tagged = [s for _, s in strings if "seed 0" in s.lower()]
        assert not tagged, f"{f.name}: {tagged}"
        # a source names the paper and its table or figure, not a line of the text it was read from
        lines = [s for k, s in strings if k == "source" and re.search(r"\bL\d{2,3}\b", s)]
        assert not lines, f"{f.name}: {lines}"


def test_plan_output_and_help_name_the_paper():
    runner = CliRunner()
    out = runner.invoke(app, ["plan"])
    helptext = runner.invoke(app, ["plan", "--help"])
    assert out.exit_code == 0 and helptext.exit_code == 0
    assert "seed 0" not in out.output and "seed 0" not in helptext.output
    assert "Pollok et al., Nat. Commun. 2025" in out.output


def test_plan_names_what_it_cannot_see():
    from operando.nv import feasibility as fz

    report = fz.plan_report({"10 uT": 1e-5})
    assert "10 µT: 10 µT" in report and "10 uT" not in report
    opm = next(line for line in report.splitlines() if "atomic magnetometer (OPM)" in line and "sees" in line)
    # 1 µm features at 3 mm: the field falls by e^-(2π/1 µm × 3 mm) ≈ e^-1.88e4, i.e. to nothing
    assert "sees nothing" in opm and "e^-1.88e+04" in opm and fz.NOT_REACHABLE in opm
    assert "0 fT" not in report
    assert fz.format_time(float("inf")) == fz.NOT_REACHABLE and fz.format_time(1e12) == "> 100 years"
