"""Reconstruction by FFT, image geometry, and image readers (NumPy; NIfTI via nibabel when
installed; Bruker ParaVision 2dseq).

k-space sample n of an axis sits at ``(n − N//2)/FOV`` (:func:`.kspace.k_axes`), so the image is
``fftshift(ifftn(ifftshift(s)))`` with voxel j at ``(j − N//2) · FOV/N`` from the FOV centre, for
odd and even N alike; ``ifftn``'s 1/N makes a voxel read the spins it holds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.fft as sfft
import xarray as xr

from ..._checks import check_choice, check_positive
from ...errors import DataFileError, GeometryError, InputError
from .bruker import read_2dseq
from .protocol import Protocol

__all__ = ["check_image", "image_coords", "k_filter", "read_image", "reconstruct", "reconstruct_csi"]


def image_coords(protocol: Protocol, centre=(0.0, 0.0, 0.0)) -> dict[str, np.ndarray]:
    """Voxel-centre coordinates (m) of the image per axis, about ``centre`` (z, y, x)."""
    out = {}
    for name, f, n, c in zip(("z", "y", "x"), protocol.fov, protocol.matrix, centre, strict=True):
        step = 0.0 if f is None else f / n
        out[name] = c + (np.arange(n) - n // 2) * step
    return out


def _ifft(data, axes):
    return sfft.fftshift(sfft.ifftn(sfft.ifftshift(data, axes=axes), axes=axes, workers=-1), axes=axes)


FILTERS = (None, "hann")


def k_filter(protocol: Protocol, kind: str | None = "hann") -> np.ndarray:
    """Separable k-space apodisation on the protocol's matrix: ``"hann"`` (1 at k = 0, 0 at
    ±k_max + 1 step) trades resolution for Gibbs ringing; ``None``: ones."""
    check_choice("filter", kind, FILTERS)
    w = np.ones(protocol.matrix)
    if kind is None:
        return w
    for axis, n in enumerate(protocol.matrix):
        shape = [1, 1, 1]
        shape[axis] = n
        w = w * (0.5 * (1 + np.cos(2 * np.pi * (np.arange(n) - n // 2) / n))).reshape(shape)
    return w


def reconstruct(data, protocol: Protocol, centre=(0.0, 0.0, 0.0), *, filter: str | None = None) -> xr.DataArray:
    """Complex image (z, y, x) from k-space ``data`` of the protocol's matrix; ``centre``: the FOV
    centre in the object's frame (m); ``filter``: k-space apodisation (:func:`k_filter`)."""
    d = check_image(data, protocol, what="data")
    if filter is not None:
        d = d * k_filter(protocol, filter)
    img = _ifft(d, (0, 1, 2))
    coords = image_coords(protocol, centre)
    da = xr.DataArray(img, dims=("z", "y", "x"), coords={k: (k, v, {"units": "m"}) for k, v in coords.items()},
                      name="image", attrs={"units": "1H-equivalent spins", "protocol": protocol.name,
                                           "filter": str(filter)})
    return da


