"""Readers: round trips through every writer, the QDMlab layout, and every bad-input case."""

import json

import h5py
import numpy as np
import pytest
import scipy.io
import tifffile
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from operando.errors import DataFileError, InputError
from operando.io import save_dataset
from operando.odmr import load_odmr, register_reader
from operando.odmr.matlab import save_qdmlab_mat


def _freq(n):
    return 2.87e9 + np.arange(n) * 1e6


def write(fmt, path, sig, f):
    """Write stack ``sig`` (ny, nx, nf) with axis ``f`` (Hz) in format ``fmt``; return the path."""
    p = path / f"stack.{fmt}"
    if fmt == "npz":
        np.savez(p, signal=sig, frequency=f)
    elif fmt == "h5":
        with h5py.File(p, "w") as h5:
            h5["signal"] = sig
            h5["frequency"] = f
            h5.attrs["camera"] = "test"
    elif fmt in ("nc", "zarr"):
        ds = xr.Dataset(
            {"signal": (("y", "x", "frequency"), sig, {"units": "counts"})}, coords={"frequency": f}
        )
        save_dataset(ds, p)
    elif fmt == "tif":
        tifffile.imwrite(
            p, np.moveaxis(sig, -1, 0), photometric="minisblack", metadata={"frequency": f.tolist()}
        )
    elif fmt == "mat":
        scipy.io.savemat(p, {"signal": sig, "frequency": f})
    elif fmt == "txt":
        np.savetxt(p, np.column_stack([f, sig.reshape(-1, sig.shape[-1]).T]))
    return p


FORMATS = ["npz", "h5", "nc", "zarr", "tif", "mat", "txt"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_each_format(tmp_path, rng, fmt):
    sig = rng.random((3, 4, 7)).astype(np.float32) * 1000
    if fmt == "txt":
        sig = sig[:1]
    ds = load_odmr(write(fmt, tmp_path, sig, _freq(7)))
    assert ds["signal"].dims == ("y", "x", "frequency")
    np.testing.assert_allclose(ds["signal"].values, sig, rtol=1e-6)
    np.testing.assert_array_equal(ds["frequency"].values, _freq(7))
    assert ds["frequency"].attrs["units"] == "Hz"
    assert ds.attrs["mask_report"]["all_nan"] == 0


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fmt=st.sampled_from(["npz", "h5", "nc", "tif", "mat"]),
    sig=arrays(
        np.float32,
        st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(2, 9)),
        elements=st.floats(0, 1e5, width=32),
    ),
    f_start=st.floats(1e9, 4e9),
    step=st.floats(1e3, 1e7),
)
def test_round_trip_property(tmp_path_factory, fmt, sig, f_start, step):
    f = f_start + step * np.arange(sig.shape[-1])
    ds = load_odmr(write(fmt, tmp_path_factory.mktemp("rt"), sig, f))
    np.testing.assert_array_equal(ds["signal"].values, sig)
    np.testing.assert_allclose(ds["frequency"].values, f, rtol=1e-12)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ny=st.integers(1, 4),
    nx=st.integers(1, 4),
    nf=st.integers(2, 6),
    version=st.sampled_from(["5", "7.3"]),
    seed=st.integers(0, 1000),
)
def test_qdmlab_layout_round_trip(tmp_path_factory, ny, nx, nf, version, seed):
    """QDMlab run files: imgStack (numFreqs, rows·cols), row-major pixels, freqList low, high."""
    rng = np.random.default_rng(seed)
    low, high = rng.random((ny, nx, nf)), rng.random((ny, nx, nf))
    f_lo, f_hi = 2.80e9 + 1e6 * np.arange(nf), 2.93e9 + 1e6 * np.arange(nf)
    path = save_qdmlab_mat(
        tmp_path_factory.mktemp("q") / "run_00000.mat", low, high, f_lo, f_hi, version=version
    )
    ds = load_odmr(path)
    np.testing.assert_array_equal(ds["signal"].values, np.concatenate([low, high], axis=-1))
    np.testing.assert_array_equal(ds["frequency"].values, np.r_[f_lo, f_hi])
    high_only = load_odmr(path, side="high")
    np.testing.assert_array_equal(high_only["signal"].values, high)


