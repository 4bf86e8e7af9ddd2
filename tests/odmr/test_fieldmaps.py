"""Field maps: projections, vector B, [111] → Bz and upward continuation against an exact dipole."""

import numpy as np
import pytest
from scipy.constants import mu_0

from operando.errors import InputError
from operando.nv.constants import GAMMA_E
from operando.nv.orientations import nv_orientations
from operando.nv.spin import resonances
from operando.odmr.fieldmaps import (
    field_maps,
    projected_field_map,
    projection_to_bz,
    subtract_background,
    upward_continue,
    vector_field_map,
)
from operando.odmr.fit import fit_odmr
from operando.odmr.models import DipModel
from operando.odmr.synthetic import simulate_stack


def dipole_field(height, n=128, size=40e-6, moment=(1e-13, 0.5e-13, 2e-13), depth=3e-6):
    """Exact field (3, n, n) of a point dipole ``depth`` below z = 0 on the plane z = ``height``."""
    x = (np.arange(n) - n / 2) * size / n
    X, Y = np.meshgrid(x, x, indexing="xy")
    r = np.stack([X, Y, np.full_like(X, height + depth)], -1)
    rn = np.linalg.norm(r, axis=-1)[..., None]
    m = np.asarray(moment)
    B = mu_0 / (4 * np.pi) * (3 * r * (r @ m)[..., None] / rn**2 - m) / rn**3
    return np.moveaxis(B, -1, 0), size / n


CENTRE = (slice(32, 96), slice(32, 96))


def test_b111_to_bz_matches_exact_dipole():
    B, d = dipole_field(1e-6)
    u = np.ones(3) / np.sqrt(3)
    bz = projection_to_bz(np.tensordot(u, B, axes=1), u, d, d)
    err = np.abs(bz - B[2])[CENTRE].max() / np.abs(B[2]).max()
    assert err < 5e-3
    wrong = projection_to_bz(
        np.tensordot(u, B, axes=1), u * [-1, -1, 1], d, d
    )  # mirrored axis: wrong
    assert np.abs(wrong - B[2])[CENTRE].max() / np.abs(B[2]).max() > 0.1


def test_upward_continuation_matches_exact_dipole():
    B1, d = dipole_field(1e-6)
    B3, _ = dipole_field(3e-6)
    up = upward_continue(B1[2], 2e-6, d, d)
    assert np.abs(up - B3[2])[CENTRE].max() / np.abs(B3[2]).max() < 5e-3
    np.testing.assert_allclose(
        upward_continue(B1[2], 0.0, d, d), B1[2], atol=1e-12 * np.abs(B1[2]).max()
    )
    with pytest.raises(InputError, match="height"):
        upward_continue(B1[2], -1e-6, d, d)
    with pytest.raises(InputError, match="direction"):
        projection_to_bz(B1[2], [1, 0, 0], d, d)


def test_background_plane_removed():
    yy, xx = np.mgrid[0:20, 0:30]
    signal = np.zeros((20, 30))
    signal[8:12, 10:14] = 1.0
    img = signal + 0.3 + 0.01 * xx - 0.02 * yy
    out = subtract_background(img, order=1, mask=signal == 0)
    np.testing.assert_allclose(out, signal, atol=1e-12)
    np.testing.assert_allclose(
        subtract_background(img, order=0, reference=img - 5.0), 0.0, atol=1e-12
    )
    with pytest.raises(InputError, match="order"):
        subtract_background(img, order=-1)


def test_projected_and_vector_maps_from_resonances():
    axes = nv_orientations("100")
    B = np.array([[1e-3, 2e-3, 3e-3], [-0.5e-3, 1e-3, 2e-3]]).T  # two fields, components first (3, 2)
    freqs = resonances(B, axes)
    np.testing.assert_allclose(vector_field_map(freqs, axes, b_guess=B[:, 0]), B, atol=1e-12)
    f_along = resonances(np.array([1e-3, 1e-3, 1e-3]) / np.sqrt(3), axes[:1] * 0 + [1, 1, 1])[0]
    assert projected_field_map(*f_along) == pytest.approx(1e-3, rel=1e-9)
    nan = np.full((1, 4, 2), np.nan)
    assert np.all(np.isnan(vector_field_map(nan, axes)))


def test_field_maps_from_a_two_dip_fit():
    f = np.linspace(2.80e9, 2.94e9, 101)
    b_true = np.linspace(-1e-4, 1e-4, 16).reshape(4, 4) + 1e-3
    half = GAMMA_E * b_true
    p = np.stack(
        [
            2.87e9 - half,
            2.87e9 + half,
            *np.full((2, 4, 4), 6e6),
            *np.full((2, 4, 4), 0.02),
            np.ones((4, 4)),
        ],
        axis=-1,
    )
    fit = field_maps(fit_odmr(simulate_stack(DipModel(2), f, p, noise=1e-3, rng=0)))
    z = (fit["B_nv"].values - b_true) / fit["B_nv_err"].values
    assert np.all(np.abs(z) < 5) and fit["B_nv"].attrs["units"] == "T"


def test_vector_field_from_an_eight_dip_fit():
    """Eight free Lorentzians fitted to NV spectra, paired outer-to-inner and matched to the axes
    through the bias field's splittings, give back the vector field."""
    from operando.odmr.nvmodel import NVModel

    axes = nv_orientations("100")
    model = NVModel(axes=axes)
    rng = np.random.default_rng(9)
    b = np.array([1.5e-3, 2.5e-3, 3.2e-3]) + rng.normal(0, 2e-5, (4, 4, 3))
    truth = np.concatenate(
        [
            b,
            np.full((4, 4, 1), 2.87e9),
            np.full((4, 4, 1), 4e6),
            np.full((4, 4, 4), 0.02),
            np.ones((4, 4, 1)),
        ],
        axis=-1,
    )
    f = np.linspace(2.70e9, 3.04e9, 341)
    ds = simulate_stack(model, f, truth, noise=5e-4, rng=1)
    fit = field_maps(
        fit_odmr(ds, "lorentzian", n_dips=8), axes=axes, b_guess=(1.2e-3, 2.9e-3, 3e-3)
    )
    got = np.moveaxis(fit["B"].values, 0, -1)
    assert np.max(np.abs(got - b)) < 5e-6  # lines to ~20 kHz: field to ~1 µT (max of 48: < 5 µT)
