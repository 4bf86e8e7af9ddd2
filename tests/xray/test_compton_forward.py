"""Forward model: sheet beam, attenuation in and out, pinhole imaging, Poisson counts; the coin cell."""

import numpy as np
import pytest

from operando.errors import InputError
from operando.grid import Grid
from operando.xray.attenuation import linear_attenuation
from operando.xray.cell import CellStack, cathode_thickness, huang2025_scene, region_beam_centres
from operando.xray.decomposition import anode_fractions, decompose_regions
from operando.xray.detector import hexitec
from operando.xray.emr import emr
from operando.xray.forward import ComptonScene, Geometry, expected_spectra, simulate_frame
from operando.xray.profiles import compound_spectrum

EDGES = np.linspace(60e3, 120e3, 513)
CENTRES = 0.5 * (EDGES[1:] + EDGES[:-1])


def _small(n=8, pitch=250e-6):
    return hexitec(n_pixels=n, pixel_pitch_m=pitch)


def _block(material="Li", nz=4, n=8, dz=250e-6):
    g = Grid((nz, n, n), (dz, 250e-6, 250e-6))
    return ComptonScene(g, (material,), np.ones((1, nz, n, n)))


def test_a_uniform_block_against_a_hand_computation():
    scene = _block()
    g = scene.grid
    geom = Geometry(beam_z=float(g.z[1]), beam_height_m=250e-6, flux_per_m2=1e16, exposure_s=10.0)
    out = expected_spectra(scene, geom, EDGES, _small(), response=False, blur=False, n_energy_nodes=24)
    # pixel (v, u) sees the voxel (y index 7 − v, x index 7 − u) of layer 1 (1:1, inverted image)
    mu_in = linear_attenuation("Li", 115e3)
    mu_out = linear_attenuation("Li", CENTRES)
    scale = 1e16 * 10.0 * g.voxel_volume * geom.solid_angle
    for u in (0, 3, 7):
        ix = 7 - u
        theta = np.arctan2(geom.pinhole_distance_m, g.x.mean() - g.x[ix])
        k = compound_spectrum("Li", 115e3, theta, EDGES, phi=geom.polarization_phi)
        t_in = np.exp(-mu_in * (ix + 0.5) * g.dx)
        t_out = np.exp(-mu_out * 2.5 * g.dz)  # layer 1 of 4: 2 full layers above + half its own
        want = scale * t_in * t_out * k
        np.testing.assert_allclose(out[4, u], want, rtol=2e-3, atol=1e-6 * want.max())


def test_settings_change_the_image():
    scene = _block()
    ref = expected_spectra(scene, Geometry(beam_z=float(scene.grid.z[1])), EDGES, _small(), response=False)
    for change in ({"exposure_s": 120.0}, {"pinhole_diameter_m": 0.4e-3}, {"incident_eV": 100e3},
                   {"polarization_phi": None}, {"beam_height_m": 0.1e-3}, {"pinhole_distance_m": 0.05},
                   {"magnification": 2.0}, {"flux_per_m2": 1e15}, {"field_centre_xy": (0.5e-3, 0.5e-3)},
                   {"beam_width_m": 0.5e-3}):
        geom = Geometry(beam_z=float(scene.grid.z[1]), **change)
        assert not np.allclose(expected_spectra(scene, geom, EDGES, _small(), response=False), ref), change
    for kw in ({"blur": False}, {"n_energy_nodes": 2}, {"response": True}):
        assert not np.allclose(expected_spectra(scene, Geometry(beam_z=float(scene.grid.z[1])), EDGES, _small(),
                                                **{"response": False, **kw}), ref), kw
    # the exposure scales the counts exactly
    geom = Geometry(beam_z=float(scene.grid.z[1]), exposure_s=120.0)
    np.testing.assert_allclose(expected_spectra(scene, geom, EDGES, _small(), response=False), 2 * ref)


