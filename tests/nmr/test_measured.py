"""Measured spectra: readers, peak fits with uncertainties, isotope quantification."""

import numpy as np
import pytest

from operando import nmr
from operando.errors import DataFileError, InputError
from operando.nmr import measured

PEAKS = [(264.5, 3.0, 40.0), (1.2, 1.5, 100.0)]  # centre ppm, FWHM ppm, area


def synthetic(rng, shape="lorentzian", noise=0.05):
    x = np.linspace(-50, 320, 3000)
    y = sum(a * measured._line(x, shape, c, w, w) if shape == "voigt" else a * measured._line(x, shape, c, w)
            for c, w, a in PEAKS)
    return x, y + 0.3 + rng.normal(0, noise, x.size)


@pytest.mark.parametrize("shape", ["lorentzian", "gaussian", "voigt"])
def test_fit_recovers_peaks_within_errors(rng, shape):
    x, y = synthetic(rng, shape)
    fit = nmr.measured.fit_peaks((x, y), [260, 0], shape=shape, fwhm=2.0)
    true_c = np.array([p[0] for p in PEAKS])
    true_a = np.array([p[2] for p in PEAKS])
    assert np.all(np.abs(fit.centre - true_c) < 5 * fit.centre_err + 1e-9)
    assert np.all(np.abs(fit.area - true_a) < 5 * fit.area_err)
    assert np.all(fit.area_err / fit.area < 0.05)
    assert fit.baseline == pytest.approx(0.3, abs=0.02)
    frac, frac_err = fit.fractions()
    assert frac[0] == pytest.approx(40 / 140, abs=5 * frac_err[0])


def test_isotope_fraction_and_calibration():
    # natural-abundance LiCl (seed 003 L211): 7.5 % 6Li gives the areas that define c = 28.45
    c = nmr.measured.CALIBRATION_6LI_7LI
    assert c == 28.45
    a7 = 1000.0
    a6 = 0.075 / 0.925 * a7 / c
    x6, err = nmr.measured.isotope_fraction(a6, a7, area_6li_err=0.01 * a6)
    assert x6 == pytest.approx(0.075)
    assert 0 < err < 0.01
    assert nmr.measured.isotope_fraction(a6, a7, calibration=2 * c)[0] > x6
    with pytest.raises(InputError, match="calibration: must be > 0"):
        nmr.measured.isotope_fraction(a6, a7, calibration=0)


def test_text_and_npy_readers(tmp_path, rng):
    x, y = synthetic(rng)
    np.savetxt(tmp_path / "s.txt", np.stack([x[::-1], y[::-1]], 1), header="ppm intensity")
    np.save(tmp_path / "s.npy", np.stack([x, y]))
    a = nmr.measured.read_spectrum(tmp_path / "s.txt")
    b = nmr.measured.read_spectrum(tmp_path / "s.npy")
    np.testing.assert_allclose(a.values, b.values)
    assert np.all(np.diff(a.ppm) > 0) and a.ppm.attrs["units"] == "ppm"
    (tmp_path / "bad.txt").write_text("1 2 3\nfoo bar\n")
    with pytest.raises(DataFileError):
        nmr.measured.read_spectrum(tmp_path / "bad.txt")
    with pytest.raises(InputError, match="path: no such file"):
        nmr.measured.read_spectrum(tmp_path / "missing.txt")


def write_bruker(folder, peaks, obs=233.2, carrier_ppm=150.0, n=8192, sw=100000.0):
    ng = pytest.importorskip("nmrglue")
    udic = ng.fileiobase.create_blank_udic(1)
    udic[0].update(size=n, complex=True, sw=sw, obs=obs, car=carrier_ppm * obs, label="7Li", time=True)
    dic = ng.bruker.create_dic(udic)
    dic["acqus"].update(SW_h=sw, SFO1=obs + carrier_ppm * obs / 1e6, O1=carrier_ppm * obs, BF1=obs, NUC1="7Li")
    t = np.arange(n) / sw
    fid = sum(a * np.exp(2j * np.pi * (c - carrier_ppm) * obs * t - np.pi * w * obs * t) for c, w, a in peaks)
    ng.bruker.write(str(folder), dic, np.round(1e6 * fid), overwrite=True)  # int32 on disk


def test_bruker_reader(tmp_path):
    write_bruker(tmp_path / "1", [(264.5, 3.0, 1.0), (1.2, 1.5, 3.0)])
    spec = nmr.measured.read_spectrum(tmp_path / "1")
    fit = nmr.measured.fit_peaks(spec, [264, 1], fwhm=2.0)
    np.testing.assert_allclose(fit.centre, [264.5, 1.2], atol=0.2)
    np.testing.assert_allclose(fit.fwhm, [3.0, 1.5], rtol=0.02)
    assert fit.area[1] / fit.area[0] == pytest.approx(3.0, rel=0.02)  # absorption mode: quantitative
    mag = nmr.measured.fit_peaks(nmr.measured.read_bruker(tmp_path / "1", phase="magnitude"), [264, 1])
    assert mag.area[1] / mag.area[0] != pytest.approx(3.0, rel=0.05)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFileError, match="holds no Bruker data"):
        nmr.measured.read_bruker(tmp_path / "empty")
    (tmp_path / "2").mkdir()
    (tmp_path / "2" / "acqus").write_text("garbage")
    (tmp_path / "2" / "fid").write_bytes(b"\x00\x01")
    with pytest.raises(DataFileError):
        nmr.measured.read_bruker(tmp_path / "2")
    with pytest.raises(InputError, match="is not a folder"):
        nmr.measured.read_bruker(tmp_path / "nope")
