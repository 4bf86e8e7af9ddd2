"""MRI forward model: k-space round trip, chemical-shift displacement, noise, CSI."""

import numpy as np
import pytest

from operando.cell.symmetric import liu2025_symmetric, metal_of_cell
from operando.errors import InputError
from operando.grid import Grid
from operando.nmr import mri
from operando.nmr.mri.kspace import _scatter_read
from operando.nmr.skin import skin_depth_of


def image_grid(p):
    return Grid(tuple(p.matrix), tuple(p.voxel))


@pytest.mark.parametrize("matrix", [(4, 6, 8), (3, 5, 7)])
def test_kspace_round_trip_is_exact(matrix):
    p = mri.liu2025_gre3d(matrix=matrix, fov=(4e-3, 6e-3, 8e-3), read_axis="x")
    rng = np.random.default_rng(1)
    phantom = rng.normal(size=matrix) + 1j * rng.normal(size=matrix)
    g = image_grid(p)
    k = mri.sample_kspace(phantom, g, p, box=False)
    img = mri.reconstruct(k, p, mri.fov_centre(g))
    np.testing.assert_allclose(img.values, phantom, atol=1e-12 * np.abs(phantom).max())
    np.testing.assert_allclose(img.x.values, g.x, atol=1e-15)


def test_kspace_is_the_fourier_sum():
    # one voxel of a fine grid: s(k) = m exp(-2 pi i k.r) sinc(k dx) on every encoded axis
    p = mri.liu2025_gre3d(matrix=(4, 4, 4), fov=(4e-3,) * 3)
    g = Grid((10, 10, 10), 0.2e-3)
    m = np.zeros(g.shape, complex)
    m[7, 2, 5] = 2.0
    k = mri.sample_kspace(m, g, p)
    kz, ky, kx = np.meshgrid(*mri.k_axes(p), indexing="ij")
    c = mri.fov_centre(g)
    r = (g.z[7] - c[0], g.y[2] - c[1], g.x[5] - c[2])
    want = 2.0 * np.exp(-2j * np.pi * (kz * r[0] + ky * r[1] + kx * r[2])) * np.sinc(kz * 2e-4) * np.sinc(
        ky * 2e-4) * np.sinc(kx * 2e-4)
    np.testing.assert_allclose(k, want, rtol=1e-12, atol=1e-14)


def point_source(p, shift):
    g = Grid((1, 81, 52), (1e-3, *p.voxel[1:]))
    m = np.zeros(g.shape, complex)
    m[0, 40, 26] = 1.0
    maps = {"metal": {"m": m, "shift": shift, "relaxation": None}}
    return g, maps


def test_point_source_moves_by_shift_b0_over_g():
    # seed 003 L205: the metal's Knight shift (264.5 ppm, L62) displaces it by delta B0 / G along read (y)
    p = mri.liu2025_flash()
    g, maps = point_source(p, 264.5)
    d = 264.5e-6 * p.field / p.read_gradient
    k0 = mri.sample_kspace({"m": {**maps["metal"], "shift": 0.0}}, g, p, box=False)
    k1 = mri.sample_kspace(maps, g, p, box=False)
    ky = mri.k_axes(p)[1]
    phase = np.angle(k1[0, :, 26] / k0[0, :, 26])
    np.testing.assert_allclose(np.angle(np.exp(1j * (phase + 2 * np.pi * ky * d))), 0.0, atol=1e-9)
    # on a gradient that makes it whole pixels the image is the source moved by them, toward +y
    pix = 7
    p7 = p.with_(read_gradient=264.5e-6 * p.field / (pix * p.voxel[1]))
    img = np.abs(mri.reconstruct(mri.sample_kspace(maps, g, p7, box=False), p7).values)
    assert np.unravel_index(img.argmax(), img.shape) == (0, 40 + pix, 26)
    assert img.max() == pytest.approx(1.0, rel=1e-12)
    p_neg = p7.with_(receiver_ppm=2 * 264.5)  # the same offset below the receiver moves toward -y
    img = np.abs(mri.reconstruct(mri.sample_kspace(maps, g, p_neg, box=False), p_neg).values)
    assert np.unravel_index(img.argmax(), img.shape) == (0, 40 - pix, 26)


