"""CdZnTe (HEXITEC) response: resolution, escape and fluorescence lines, shielding lines, settings."""

import numpy as np
import pytest

from operando.errors import DataFileError, InputError
from operando.xray.detector import hexitec

EDGES = np.linspace(10e3, 122.88e3, 2049)  # 55.1 eV bins
CENTRES = 0.5 * (EDGES[1:] + EDGES[:-1])


def _line(energy=93.9e3, n=1e6):
    s = np.zeros((2, 3, EDGES.size - 1))
    s[..., np.searchsorted(EDGES, energy) - 1] = n
    return s


def _peak_near(spec, energy, half_width=400.0):
    sel = np.abs(CENTRES - energy) < half_width
    return spec[..., sel].sum(axis=-1)


def test_sensor_lines_at_the_papers_energies():
    # Huang et al., J. Phys. Energy 2025 (seed 002 L159): Cd lines at 22.9 and 26.1 keV, Te at 27.2 and 31.0 keV
    det = hexitec()
    lines = {label: e for label, e, _ in det.escape_lines(CENTRES)}
    assert lines["Cd Ka2"] / 1e3 == pytest.approx(22.9, abs=0.15)
    assert lines["Cd Kb1"] / 1e3 == pytest.approx(26.1, abs=0.1)
    assert lines["Te Ka2"] / 1e3 == pytest.approx(27.2, abs=0.1)
    assert lines["Te Kb1"] / 1e3 == pytest.approx(31.0, abs=0.1)
    out = det.respond(_line(), EDGES)[0, 0]
    background = _peak_near(out, 40e3)
    for e in (23.1e3, 27.4e3, 93.9e3 - 23.17e3, 93.9e3 - 27.47e3, 59.3e3, 75.0e3):  # lines, escapes, W, Pb
        assert _peak_near(out, e) > 5 * background


def test_gaussian_width_is_the_fwhm():
    det = hexitec(tail_fraction=0.0, escape_probability=0.0, shielding_W_fraction=0.0, shielding_Pb_fraction=0.0)
    out = det.respond(_line(), EDGES)[0, 0]
    fine = np.linspace(CENTRES[0], CENTRES[-1], 200001)
    prof = np.interp(fine, CENTRES, out)
    above = fine[prof >= prof.max() / 2]
    assert above[-1] - above[0] == pytest.approx(800.0, abs=60.0)  # seed 002 L109: ~800 eV


def test_counts_are_conserved_without_escape_and_shielding():
    det = hexitec(escape_probability=0.0, shielding_W_fraction=0.0, shielding_Pb_fraction=0.0)
    inp = _line(60e3)
    out = det.respond(inp, EDGES)
    np.testing.assert_allclose(out.sum(axis=-1), inp.sum(axis=-1) * det.efficiency(60e3), rtol=1e-3)


def test_escape_moves_counts_and_the_neighbours_return_them():
    det = hexitec(shielding_W_fraction=0.0, shielding_Pb_fraction=0.0, tail_fraction=0.0)
    out = det.respond(_line(), EDGES)[0, 0]
    p = sum(p[np.searchsorted(EDGES, 93.9e3) - 1] for label, _, p in det.escape_lines(CENTRES))
    absorbed = 1e6 * det.efficiency(93.9e3)
    band = lambda lo, hi: out[(CENTRES > lo) & (CENTRES < hi)].sum()  # noqa: E731
    assert band(60e3, 73e3) == pytest.approx(absorbed * p, rel=0.01)  # escape peaks (E − 23…31 keV)
    assert band(20e3, 33e3) == pytest.approx(absorbed * p, rel=0.01)  # Cd and Te lines from the neighbours
    assert band(90e3, 98e3) == pytest.approx(absorbed * (1 - p), rel=0.01)
    assert out.sum() == pytest.approx(absorbed * (1 + p), rel=1e-3)


@pytest.mark.parametrize(
    "setting,value",
    [("fwhm_eV", 1500.0), ("tail_fraction", 0.2), ("escape_probability", 0.0), ("shielding_W_fraction", 0.05),
     ("thickness_m", 0.3e-3)],
)
def test_every_setting_changes_the_response(setting, value):
    ref = hexitec().respond(_line(), EDGES)
    changed = hexitec(**{setting: value}).respond(_line(), EDGES)
    assert not np.allclose(ref, changed, rtol=1e-3)


def test_frame_checks_and_bad_parameters(tmp_path):
    det = hexitec()
    det.check_frame(np.zeros((80, 80, 16)), 16)
    with pytest.raises(InputError, match="frame"):
        det.check_frame(np.zeros((64, 80, 16)))
    with pytest.raises(InputError, match="frame"):
        det.check_frame(-np.ones((80, 80, 16)))
    with pytest.raises(InputError, match="fwhm_eV"):
        hexitec(fwhm_eV=-1.0)
    with pytest.raises(InputError, match="overrides"):
        hexitec(colour="blue")
    with pytest.raises(InputError, match="edges_eV"):
        det.respond(np.ones(10), np.geomspace(1e4, 1e5, 11))
    f = tmp_path / "det.toml"
    f.write_text('[fwhm_eV]\nvalue = 1200.0\nsource = "lab 2026"\n')
    from operando.xray.detector import detector_from_file

    assert detector_from_file(f).fwhm_eV == 1200.0
    f.write_text('[bogus]\nvalue = 1\n')
    with pytest.raises(DataFileError, match="bogus"):
        detector_from_file(f)


def test_parameters_carry_sources():
    src = dict(hexitec().sources)
    assert "800 eV" in src["fwhm_eV"] and "assumption" in src["escape_probability"]