def test_qdmlab_pixel_order_matches_matlab_reshape(tmp_path):
    """Pixel p of imgStack is row p // cols, column p % cols (MATLAB reshape, then permute)."""
    nf, rows, cols = 2, 2, 3
    stack = np.arange(nf * rows * cols, dtype=float).reshape(nf, rows * cols)
    scipy.io.savemat(
        tmp_path / "run_00001.mat",
        {
            "imgStack1": stack,
            "imgStack2": stack + 100,
            "freqList": [[1e9, 2e9, 3e9, 4e9]],
            "imgNumRows": rows,
            "imgNumCols": cols,
            "numFreqs": nf,
        },
    )
    ds = load_odmr(tmp_path / "run_00001.mat")
    assert ds["signal"].values[1, 2, 0] == stack[0, 1 * cols + 2]
    assert ds["signal"].values[0, 1, 3] == stack[1, 1] + 100


def test_qdmlab_four_stack_files(tmp_path):
    """101-point sweeps are split over imgStack1..4: low = [1; 2], high = [3; 4]."""
    rng = np.random.default_rng(3)
    nf, rows, cols = 4, 2, 2
    parts = [rng.random((2, rows * cols)) for _ in range(4)]
    scipy.io.savemat(
        tmp_path / "run_00002.mat",
        {
            **{f"imgStack{i + 1}": p for i, p in enumerate(parts)},
            "freqList": [np.arange(8) * 1e6 + 2.8e9],
            "imgNumRows": rows,
            "imgNumCols": cols,
            "numFreqs": nf,
        },
    )
    ds = load_odmr(tmp_path / "run_00002.mat")
    low = np.concatenate(parts[:2]).reshape(nf, rows, cols).transpose(1, 2, 0)
    np.testing.assert_array_equal(ds["signal"].values[..., :nf], low)


def test_mat_missing_variables_named(tmp_path):
    scipy.io.savemat(
        tmp_path / "run_00003.mat", {"imgStack1": np.ones((3, 4)), "freqList": [[1.0, 2.0, 3.0]]}
    )
    with pytest.raises(
        DataFileError, match=r"run_00003.mat.*imgNumCols.*imgNumRows.*numFreqs|imgNumRows"
    ):
        load_odmr(tmp_path / "run_00003.mat")
    scipy.io.savemat(tmp_path / "other.mat", {"counts": np.ones((3, 4))})
    with pytest.raises(DataFileError, match=r"other\.mat.*signal"):
        load_odmr(tmp_path / "other.mat")


@pytest.mark.parametrize("fmt", ["npz", "h5", "nc", "tif", "mat", "npy"])
def test_truncated_file_raises_datafileerror(tmp_path, rng, fmt):
    if fmt == "npy":
        p = tmp_path / "stack.npy"
        np.save(p, rng.random((4, 4, 16)))
    else:
        p = write(fmt, tmp_path, rng.random((4, 4, 16)), _freq(16))
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFileError, match=p.name):
        load_odmr(p, frequency=_freq(16) if fmt == "npy" else None)


def test_corrupted_bytes_raise_datafileerror(tmp_path):
    p = tmp_path / "junk.h5"
    p.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(DataFileError, match=r"junk\.h5"):
        load_odmr(p)
    with pytest.raises(DataFileError, match="no such file"):
        load_odmr(tmp_path / "missing.npz")


def test_frequency_length_mismatch(tmp_path, rng):
    np.savez(tmp_path / "a.npz", signal=rng.random((2, 2, 5)), frequency=_freq(6))
    with pytest.raises(InputError, match="6 values but each spectrum has 5"):
        load_odmr(tmp_path / "a.npz")


@pytest.mark.parametrize(
    ("freq", "match"),
    [
        (np.array([1.0, 3.0, 2.0, 4.0]) * 1e9, "not sorted"),
        (np.array([1.0, 2.0, 2.0, 4.0]) * 1e9, "duplicate"),
        (np.array([1.0, np.nan, 2.0, 4.0]) * 1e9, "non-finite"),
    ],
)
def test_bad_frequency_axes(tmp_path, rng, freq, match):
    np.savez(tmp_path / "b.npz", signal=rng.random((2, 2, 4)), frequency=freq)
    with pytest.raises(InputError, match=match):
        load_odmr(tmp_path / "b.npz")


def test_a_sweep_recorded_from_high_to_low_frequency_reads_in_increasing_order(tmp_path, rng):
    sig, freq = rng.random((2, 3, 5)), _freq(5)
    np.savez(tmp_path / "down.npz", signal=sig[..., ::-1], frequency=freq[::-1])
    ds = load_odmr(tmp_path / "down.npz")
    np.testing.assert_array_equal(ds["frequency"].values, freq)
    np.testing.assert_array_equal(ds["signal"].values, sig)
    assert ds.attrs["frequency_reversed"] == 1


