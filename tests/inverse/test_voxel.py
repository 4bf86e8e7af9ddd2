"""Exact discrete inversion (method="voxel") of maps made by the voxel engine, 250 nm pixels.

VALIDATION M12 (seed 000 L139, L154): a 2-D magnetization with unidirectional moments and a 2-D
sheet current are uniquely reconstructed from the stray field. With pixels larger than the
standoff the sampled field of the voxels is not band-limited, so the continuum filter misses by
a few per cent; the exact discrete transfer of the voxel engine recovers the sources.
"""

import numpy as np
import pytest
from scipy.constants import mu_0

from operando import Grid
from operando.errors import InputError
from operando.inverse import (
    current_from_stream_function,
    current_through_cut,
    magnetization_from_field,
    relative_l2_error,
    sheet_current_from_field,
)
from operando.inverse._spectral import SpectralGrid
from operando.inverse.voxel import node_curl_filters, solve_voxel, voxel_transfer
from operando.magnetics import nv_axis, oersted_field_from_current, stray_field_from_magnetization

PIXEL = 250e-9
NY, NX = 36, 44
MARGIN = 4  # empty pixels around the sources; also excluded from the error
NV = nv_axis("111", azimuth=0.4)


def _particles():
    """Uniform discs and a bar (paramagnetic particles in 100 mT), Mz in A/m; zero margin."""
    j, i = np.mgrid[0:NY, 0:NX]
    chi = np.zeros((NY, NX))
    for y0, x0, r, c in [(12, 12, 6.5, 2.0e-4), (22, 30, 8.2, 1.5e-4), (28, 11, 3.1, 2.4e-4)]:
        chi[(j - y0) ** 2 + (i - x0) ** 2 <= r**2] = c
    chi[5:9, 22:38] = 1.0e-4
    chi[:MARGIN] = chi[-MARGIN:] = 0
    chi[:, :MARGIN] = chi[:, -MARGIN:] = 0
    return chi * 0.1 / mu_0


def _blob_stream_function():
    j, i = np.mgrid[0:NY, 0:NX] + 0.5
    blobs = [(15, 14, 4.0, 1.0), (20, 30, 3.0, -0.7), (27, 20, 2.2, 0.5)]
    psi = sum(a * np.exp(-((i - x0) ** 2 + (j - y0) ** 2) / (2 * s**2)) for y0, x0, s, a in blobs)
    # ψ = 0 on a frame: the (still divergence-free) current is confined inside the map
    psi[:2] = psi[-2:] = 0
    psi[:, :2] = psi[:, -2:] = 0
    return 1e3 * 1e-6 * psi  # A/m: ~1e3 A/m² current density over µm-scale loops


@pytest.fixture(scope="module")
def particle_maps():
    M = _particles()
    out = {}
    for thickness, h in [(2e-6, 50e-9), (250e-9, 250e-9)]:
        grid = Grid((1, NY, NX), (thickness, PIXEL, PIXEL))
        M3 = np.zeros((3, 1, NY, NX))
        M3[2, 0] = M
        out[thickness, h] = stray_field_from_magnetization(M3, grid, h)[:, 0]
    return M, out


@pytest.mark.parametrize("thickness, h", [(2e-6, 50e-9), (250e-9, 250e-9)])
def test_particle_magnetization_round_trip_is_exact(particle_maps, thickness, h):
    M, maps = particle_maps
    Bz = maps[thickness, h][2]
    kw = dict(standoff=h, thickness=thickness, window="none", taper=0)
    voxel = magnetization_from_field(Bz, PIXEL, PIXEL, method="voxel", **kw)
    continuum = magnetization_from_field(Bz, PIXEL, PIXEL, **kw)
    assert voxel.attrs["method"] == "voxel" and voxel.attrs["solver"] == "gmres"
    assert relative_l2_error(voxel["M"].values, M, margin=MARGIN) < 1e-6
    # the cause: the band-limited continuum transfer misses the voxels' aliased spectrum
    assert relative_l2_error(continuum["M"].values, M, margin=MARGIN) > 1e-2


def test_magnetization_from_nv_axis_and_vector_map(particle_maps):
    M, maps = particle_maps
    ds = magnetization_from_field(maps[2e-6, 50e-9], PIXEL, PIXEL, standoff=50e-9,
                                  thickness=2e-6, component=NV, window="none", method="voxel")
    assert relative_l2_error(ds["M"].values, M, margin=MARGIN) < 1e-6


@pytest.mark.parametrize("kind", ["magnetization", "current"])
def test_voxel_transfer_reproduces_the_voxel_engine(kind):
    """crop ∘ F⁻¹ G F ∘ pad equals the engine's field for any source, axis and direction."""
    rng = np.random.default_rng(3)
    ny, nx, thickness, h = 12, 15, 300e-9, 80e-9
    grid = Grid((1, ny, nx), (thickness, PIXEL, 0.8 * PIXEL))
    spec = SpectralGrid.for_map((ny, nx), grid.dy, grid.dx)
    x = rng.normal(size=(ny, nx))
    src = np.zeros((3, 1, ny, nx))
    if kind == "magnetization":
        m = np.array([0.3, -0.5, 0.8]) / np.linalg.norm([0.3, -0.5, 0.8])
        src[:, 0] = m[:, None, None] * x
        B = stray_field_from_magnetization(src, grid, h)[:, 0]
    else:
        m = None
        x[-1] = x[:, -1] = 0  # ψ = 0 on the outer corners: the current stays inside the map
        X = spec.fft(x)
        src[:2, 0] = [spec.ifft(c * X) for c in node_curl_filters(spec)]
        B = oersted_field_from_current(src, grid, h)[:, 0]
    G = voxel_transfer(kind, spec, NV, h, 0.0, thickness, m)
    predicted = spec.ifft(G * spec.fft(x))
    expected = np.tensordot(NV, B, axes=(0, 0))
    assert np.max(np.abs(predicted - expected)) < 1e-9 * np.max(np.abs(expected))


