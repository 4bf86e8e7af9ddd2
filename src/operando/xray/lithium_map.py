"""Detector frames of the three beam regions → a map of the cathode's Li content with its 1σ.

The measured-data entry point of the Compton analysis: three frames (n_pixels, n_pixels, n_bins) of
counts, taken with the sheet beam in regions 1–3 (Huang et al., J. Phys. Energy 2025), are
binned into super-pixels, separated (Eq. 2–3, :mod:`.decomposition`), turned into EMR ± σ
(:mod:`.emr`) and read through a calibration (:mod:`.calibration`). Poisson variances propagate
through every step.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..errors import InputError
from .calibration import EMRCalibration, default_calibration
from .decomposition import decompose_regions
from .detector import CdZnTeDetector, hexitec
from .emr import emr

__all__ = ["lithium_map"]


def _bin(frame: np.ndarray, k: int) -> np.ndarray:
    n = frame.shape[0] // k
    return frame[: n * k, : n * k].reshape(n, k, n, k, -1).sum(axis=(1, 3))


def lithium_map(frame_r1, frame_r2, frame_r3, edges_eV, alpha: float, beta: float, *,
                calibration: EMRCalibration | None = None, detector: CdZnTeDetector | None = None,
                superpixel: int = 4, incident_eV: float = 115e3, theta: float = np.pi / 2) -> xr.Dataset:
    """Li content map ``x_li`` (v, u super-pixels) with ``x_li_sigma``, ``emr`` and ``emr_sigma``; frames
    are raw counts.

    ``calibration``: EMR → x (default: the Table 1 fit of Huang et al. 2025, an empirical material
    calibration; pass one made for your set-up). ``superpixel``: pixels binned per side.
    """
    det = detector or hexitec()
    n_bins = np.asarray(frame_r1).shape[-1] if np.ndim(frame_r1) == 3 else None
    frames = [det.check_frame(f, n_bins) for f in (frame_r1, frame_r2, frame_r3)]
    if int(superpixel) != superpixel or not 1 <= superpixel <= det.n_pixels:
        raise InputError(f"superpixel: must be an integer in [1, {det.n_pixels}], got {superpixel!r}")
    binned = [_bin(f, int(superpixel)) for f in frames]
    sep = decompose_regions(*binned, alpha, beta, variances=binned)
    value = emr(np.clip(sep.cathode, 0, None), edges_eV, incident_eV, theta, variance=sep.cathode_variance)
    cal = calibration or default_calibration()
    x, sx = cal.to_x(value.value, value.sigma)
    dims = ("v", "u")
    ds = xr.Dataset(
        {
            "x_li": (dims, x, {"units": "1", "long_name": f"Li content x of {cal.material}"}),
            "x_li_sigma": (dims, sx, {"units": "1",
                                      "long_name": "1σ of x_li (Poisson, through the calibration slope)"}),
            "emr": (dims, value.value, {"units": "1", "long_name": "energy-to-momentum ratio of the cathode"}),
            "emr_sigma": (dims, value.sigma, {"units": "1", "long_name": "1σ of emr"}),
        },
        coords={"v": np.arange(x.shape[0]), "u": np.arange(x.shape[1])},
    )
    ds.attrs.update(calibration_version=cal.version, calibration_source=cal.source, alpha=alpha, beta=beta,
                    superpixel=int(superpixel))
    return ds
