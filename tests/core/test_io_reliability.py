"""Writes that fail leave earlier results intact and say why; data carry a checksum verified on load
(issue 15 items 4 and 8: full disks, read-only places, temp files of killed writers; item 9: damaged
or hand-edited files)."""

import errno
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import xarray as xr

import operando.io as oio
from operando.errors import DataFileError, OutputError
from operando.io import data_checksum, load_dataset, remove_temporaries, save_dataset


def _dataset(rng, scale=1.0):
    return xr.Dataset(
        {"x_li": (("t", "y", "x"), scale * rng.random((2, 3, 4)), {"units": "1"}),
         "converged": (("y", "x"), rng.random((3, 4)) > 0.5),
         "count": (("t",), np.array([3, 4], dtype=np.int64))},
        coords={"orientation": ("y", ["perpendicular", "parallel", "111"]), "t": ("t", [0.0, 1.5])},
        attrs={"flag": True, "config": {"a": [1, 2]}},
    )


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_checksum_survives_the_round_trip_and_catches_an_edited_value(tmp_path, rng, suffix):
    ds = _dataset(rng)
    path = save_dataset(ds, tmp_path / f"a{suffix}", checksum=True)
    back = load_dataset(path, verify=True)  # text, bool and integer variables hash alike after reading
    assert back.attrs[oio.CHECKSUM_ATTR] == data_checksum(ds)
    edited = back.copy(deep=True)
    edited["x_li"][0, 0, 0] = 7.0  # what a hand edit leaves: the old checksum, new data
    edited.to_netcdf(tmp_path / "edited.nc", engine="h5netcdf")
    with pytest.raises(DataFileError, match="do not match the checksum"):
        load_dataset(tmp_path / "edited.nc", verify=True)
    assert float(load_dataset(tmp_path / "edited.nc")["x_li"][0, 0, 0]) == 7.0  # unverified reads still work


def test_verify_refuses_a_file_without_checksum(tmp_path, rng):
    path = save_dataset(_dataset(rng), tmp_path / "plain.nc")
    with pytest.raises(DataFileError, match="carries no checksum"):
        load_dataset(path, verify=True)


def test_corrupted_hdf5_metadata_is_a_data_file_error(tmp_path, rng):
    path = save_dataset(_dataset(rng), tmp_path / "a.nc", checksum=True)
    raw = bytearray(path.read_bytes())
    raw[0:8] = b"\x00" * 8  # the HDF5 signature of the superblock
    path.write_bytes(bytes(raw))
    with pytest.raises(DataFileError, match="cannot read"):
        load_dataset(path, verify=True)


def test_item4_disk_full_raises_output_error_and_keeps_the_previous_file(tmp_path, rng, monkeypatch):
    path = save_dataset(_dataset(rng), tmp_path / "result.nc", checksum=True)
    before = path.read_bytes()

    def full(tmp, data):
        with open(tmp, "wb") as f:
            f.write(bytes(data)[:100])  # a partial write, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(oio, "_write_durably", full)
    with pytest.raises(OutputError, match=r"result\.nc.*disk is full"):
        save_dataset(_dataset(rng, 2.0), path, checksum=True)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.nc"]  # the temp file is gone


@pytest.mark.parametrize(("code", "says"), [(errno.EROFS, "read-only"), (errno.EACCES, "permission denied")])
def test_item4_read_only_location_raises_output_error(tmp_path, rng, monkeypatch, code, says):
    def refused(tmp, data):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(oio, "_write_durably", refused)
    with pytest.raises(OutputError, match=says):
        save_dataset(_dataset(rng), tmp_path / "r.nc")


def test_a_file_where_the_folder_should_be_is_named(tmp_path, rng):
    (tmp_path / "taken").write_text("not a folder")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        save_dataset(_dataset(rng), tmp_path / "taken" / "r.nc")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_item4_read_only_folder_by_permissions(tmp_path, rng):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="permission denied"):
            save_dataset(_dataset(rng), ro / "r.nc")
    finally:
        ro.chmod(0o755)


def test_item8_temporaries_of_killed_writers_are_removed(tmp_path):
    keep = tmp_path / "fields.nc"
    keep.write_bytes(b"x")
    (tmp_path / ".fields.nc.k2j4.tmp").write_bytes(b"half")
    (tmp_path / ".cell.zarr.a8f1.tmp").mkdir()
    (tmp_path / ".cell.zarr.old").mkdir()
    removed = remove_temporaries(tmp_path)
    assert len(removed) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["fields.nc"]


_FULL_DISK = textwrap.dedent("""
    import gc, sys
    import numpy as np, xarray as xr
    from operando.errors import OutputError
    from operando.io import save_dataset
    # ~600 kB of data: HDF5's own write would fail while closing the file on this 600 kB disk
    ds = xr.Dataset({f"a{i}": (("x",), np.random.default_rng(i).random(7600)) for i in range(10)})
    try:
        save_dataset(ds, sys.argv[1] + "/big.nc")
    except OutputError as exc:
        print("refused:", exc)
    gc.collect()
    print("exit cleanly")
""")


def test_item8_full_disk_is_an_error_not_a_segfault(tmp_path):
    """On a real 600 kB tmpfs (a private mount namespace, where the system allows one): before, the
    write failed inside HDF5's close and h5netcdf's finaliser closed the file again: exit 139."""
    if sys.platform != "linux" or shutil.which("unshare") is None:
        pytest.skip("needs Linux mount namespaces")
    disk = tmp_path / "disk"
    disk.mkdir()
    script = tmp_path / "full.py"
    script.write_text(_FULL_DISK)
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("mount namespaces are not permitted here")
    cmd = (f"mount -t tmpfs -o size=600k tmpfs {disk} && {sys.executable} {script} {disk}")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    res = subprocess.run(["unshare", "-rm", "sh", "-c", cmd], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "disk is full" in res.stdout and "exit cleanly" in res.stdout