def test_stream_function_current_conserves_charge_in_every_voxel():
    rng = np.random.default_rng(5)
    psi = rng.normal(size=(9, 11))
    psi[-1] = psi[:, -1] = 0
    dy, dx = 2.0, 3.0
    J = current_from_stream_function(psi, dy, dx)
    # Fourier form on the padded grid, cropped: the same current
    spec = SpectralGrid.for_map(psi.shape, dy, dx)
    X = spec.fft(psi)
    assert np.allclose(J, [spec.ifft(c * X) for c in node_curl_filters(spec)], atol=1e-12)
    # conservation on the voxel currents themselves: the net outflow of the 2 × 2 voxels around
    # every corner node (x- and y-differences each averaged over the other axis) vanishes
    Jx, Jy = np.pad(J, ((0, 0), (1, 0), (1, 0)))
    ddx, ddy = np.diff(Jx, axis=1) / dx, np.diff(Jy, axis=0) / dy
    outflow = 0.5 * (ddx[1:] + ddx[:-1]) + 0.5 * (ddy[:, 1:] + ddy[:, :-1])
    assert np.abs(outflow).max() < 1e-12 * np.abs(J).max()
    assert np.abs(outflow).max() < np.abs(ddx).max()  # not trivially zero


@pytest.fixture(scope="module")
def stream_current_case():
    J = current_from_stream_function(_blob_stream_function(), PIXEL, PIXEL)
    grid = Grid((1, NY, NX), (2e-6, PIXEL, PIXEL))
    J3 = np.zeros((3, 1, NY, NX))
    J3[:2, 0] = J
    return J, oersted_field_from_current(J3, grid, 50e-9)[:, 0]


@pytest.mark.parametrize("component", ["z", ("x", "y")], ids=["Bz", "BxBy"])
def test_stream_function_current_round_trip(stream_current_case, component):
    J, B = stream_current_case
    data = B[2] if component == "z" else B
    ds = sheet_current_from_field(data, PIXEL, PIXEL, standoff=50e-9, thickness=2e-6,
                                  component=component, window="none", method="voxel")
    J_rec = np.stack([ds["Jx"].values, ds["Jy"].values])
    assert relative_l2_error(J_rec, J, margin=2) < 1e-4
    # a closed current: zero net current through a full cut; the half cut to a loop centre
    # carries the loop's current (A per m of thickness)
    scale = np.abs(J).max() * NY * PIXEL
    assert abs(current_through_cut(J_rec, "x", 14, PIXEL)) < 1e-9 * scale
    half = J_rec[0, :15, 14].sum() * PIXEL
    assert abs(half) > 1e-2 * scale
    assert half == pytest.approx(J[0, :15, 14].sum() * PIXEL, rel=1e-4)


def test_stream_function_current_continuum_misses(stream_current_case):
    J, B = stream_current_case
    ds = sheet_current_from_field(B[2], PIXEL, PIXEL, standoff=50e-9, thickness=2e-6,
                                  window="none", taper=0)
    assert relative_l2_error(np.stack([ds["Jx"].values, ds["Jy"].values]), J, margin=2) > 1e-2


def test_unknown_method_is_refused(particle_maps):
    _, maps = particle_maps
    with pytest.raises(InputError, match="method"):
        magnetization_from_field(maps[2e-6, 50e-9][2], PIXEL, PIXEL, standoff=50e-9,
                                 method="exact")


def test_sheet_limit_gives_moment_per_area():
    """thickness = 0: a 10 nm particle layer read as a sheet at its mid-plane returns M · t (A)."""
    t, h = 10e-9, 50e-9
    M = _particles()
    M3 = np.zeros((3, 1, NY, NX))
    M3[2, 0] = M
    Bz = stray_field_from_magnetization(M3, Grid((1, NY, NX), (t, PIXEL, PIXEL)), h)[2, 0]
    ds = magnetization_from_field(Bz, PIXEL, PIXEL, standoff=h + t / 2, window="none",
                                  method="voxel")
    assert ds["M"].attrs["units"] == "A"
    assert relative_l2_error(ds["M"].values, M * t, margin=MARGIN) < 1e-2


def test_solver_that_stops_early_warns_and_reports(particle_maps):
    _, maps = particle_maps
    spec = SpectralGrid.for_map((NY, NX), PIXEL, PIXEL)
    z = np.array([0.0, 0.0, 1.0])
    G = voxel_transfer("magnetization", spec, z, 250e-9, 0.0, 250e-9, z)[None]
    with pytest.warns(RuntimeWarning, match="residual"):
        _, _, info = solve_voxel(spec, G, maps[250e-9, 250e-9][2][None], 1e-9, maxiter=2)
    assert not info["solver_converged"] and info["solver_relative_residual"] > 1e-6