def test_all_nan_pixels_masked_with_report(tmp_path, rng):
    sig = rng.random((3, 3, 5))
    sig[0, 1] = np.nan
    sig[2, 2] = np.nan
    np.savez(tmp_path / "c.npz", signal=sig, frequency=_freq(5))
    ds = load_odmr(tmp_path / "c.npz")
    assert ds.attrs["mask_report"]["all_nan"] == 2
    assert (
        not ds["valid"].values[0, 1]
        and not ds["valid"].values[2, 2]
        and ds["valid"].values.sum() == 7
    )


def test_npy_needs_frequency_and_units(tmp_path, rng):
    np.save(tmp_path / "d.npy", rng.random((2, 3, 4)))
    with pytest.raises(InputError, match="frequency"):
        load_odmr(tmp_path / "d.npy")
    ds = load_odmr(tmp_path / "d.npy", frequency=[2.86, 2.87, 2.88, 2.89], frequency_unit="GHz")
    np.testing.assert_allclose(ds["frequency"].values, [2.86e9, 2.87e9, 2.88e9, 2.89e9])
    (tmp_path / "f.txt").write_text("\n".join(str(v) for v in _freq(4)))
    assert load_odmr(tmp_path / "d.npy", frequency=str(tmp_path / "f.txt")).sizes["frequency"] == 4
    with pytest.raises(InputError, match="frequency_unit"):
        load_odmr(tmp_path / "d.npy", frequency=_freq(4), frequency_unit="THz")


def test_unknown_suffix_and_registry(tmp_path):
    p = tmp_path / "e.odmrjson"
    p.write_text(json.dumps({"f": [1e9, 2e9], "s": [1.0, 0.9]}))
    with pytest.raises(InputError, match="no ODMR reader"):
        load_odmr(p)

    @register_reader(".odmrjson")
    def _read_json(path, frequency=None):
        d = json.loads(path.read_text())
        return np.asarray(d["s"]), d["f"], "1", {"format": "json"}

    ds = load_odmr(p)
    assert ds["signal"].shape == (1, 1, 2) and ds.attrs["format"] == "json"


def test_lazy_zarr_is_dask_backed(tmp_path, rng):
    p = write("zarr", tmp_path, rng.random((8, 8, 6)), _freq(6))
    ds = load_odmr(p, chunks={"y": 4, "x": 4})
    assert not isinstance(ds["signal"].data, np.ndarray)
    assert ds["signal"].data.chunks[0] == (4, 4)


def test_chunks_on_an_eager_format(tmp_path, rng):
    sig = rng.random((6, 6, 5))
    p = write("npz", tmp_path, sig, _freq(5))
    ds = load_odmr(p, chunks={"y": 3, "x": 3})
    assert ds["signal"].data.chunks[0] == (3, 3)
    np.testing.assert_array_equal(ds["signal"].values, sig)


def test_pixel_size_gives_metre_coordinates(tmp_path, rng):
    p = write("npz", tmp_path, rng.random((3, 4, 5)), _freq(5))
    ds = load_odmr(p, pixel_size=2e-6)
    np.testing.assert_allclose(ds["x"].values, [0, 2e-6, 4e-6, 6e-6])
    assert ds["x"].attrs["units"] == "m"
    with pytest.raises(InputError, match="pixel_size"):
        load_odmr(p, pixel_size=-1.0)


def test_netcdf_with_other_dim_order(tmp_path, rng):
    sig = rng.random((3, 4, 5))  # (y, x, frequency)
    ds = xr.Dataset(
        {"signal": (("frequency", "x", "y"), sig.transpose(2, 1, 0))},
        coords={"frequency": _freq(5)},
    )
    save_dataset(ds, tmp_path / "t.nc")
    np.testing.assert_array_equal(load_odmr(tmp_path / "t.nc")["signal"].values, sig)


def test_pixel_size_read_from_length_coordinates(tmp_path):
    sig = np.random.default_rng(0).random((3, 4, 6))
    ds = xr.Dataset(
        {"signal": (("y", "x", "frequency"), sig)},
        coords={"frequency": _freq(6), "y": ("y", np.arange(3) * 0.5, {"units": "um"}),
                "x": ("x", np.arange(4) * 0.25, {"units": "um"})},
    )
    save_dataset(ds, tmp_path / "p.nc")
    got = load_odmr(tmp_path / "p.nc")
    assert got["x"].attrs["units"] == "m"
    np.testing.assert_allclose(got["y"].values, np.arange(3) * 0.5e-6)
    np.testing.assert_allclose(got["x"].values, np.arange(4) * 0.25e-6)
    assert got["x"].attrs["units"] == "m"
    assert load_odmr(tmp_path / "p.nc", pixel_size=1e-6)["x"].values[1] == 1e-6  # the option wins
