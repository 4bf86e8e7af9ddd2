"""Static and MAS spectra of a cell."""

import numpy as np
import pytest

from operando import nmr
from operando.cell import presets
from operando.errors import InputError


@pytest.fixture(scope="module")
def cell():
    return presets.pollok2025(voxel=0.5e-6, nz=4)


def peak(ds, var, lo, hi):
    s = ds[var].real.sel(ppm=slice(lo, hi))
    return float(s.ppm[int(np.argmax(s.values))])


def test_static_and_mas_peaks(cell):
    static = nmr.cell_spectrum(cell, "7Li", spectrometer=600e6)
    spun = nmr.cell_spectrum(cell, "7Li", spectrometer=600e6, rate=25e3)
    # Li metal near its Knight shift (Liu et al. 2025 L62: 264.5 ppm), LLZO near 1.2 ppm
    assert abs(peak(spun, "spectrum_li_metal", 200, 330) - 264.5) < 0.5
    assert abs(peak(spun, "spectrum_llzo", -30, 30) - 1.2) < 0.5
    # static: BMS moves the lines off their isotropic shifts by a few ppm (|chi_Li| ~ 14 ppm)
    assert 0.1 < abs(peak(static, "spectrum_li_metal", 200, 330) - 264.5) < 15
    # MAS sidebands of the metal at +-25 kHz / 233 MHz = 107 ppm stay weak
    assert static.attrs["larmor_frequency_hz"] == pytest.approx(nmr.larmor_frequency("7Li", spectrometer=600e6))
    total = spun["spectrum"].values
    np.testing.assert_allclose(total, sum(spun[v].values for v in spun.data_vars if v != "spectrum"))


def test_settings_change_what_they_name(cell):
    base = nmr.cell_spectrum(cell, "7Li", spectrometer=600e6)
    li6 = nmr.cell_spectrum(cell, "6Li", spectrometer=600e6)
    ratio = li6["spectrum_llzo"].real.sum() / base["spectrum_llzo"].real.sum()
    expect = nmr.receptivity("6Li", absolute=True) / nmr.receptivity("7Li", absolute=True)
    assert float(ratio) == pytest.approx(expect, rel=0.02)
    enriched = nmr.cell_spectrum(cell, "6Li", spectrometer=600e6, abundance={"li_metal": 0.95})
    assert enriched["spectrum_li_metal"].real.sum() > 10 * li6["spectrum_li_metal"].real.sum()
    turned = nmr.cell_spectrum(cell, "7Li", spectrometer=600e6, direction=(0, 0, 1))
    assert not np.allclose(turned["spectrum_li_metal"].values, base["spectrum_li_metal"].values)
    no_bms = nmr.cell_spectrum(cell, "7Li", spectrometer=600e6, susceptibility=False)
    assert peak(no_bms, "spectrum_li_metal", 200, 330) == pytest.approx(264.5, abs=0.2)
    moved = nmr.cell_spectrum(cell, "7Li", spectrometer=600e6, shifts={"li_metal": 250.0}, susceptibility=False)
    assert peak(moved, "spectrum_li_metal", 200, 330) == pytest.approx(250.0, abs=0.2)
    wide = nmr.cell_spectrum(cell, "7Li", spectrometer=600e6, widths={"li_metal": 20.0})
    assert wide["spectrum_li_metal"].real.max() < 0.5 * base["spectrum_li_metal"].real.max()


def test_bad_input(cell):
    with pytest.raises(InputError, match="nucleus: unknown nucleus"):
        nmr.cell_spectrum(cell, "8Li", spectrometer=600e6)
    with pytest.raises(InputError, match="rate: must be > 0"):
        nmr.cell_spectrum(cell, "7Li", spectrometer=600e6, rate=0.0)
    with pytest.raises(InputError, match="field: must be > 0"):
        nmr.cell_spectrum(cell, "7Li", field=-1.0)
    with pytest.raises(InputError, match="ppm"):
        nmr.cell_spectrum(cell, "7Li", spectrometer=600e6, ppm=[1, 2, 3])


def test_dendrite_and_electrode_peaks_separate_in_static_spectrum(cell):
    # B0 along the stack normal (x): the flat electrode shifts down, the dendrite (grown along x) up
    static = nmr.cell_spectrum(cell, "7Li", spectrometer=600e6, direction=(1, 0, 0))
    electrode = peak(static, "spectrum_li_metal", 200, 330)
    dendrite = peak(static, "spectrum_dendrite", 200, 330)
    assert dendrite - electrode > 2 * 2.0  # more than two line widths apart
    spun = nmr.cell_spectrum(cell, "7Li", spectrometer=600e6, rate=25e3)
    assert abs(peak(spun, "spectrum_dendrite", 200, 330) - peak(spun, "spectrum_li_metal", 200, 330)) < 0.5


def test_garnet_sidebands_on_the_metal_peak_at_14_not_13_khz(cell):
    # seed 003 L211: at 322.57 MHz, 13 kHz keeps the LLZO sidebands off the Li-metal peak (264.5 ppm),
    # 14 kHz does not. An illustrative LLZO anisotropy (zeta 150 ppm, not from the papers) makes
    # the sideband manifold wide enough to reach the metal.
    kw = dict(spectrometer=830e6, anisotropy={"llzo": (150.0, 0.3)}, ppm=np.linspace(-150, 400, 4400))
    at = {}
    for rate in (13e3, 14e3):
        s = nmr.cell_spectrum(cell, "7Li", rate=rate, **kw)["spectrum_llzo"].real
        at[rate] = float(s.sel(ppm=slice(262.0, 267.0)).max() / s.max())
    assert at[14e3] > 20 * at[13e3]


def test_voxel_dataset(cell):
    ds = nmr.voxel_dataset(cell, "7Li", spectrometer=600e6)
    li = cell.mask("li_metal")
    assert ds["isotropic_shift"].values[li].min() == 264.5
    assert ds["shift"].attrs["units"] == "ppm" and ds["spin_density"].attrs["units"] == "m^-3"
    np.testing.assert_allclose(ds["shift"].values[li], 264.5 + ds["bms_shift"].values[li])
    assert np.isnan(ds["shift"].values[cell.mask("lco")]).all()  # no Li shift tabulated for LixCoO2
    assert ds["b1_amplitude"].values[li].min() < 1 and ds["b1_amplitude"].values[cell.mask("llzo")].min() == 1
    turned = nmr.voxel_dataset(cell, "7Li", spectrometer=600e6, direction=(0, 0, 1))
    assert not np.allclose(turned["bms_shift"].values, ds["bms_shift"].values)
