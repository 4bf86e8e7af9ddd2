"""Units a magnetometrist or battery researcher writes are read at the boundary; a bare number for a
dimensional configuration key is refused with the unit it needs."""

import pytest

from operando.errors import UnitError
from operando.pipeline.config import ConfigError, RunConfig
from operando.units import c_rate, to_si


@pytest.mark.parametrize(
    ("text", "unit", "si"),
    [
        ("1000 G", "T", 0.1),  # 1 G = 1e-4 T
        ("5 mG", "T", 5e-7),
        ("10 Oe", "T", 1e-3),  # B in vacuum of H = 10 Oe
        ("1 uT/sqrt(Hz)", "T/Hz^0.5", 1e-6),
        ("50 nT/Hz^0.5", "T/Hz^0.5", 5e-8),
        ("23.5 mA/cm^2", "A/m^2", 235.0),
    ],
)
def test_units_at_the_boundary(text, unit, si):
    assert to_si(text, unit) == pytest.approx(si)


def test_gauss_is_not_a_length_and_a_bare_number_needs_a_unit_when_strict():
    with pytest.raises(UnitError, match="not convertible to m"):
        to_si("10 G", "m")
    assert to_si(0.1, "T") == 0.1  # Python callers pass SI floats
    with pytest.raises(UnitError, match=r"'0\.1 T'"):
        to_si(0.1, "T", strict=True, name="B_ext")


@pytest.mark.parametrize(("text", "rate"), [("2C", 2.0), ("C/10", 0.1), ("0.5 C", 0.5), (5, 5.0)])
def test_c_rates(text, rate):
    assert c_rate(text) == pytest.approx(rate)


def test_c_rate_rejects_nonsense():
    with pytest.raises(UnitError, match="C-rate"):
        c_rate("fast")


def test_configuration_reads_gauss_and_rejects_bare_numbers():
    assert RunConfig.from_mapping({"imaging": {"B_ext": "1000 G"}}).imaging.B_ext == pytest.approx(0.1)
    assert RunConfig.from_mapping({"sensor": {"cw_sensitivity": "1 uT/sqrt(Hz)"}}).sensor.cw_sensitivity == \
        pytest.approx(1e-6)
    with pytest.raises(ConfigError, match=r"imaging.standoff: 5e-08 has no unit; write it as a length, "
                                          r"e.g. '5e-08 nm' or '5e-08 um' or '5e-08 m'"):
        RunConfig.from_mapping({"imaging": {"standoff": 50e-9}})
    step = {"name": "a", "c_rate": "C/10", "duration": "1 h"}
    cfg = RunConfig.from_mapping({"charge": [step], "imaging": {"oersted_step": "a", "susceptometry_step": "a"}})
    assert cfg.charge[0].nominal_current_density == pytest.approx(0.94)  # the paper's C/10, A/m²
