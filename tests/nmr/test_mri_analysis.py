"""Analysis of MRI data (metal maps, per-layer volumes, readers) and the Liu et al. 2025 run."""

import numpy as np
import pytest

from operando.errors import DataFileError, GeometryError, InputError
from operando.grid import Grid
from operando.nmr import mri
from operando.nmr.mri import analysis


def test_select_shift_moves_the_metal_back():
    p = mri.liu2025_flash()
    g = Grid((1, 81, 52), (1e-3, *p.voxel[1:]))
    m = np.zeros(g.shape, complex)
    m[0, 40, 20] = 1.0
    maps = {"metal": {"m": m, "shift": 264.5, "relaxation": None}}
    img = mri.reconstruct(mri.sample_kspace(maps, g, p, box=False), p)
    back = analysis.select_shift(img, p, 264.5)
    np.testing.assert_allclose(np.abs(back.values), np.abs(m), atol=1e-12)
    with pytest.raises(GeometryError, match="mask"):
        analysis.select_shift(img, p, 264.5, mask=np.ones((3, 3), bool))


def test_layer_volumes_and_errors():
    p = mri.liu2025_flash()
    x = mri.recon.image_coords(p)["x"]
    img = np.zeros(p.matrix)
    img[0, 10:20, 26] = 3.0  # one column of signal
    edges = [x[20], x[26] - 1e-9, x[40]]
    ds = analysis.layer_volumes(img, x, edges, calib=2.0, sigma=0.0)
    assert ds.volume.values.tolist() == pytest.approx([0.0, 10 * 3.0 / 2.0])
    noisy = analysis.layer_volumes(img, x, edges, calib=2.0, sigma=0.5)
    assert noisy.error.values[1] == pytest.approx(0.5 / np.sqrt(2) * np.sqrt(10) / 2.0)
    with pytest.raises(InputError, match="edges"):
        analysis.layer_volumes(img, x, [1.0, 0.0], calib=1.0, sigma=0.0)
    with pytest.raises(GeometryError, match="x"):
        analysis.layer_volumes(img, x[:-1], edges, calib=1.0, sigma=0.0)


def test_layer_volume_recovers_a_thin_deposit():
    # a thin metal film (<< skin depth) in a known voxel comes back as its volume
    from operando.cell.symmetric import MetalFraction, liu2025_symmetric

    cell = liu2025_symmetric(100e-6, margin=1)
    p = mri.liu2025_flash(read_gradient=0.6)
    f = np.zeros(cell.grid.shape)
    f[20:30, 25, 6] = 1e-3
    metal = MetalFraction(cell.grid, f, np.where(f > 0, 2 / 0.1e-6, 0.0))
    maps = mri.species_maps(cell, metal, p, susceptibility=False)
    img = mri.reconstruct(mri.sample_kspace({"m": maps["Li_metal"]}, cell.grid, p, readout_decay=False), p,
                          mri.fov_centre(cell.grid))
    ds = analysis.layer_volumes(img, img.x.values, [img.x.values[0], img.x.values[-1]], analysis.calibration(p), 0.0)
    assert ds.volume.values[0] == pytest.approx(metal.total_volume, rel=0.15)


def test_mechanism_from_abundance():
    # Liu et al. 2025 (seed 003 L45): below the electrolyte's 6Li abundance -> grain-boundary reduction
    assert analysis.mechanism([0.5, 0.06], 0.9, 0.1).tolist() == [1, 2]


def test_read_image_numpy_and_nifti(tmp_path):
    p = mri.liu2025_flash()
    arr = np.random.default_rng(0).random((81, 52))
    np.save(tmp_path / "img.npy", arr)
    np.testing.assert_allclose(mri.read_image(tmp_path / "img.npy", p)[0], arr)
    np.save(tmp_path / "bad.npy", arr.T)
    with pytest.raises(GeometryError, match="matrix"):
        mri.read_image(tmp_path / "bad.npy", p)
    with pytest.raises(DataFileError, match="path"):
        mri.read_image(tmp_path / "none.npy", p)
    nib = pytest.importorskip("nibabel")
    zooms = (p.voxel[2] * 1e3, p.voxel[1] * 1e3)
    img = nib.Nifti1Image(arr.T.astype(np.float32), np.diag([*zooms, 1.0, 1.0]))
    img.header.set_zooms(zooms)
    nib.save(img, str(tmp_path / "img.nii"))
    np.testing.assert_allclose(mri.read_image(tmp_path / "img.nii", p)[0], arr, rtol=1e-6)
    wrong = nib.Nifti1Image(arr.T.astype(np.float32), np.eye(4))
    nib.save(wrong, str(tmp_path / "wrong.nii"))
    with pytest.raises(GeometryError, match="spacing"):
        mri.read_image(tmp_path / "wrong.nii", p)