def test_poisson_frames_are_seeded_and_unbiased():
    scene = _block()
    geom = Geometry(beam_z=float(scene.grid.z[1]), exposure_s=600.0)
    a, mean = simulate_frame(scene, geom, EDGES, _small(), response=False, seed=3)
    b, _ = simulate_frame(scene, geom, EDGES, _small(), response=False, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.sum() == pytest.approx(float(mean.sum()), rel=5 / np.sqrt(float(mean.sum())))


def test_li_content_of_the_cathode_moves_the_emr_as_the_free_atom_model_says():
    values = []
    for x in (0.5, 1.0):
        g = Grid((2, 4, 4), (250e-6, 250e-6, 250e-6))
        scene = ComptonScene(g, ("NMC622_composite",), np.ones((1, 2, 4, 4)), np.full(g.shape, x))
        s = expected_spectra(scene, Geometry(beam_z=float(g.z[0])), EDGES, _small(), response=False, blur=False)
        values.append(emr(s.sum(axis=(0, 1)), EDGES, variance=np.zeros(EDGES.size - 1)).value)
    assert values[1] > values[0]


def test_bad_scene_and_geometry():
    g = Grid((2, 4, 4), 250e-6)
    with pytest.raises(InputError, match="fractions"):
        ComptonScene(g, ("Li",), np.full((1, 2, 4, 4), 1.5))
    with pytest.raises(InputError, match="li_content"):
        ComptonScene(g, ("NMC622",), np.ones((1, 2, 4, 4)), np.full(g.shape, 2.0))
    with pytest.raises(InputError, match="beam_z"):
        expected_spectra(ComptonScene(g, ("Li",), np.ones((1, 2, 4, 4))), Geometry(beam_z=5e-3), EDGES)
    with pytest.raises(InputError, match="incident_eV"):
        Geometry(incident_eV=0.0)


def test_cathode_thickness_from_loading_and_density():
    # Huang et al., J. Phys. Energy 2025 (seed 002 L105, L120): 19.3 mg/cm² at 2.97 g/cm³ → ~65 µm
    assert cathode_thickness() == pytest.approx(65e-6, abs=0.5e-6)


def test_region_decomposition_on_the_simulated_cell():
    stack = CellStack()
    scene = huang2025_scene(voxel_xy=1e-3, voxel_z=5e-6, stack=stack, li_content=0.6)
    det = _small(20, 1e-3)
    centres = region_beam_centres(stack)
    def centre_spectrum(sc, z):
        return expected_spectra(sc, Geometry(beam_z=z), EDGES, det, response=False, blur=False)[8:12, 8:12].sum((0, 1))

    spectra = [centre_spectrum(scene, z) for z in centres]
    anode = scene.fractions[scene.materials.index("Li")][:, 10, 10]
    alpha, beta = anode_fractions(anode, scene.grid.z, centres, 0.25e-3)
    sep = decompose_regions(*spectra, alpha, beta, variances=[np.zeros_like(spectra[0])] * 3)
    # the separated cathode signal has the cathode's EMR, not region 1's mixture
    only = ComptonScene(scene.grid, scene.materials, scene.fractions * _only(scene, "NMC622_composite"),
                        scene.li_content)
    ref = centre_spectrum(only, centres[0])
    zero = np.zeros(EDGES.size - 1)
    e_sep = emr(sep.cathode, EDGES, variance=zero).value
    e_ref = emr(ref, EDGES, variance=zero).value
    e_r1 = emr(spectra[0], EDGES, variance=zero).value
    assert abs(e_sep - e_ref) < 0.2 * abs(e_r1 - e_ref)


def _only(scene, name):
    keep = np.zeros((len(scene.materials), 1, 1, 1))
    keep[scene.materials.index(name)] = 1.0
    return keep


def test_scene_settings_change_the_cell():
    base = huang2025_scene(voxel_xy=1e-3, voxel_z=5e-6)
    thick = huang2025_scene(voxel_xy=1e-3, voxel_z=5e-6, stack=CellStack(cathode=100e-6))
    i = base.materials.index("NMC622_composite")
    vol = base.fractions[i].sum() * base.grid.dz
    assert thick.fractions[i].sum() * thick.grid.dz == pytest.approx(vol * 100e-6 / cathode_thickness(), rel=1e-6)
    prof = huang2025_scene(voxel_xy=1e-3, voxel_z=5e-6, li_content=[0.3, 0.9])
    x = prof.li_content[base.fractions[i].any(axis=(1, 2))][:, 10, 10]
    # the profile runs from the SPE side (top, high z) to the collector (bottom, low z)
    assert x[-1] < x[0] and x.min() >= 0.3 and x.max() <= 0.9


def test_frame_dataset_carries_units_and_geometry():
    from operando.xray.forward import frame_dataset

    scene = _block()
    geom = Geometry(beam_z=float(scene.grid.z[1]))
    counts, mean = simulate_frame(scene, geom, EDGES, _small(), response=False)
    ds = frame_dataset(counts, EDGES, geom, mean)
    assert ds["counts"].dims == ("v", "u", "energy") and ds["energy"].attrs["units"] == "eV"
    assert ds.attrs["incident_eV"] == 115e3 and "pinhole_distance_m" in ds.attrs["assumptions"]