def test_scatter_keeps_amount_and_centroid():
    rng = np.random.default_rng(3)
    m = rng.random((3, 20, 4)).astype(complex)
    off = rng.uniform(-2e-5, 2e-5, m.shape)
    moved = _scatter_read(m, off, 1e-5, axis=1)
    assert moved.sum() == pytest.approx(m.sum(), rel=1e-12)
    y = np.arange(20)[None, :, None] * 1e-5
    inner = slice(3, 17)
    m2 = np.zeros_like(m)
    m2[:, inner] = m[:, inner]
    moved = _scatter_read(m2, off, 1e-5, axis=1)
    assert (moved.real * y).sum() == pytest.approx((m2.real * (y + off)).sum(), rel=1e-12)


def test_noise_matches_the_model_and_averages():
    p = mri.liu2025_flash(averages=16)
    sigma = mri.image_noise(p)
    img = mri.reconstruct(mri.add_noise(np.zeros(p.matrix), p, seed=4), p).values
    assert np.std(img) == pytest.approx(sigma, rel=0.05)
    p4 = p.with_(averages=64)
    assert mri.image_noise(p4) == pytest.approx(sigma / 2, rel=1e-12)
    # the planner's field law: noise in spins falls as B0^-3/2
    assert mri.image_noise(p.with_(field=2 * p.field, read_gradient=p.read_gradient)) < sigma


def test_kspace_rejects_mismatched_maps_and_csi():
    p = mri.liu2025_flash()
    g = Grid((2, 10, 10), 1e-4)
    with pytest.raises(InputError, match="maps"):
        mri.sample_kspace({"a": {"m": np.ones((3, 3, 3)), "shift": 0, "relaxation": None}}, g, p)
    with pytest.raises(InputError, match="protocol"):
        mri.csi_kspace(np.ones(g.shape), g, p)


def test_csi_separates_metal_from_garnet():
    cell = liu2025_symmetric(100e-6, margin=1)
    metal = metal_of_cell(cell)
    p = mri.Protocol("csi", "csi", 11.75, (6e-3, 6e-3, 1.6e-3), (6, 6, 8), tr=0.25, te=1e-4,
                     flip_angle=np.pi / 6, receiver_ppm=130.0, dwell=4e-6, spectral_points=1024)
    maps = mri.species_maps(cell, metal, p, susceptibility=False)
    spec = mri.reconstruct_csi(mri.csi_kspace(maps, cell.grid, p), p, mri.fov_centre(cell.grid), line_broadening=200)
    total = np.abs(spec.sum(("z", "y", "x")))
    ppm = spec.ppm.values
    lo, hi = ppm < 100, ppm > 150
    # seed 003 L62: LLZO at 1.2 ppm, Li metal at 264.5 ppm
    assert abs(ppm[lo][total.values[lo].argmax()] - 1.2) < 3
    assert abs(ppm[hi][total.values[hi].argmax()] - 264.5) < 3
    metal_map = mri.analysis.window_map(spec, 230, 300).values
    garnet_map = mri.analysis.window_map(spec, -30, 30).values
    # x columns of 200 um: the low-x electrode at column 1, the pellet's middle at columns 3-4
    ratio_electrode = metal_map[:, :, 1].sum() / garnet_map[:, :, 1].sum()
    ratio_middle = metal_map[:, :, 3:5].sum() / garnet_map[:, :, 3:5].sum()
    assert ratio_electrode > 10 * ratio_middle


