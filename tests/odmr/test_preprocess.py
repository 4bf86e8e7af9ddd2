"""Preprocessing: ROI, binning, normalisation and pixel masks with their report."""

import numpy as np
import pytest

from operando.errors import InputError
from operando.odmr.dataset import make_odmr_dataset
from operando.odmr.preprocess import bin_pixels, mask_pixels, normalise, select_roi

F = 2.87e9 + 1e6 * np.arange(10)


def stack(rng, ny=6, nx=8):
    return make_odmr_dataset(1000 + rng.random((ny, nx, F.size)), F)


def test_roi_selects_pixels(rng):
    ds = stack(rng)
    roi = select_roi(ds, y=slice(1, 4), x=slice(2, 8, 2))
    np.testing.assert_array_equal(roi["signal"].values, ds["signal"].values[1:4, 2:8:2])
    with pytest.raises(InputError, match="selects no pixels"):
        select_roi(ds, y=slice(10, 12))


def test_binning_is_block_mean_and_skips_nan(rng):
    ds = stack(rng)
    sig = ds["signal"].values.copy()
    sig[0, 0, 3] = np.nan
    b = bin_pixels(make_odmr_dataset(sig, F), 2)
    assert b.sizes["y"] == 3 and b.sizes["x"] == 4
    expect = np.nanmean(sig[2:4, 4:6].reshape(4, -1), axis=0)
    np.testing.assert_allclose(b["signal"].values[1, 2], expect)
    np.testing.assert_allclose(b["signal"].values[0, 0, 3], np.nanmean(sig[:2, :2, 3]))
    b3 = bin_pixels(ds, 4)  # edge blocks that do not fit are dropped
    assert b3.sizes["y"] == 1 and b3.sizes["x"] == 2
    for bad in (0, 1.5, 100):
        with pytest.raises(InputError, match="factor"):
            bin_pixels(ds, bad)


def test_normalisation_methods(rng):
    ds = stack(rng)
    base = normalise(ds, method="baseline", n_edge=2)
    sig = ds["signal"].values
    level = np.concatenate([sig[..., :2], sig[..., -2:]], axis=-1).mean(axis=-1)
    np.testing.assert_allclose(base["signal"].values, sig / level[..., None], rtol=1e-12)
    assert base["signal"].attrs["units"] == "1"
    ref = normalise(ds, method="reference", reference=sig * 2)
    np.testing.assert_allclose(ref["signal"].values, 0.5)
    np.testing.assert_allclose(normalise(ds, method="mean")["signal"].values.mean(axis=-1), 1.0)
    with pytest.raises(InputError, match="n_edge"):
        normalise(ds, n_edge=6)
    with pytest.raises(InputError, match="reference"):
        normalise(ds, method="reference")
    with pytest.raises(InputError, match="shape"):
        normalise(ds, method="reference", reference=np.ones((2, 2, 10)))
    with pytest.raises(InputError, match="method"):
        normalise(ds, method="median")


@pytest.mark.parametrize("method", ["baseline", "mean"])
def test_normalisation_skips_infinite_samples(rng, method):
    # one overflowed sample used to make the level infinite and the whole spectrum zero ("flat")
    ds = stack(rng)
    ds["signal"][0, 0, 0] = np.inf
    out = normalise(ds, method=method)["signal"].values
    assert np.isposinf(out[0, 0, 0])
    level = (ds["signal"].values[0, 0, -1] if method == "baseline"  # edges: the first and last point
             else ds["signal"].values[0, 0, 1:].mean())
    np.testing.assert_allclose(out[0, 0, 1:], ds["signal"].values[0, 0, 1:] / level, rtol=1e-6)


def test_mask_report_counts_each_reason(rng):
    sig = 1000 + rng.random((5, 5, F.size))
    sig[0, 0] = np.nan  # all NaN
    sig[0, 1, :7] = np.nan  # mostly NaN
    sig[1, 1, 4] = 70000  # saturated sample
    sig[2, 2] = 5.0  # flat: dead
    sig[3, 3] = 0.5 + rng.random(F.size)  # dark pixel below the dead level
    ds = mask_pixels(make_odmr_dataset(sig, F), saturation=65000, dead_level=10)
    rep = ds.attrs["mask_report"]
    assert rep == {"nan": 2, "saturated": 1, "dead": 2, "masked": 5, "total_pixels": 25}
    valid = ds["valid"].values
    assert (
        not valid[0, 0] and not valid[1, 1] and not valid[2, 2] and not valid[3, 3] and valid[4, 4]
    )
    with pytest.raises(InputError, match="saturation"):
        mask_pixels(ds, saturation=-1)