def test_unknown_species():
    with pytest.raises(InputError, match="species"):
        mri.relaxation("PEO", mri.liu2025_flash())


@pytest.mark.slow
def test_run_liu2025(tmp_path):
    from operando.nmr.mri.experiment import run_liu2025
    from operando.report import BY_CONSTRUCTION, DIFFERS, REPRODUCED

    run = run_liu2025(tmp_path, snapshots=3, duration=3 * 86400)
    verdicts = {c.id: c.verdict for c in run.claims}
    assert list(verdicts) == ["N1", "N2", "N3", "N4", "N5", "N6"]
    assert verdicts["N1"] == REPRODUCED and verdicts["N5"] == REPRODUCED
    assert verdicts["N3"] == DIFFERS and verdicts["N6"] == BY_CONSTRUCTION
    assert all(path.exists() for path in run.figures.values())
    layers = run.datasets["layers"]
    assert np.all(layers.volume.isel(charge_passed=-1) > 0)
    assert (tmp_path / "layers.nc").exists()
    section = run.section()
    assert len(section.figures) == 4 and section.figures[0][1][:4] == b"\x89PNG"


VISU = """##TITLE=Parameter List
##JCAMPDX=4.24
$$ a comment
##$VisuCoreFrameCount=1
##$VisuCoreSize=( 2 )
52 81
##$VisuCoreExtent=( 2 )
11 17
##$VisuCoreWordType=_16BIT_SGN_INT
##$VisuCoreByteOrder=littleEndian
##$VisuCoreDataSlope=( 1 )
0.5
##$VisuCoreDataOffs=( 1 )
2
##END=
"""


def test_read_bruker_2dseq(tmp_path):
    # ParaVision stores x fastest; VisuCoreSize (x, y) = (52, 81) is our (y, x) = (81, 52) image
    p = mri.liu2025_flash()
    raw = np.arange(81 * 52, dtype="<i2").reshape(81, 52)
    raw.tofile(tmp_path / "2dseq")
    (tmp_path / "visu_pars").write_text(VISU)
    img = mri.read_image(tmp_path, p)
    np.testing.assert_allclose(img[0].real, 0.5 * raw + 2)
    (tmp_path / "visu_pars").write_text(VISU.replace("11 17", "11 34"))
    with pytest.raises(GeometryError, match="spacing"):
        mri.read_image(tmp_path / "2dseq", p)
    (tmp_path / "visu_pars").write_text(VISU.replace("52 81", "52 80"))
    with pytest.raises(DataFileError, match="2dseq"):
        mri.read_image(tmp_path, p)


def test_support_and_growth():
    p = mri.liu2025_flash()
    g = Grid((4, 30, 20), 100e-6)
    occ = np.zeros(g.shape, bool)
    occ[:, 10:20, 5:8] = True
    sup = analysis.support(occ, g, p, mri.fov_centre(g))
    assert sup.shape == tuple(p.matrix) and 0 < sup.sum() < occ.sum()
    x = mri.recon.image_coords(p)["x"]
    one = analysis.layer_volumes(np.ones(p.matrix), x, [x[0], x[10], x[20]], 1.0, 0.0)
    two = analysis.layer_volumes(2 * np.ones(p.matrix), x, [x[0], x[10], x[20]], 1.0, 0.0)
    grown = analysis.growth([one, two], [0.0, 5.0])
    assert grown.volume.sel(charge_passed=5.0).values.tolist() == pytest.approx([2 * 81 * 10] * 2)
    with pytest.raises(InputError, match="charge"):
        analysis.growth([one], [0.0, 1.0])
