"""A bare number for a dimensional setting is answered with the units people write for it."""

import pytest

from operando.errors import UnitError
from operando.units import to_si


@pytest.mark.parametrize(
    ("value", "unit", "expected", "not_expected"),
    [
        ("500", "m", ["'500 nm'", "'500 um'", "a length"], "'500 m'"),
        (30, "s", ["'30 s'", "'30 min'", "a time"], "'30 m'"),
        ("100", "T", ["'100 mT'", "'100 G'", "a field"], "'100 T'"),
        (4.7, "A/m^2", ["'4.7 mA/cm^2'", "a current density"], "'4.7 A/m^2'"),
        (1, "T/Hz^0.5", ["'1 uT/sqrt(Hz)'", "a sensitivity"], "'1 T/Hz^0.5'"),
        ("3", "mol/m^3", ["'3 mol/m^3'"], "a length"),  # no usual units listed: the SI one
    ],
)
def test_bare_number_suggests_usual_units(value, unit, expected, not_expected):
    with pytest.raises(UnitError) as err:
        to_si(value, unit, name="voxel", strict=True)
    msg = str(err.value)
    assert msg.startswith("voxel: ") and "has no unit" in msg
    for text in expected:
        assert text in msg
    assert not_expected not in msg


def test_each_suggestion_parses_to_the_asked_dimension():
    for value, unit in (("500", "m"), (30, "s"), ("100", "T"), (4.7, "A/m^2"), (1, "T/Hz^0.5")):
        with pytest.raises(UnitError) as err:
            to_si(value, unit, strict=True)
        suggestions = str(err.value).split("e.g. ")[1].split(" or ")
        for s in suggestions:
            assert to_si(s.strip("'"), unit) > 0


def test_wrong_dimension_names_the_expected_kind():
    with pytest.raises(UnitError, match=r"'5 kg' is not convertible to m; write it as a length, e.g. '1 nm'"):
        to_si("5 kg", "m", name="voxel")