def reconstruct_csi(data, protocol: Protocol, centre=(0.0, 0.0, 0.0), *, line_broadening: float = 0.0) -> xr.DataArray:
    """Spectrum per voxel (ppm, z, y, x) from CSI data (n_t, kz, ky, kx): spatial inverse FFT and
    an FFT of each FID (first point halved against the baseline offset), after an exponential
    apodisation of ``line_broadening`` Hz (against truncation ripples)."""
    d = np.asarray(data, complex)
    if d.ndim != 4 or d.shape[1:] != tuple(protocol.matrix) or d.shape[0] != protocol.spectral_points:
        raise GeometryError(f"data: expected shape ({protocol.spectral_points}, *{protocol.matrix}), got {d.shape}")
    lb = check_positive("line_broadening", line_broadening, allow_zero=True, unit="Hz")
    t = np.arange(d.shape[0]) * protocol.dwell
    img = _ifft(d, (1, 2, 3)) * np.exp(-np.pi * lb * t)[:, None, None, None]
    img[0] *= 0.5
    # the FID evolves as exp(-2πi ν t) (kspace's convention): the forward FFT peaks at f = -ν
    spec = sfft.fftshift(sfft.fft(img, axis=0, workers=-1), axes=0) * protocol.dwell
    n = protocol.spectral_points
    f = (np.arange(n) - n // 2) / (n * protocol.dwell)
    ppm = protocol.receiver_ppm - f / protocol.larmor * 1e6
    order = np.argsort(ppm)
    coords = image_coords(protocol, centre)
    return xr.DataArray(spec[order], dims=("ppm", "z", "y", "x"),
                        coords={"ppm": ppm[order], **{k: (k, v, {"units": "m"}) for k, v in coords.items()}},
                        name="csi", attrs={"units": "1H-equivalent spins s"})


def check_image(image, protocol: Protocol, *, what: str = "image", spacing=None) -> np.ndarray:
    """``image`` as a complex (z, y, x) array whose shape (and ``spacing``, m, if given) match the
    protocol; a 2-D array is taken as (y, x) of a 2-D protocol."""
    arr = np.asarray(getattr(image, "values", image))
    if arr.ndim == 2 and protocol.is_2d:
        arr = arr[None]
    if arr.shape != tuple(protocol.matrix):
        raise GeometryError(f"{what}: shape {arr.shape} does not match the protocol's matrix {tuple(protocol.matrix)} "
                            f"({protocol.name})")
    if spacing is not None:
        want = protocol.voxel
        got = np.broadcast_to(np.asarray(spacing, float), (3,))
        ok = [protocol.matrix[i] == 1 or np.isclose(got[i], want[i], rtol=1e-6) for i in range(3)]
        if not all(ok):
            raise GeometryError(f"{what}: voxel spacing {got.tolist()} m does not match FOV/matrix = {want.tolist()} m")
    return arr.astype(complex)


def read_image(path, protocol: Protocol | None = None) -> np.ndarray:
    """An image from ``.npy``/``.npz`` (first array), NIfTI ``.nii``/``.nii.gz`` (nibabel) or a
    Bruker ParaVision ``2dseq`` (``path`` the pdata folder or the file; :mod:`.bruker`), checked
    against ``protocol`` when given (shape, and voxel spacing where the file records it)."""
    p = Path(path)
    if not p.exists():
        raise DataFileError(f"path: {p} does not exist")
    spacing = None
    name = p.name.lower()
    if name.endswith(".npy"):
        arr = np.load(p)
    elif name.endswith(".npz"):
        with np.load(p) as z:
            arr = z[z.files[0]]
    elif name.endswith((".nii", ".nii.gz")):
        try:
            import nibabel
        except ImportError as exc:
            raise DataFileError("path: reading NIfTI needs nibabel (pip install nibabel)") from exc
        img = nibabel.load(str(p))
        arr = np.asarray(img.dataobj)
        zooms = np.asarray(img.header.get_zooms()[: arr.ndim], float) * 1e-3  # NIfTI stores mm
        arr, spacing = arr.T, zooms[::-1]  # NIfTI is (x, y, z); operando is (z, y, x)
        if arr.ndim == 2:
            spacing = np.concatenate([[np.inf], spacing])
    elif name == "2dseq" or (p.is_dir() and (p / "2dseq").exists()):
        arr, sp = read_2dseq(p)
        spacing = sp if sp.size == 3 else np.concatenate([[np.inf], sp])  # 2-D: frames along z
    else:
        raise InputError(f"path: unknown image format {p.name!r}; expected .npy, .npz, .nii(.gz) or 2dseq")
    if protocol is not None:
        if spacing is not None and protocol.is_2d and spacing.size == 3:
            spacing[0] = protocol.voxel[0]
        return check_image(arr, protocol, what=str(p.name), spacing=spacing)
    return np.asarray(arr)