def test_species_map_settings_change_what_they_name():
    cell = liu2025_symmetric(100e-6, margin=1)
    metal = metal_of_cell(cell)
    p = mri.liu2025_flash()
    base = mri.species_maps(cell, metal, p)
    no_skin = mri.species_maps(cell, metal, p, skin=False)
    assert np.abs(no_skin["Li_metal"]["m"]).sum() > 5 * np.abs(base["Li_metal"]["m"]).sum()
    flat = mri.species_maps(cell, metal, p, susceptibility=False)
    assert np.ptp(flat["LLZO"]["shift"]) == 0 and np.ptp(base["LLZO"]["shift"]) > 0
    turned = mri.species_maps(cell, metal, p, direction=(1.0, 0.0, 0.0))
    assert not np.allclose(turned["LLZO"]["shift"], base["LLZO"]["shift"])
    moved = mri.species_maps(cell, metal, p, shifts={"Li_metal": 250.0}, susceptibility=False)
    assert np.all(moved["Li_metal"]["shift"] == 250.0)
    slow = mri.species_maps(cell, metal, p, relaxation_overrides={"LLZO": {"t1": 10.0}}, susceptibility=False)
    assert np.abs(slow["LLZO"]["m"]).sum() < np.abs(flat["LLZO"]["m"]).sum()
    assert slow["LLZO"]["relaxation"].t1 == 10.0
    with pytest.raises(InputError, match="shifts"):
        mri.species_maps(cell, metal, p, shifts={"PEO": 1.0})
    # the spin echo refocuses the offset phase: only the skin-depth phase is left on the metal
    pse = p.with_(sequence="se", flip_angle=np.pi / 2)
    se = mri.species_maps(cell, metal, pse, susceptibility=False)["Li_metal"]["m"]
    gre = flat["Li_metal"]["m"]
    live = metal.fraction > 0
    delta = skin_depth_of("Li", "7Li", p.field)
    w_se = mri.film_weight(metal.surface_to_volume[live], delta, pse, mri.relaxation("Li_metal", pse))
    w_gre = mri.film_weight(metal.surface_to_volume[live], delta, p, mri.relaxation("Li_metal", p))
    keep = np.abs(w_se) > 0
    np.testing.assert_allclose(np.angle(se[live][keep] / w_se[keep]), 0.0, atol=1e-9)
    te_phase = -2 * np.pi * 264.5e-6 * p.larmor * p.te  # the gradient echo keeps exp(-2 pi i dnu TE)
    np.testing.assert_allclose(np.angle(gre[live][keep] / w_gre[keep] * np.exp(-1j * te_phase)), 0.0, atol=1e-6)


def test_noise_is_on_the_planners_scale():
    # one k-space sample of 1 ppm bandwidth sees N spins with the planner's SNR for a 1 ppm line
    from operando.nmr.feasibility import plan
    from operando.nmr.nuclei import nucleus, receptivity

    p = mri.liu2025_flash(averages=1)
    gamma = nucleus("7Li").gyromagnetic_hz
    p = p.with_(read_gradient=1e-6 * p.larmor / (gamma * p.fov[p.read_index]))
    assert p.bandwidth == pytest.approx(1e-6 * p.larmor)
    pl = plan(1e-12, 1e-9, field=p.field, linewidth=1.0)
    spins = pl.spins * receptivity("7Li")
    assert spins / mri.sample_noise(p) == pytest.approx(pl.snr_per_scan, rel=1e-3)


def test_hann_filter_keeps_the_total_and_damps_ringing():
    p = mri.liu2025_flash()
    g = Grid((1, 243, 156), (1e-3, *(p.voxel[1:] / 3)))  # 3 fine voxels per pixel
    m = np.zeros(g.shape, complex)
    m[0, 120, 61:72] = 1.0  # a bar 11/3 pixels long: its edges ring
    k = mri.sample_kspace(m, g, p)
    plain = mri.reconstruct(k, p).values
    hann = mri.reconstruct(k, p, filter="hann").values
    assert hann.sum() == pytest.approx(plain.sum())  # the k = 0 sample is untouched
    far = np.s_[0, :, 35:]
    assert np.abs(hann[far]).max() < 0.2 * np.abs(plain[far]).max()
    with pytest.raises(InputError, match="filter"):
        mri.reconstruct(k, p, filter="kaiser")
