"""What the tomograph records: Beer–Lambert intensities, flat and dark fields, photon noise,
detector blur and the miscalibrated pixels that become ring artefacts; and flat-field correction.

A detector pixel behind line integral p counts ``I = D + g·(F − D)·e^{−p}`` with F the open-beam
(flat) count, D the dark count and g the pixel's gain *during the scan*; the flat field was
recorded with gain 1, so a pixel whose gain drifted (or a defective one) is mis-normalised at every
angle — a stripe in the sinogram, a ring in the slice. Photon noise is Poisson on the counts; the
scintillator's blur is a Gaussian across the detector (and along the rotation axis for volumes).
Sinograms are ``(n_angles, n_det)`` or ``(nz, n_angles, n_det)``; detector-pixel arrays are
``(n_det,)`` or ``(nz, n_det)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..._checks import as_float_array, check_choice, check_positive, check_range
from ...errors import InputError


def beer_lambert(line_integrals, flat, dark=0.0, *, gain=1.0) -> np.ndarray:
    """Expected counts ``dark + gain·(flat − dark)·exp(−p)`` (flat/dark/gain broadcast over angles)."""
    p = as_float_array("line_integrals", line_integrals)
    f, d = _check_fields(flat, dark)
    g = _detector_array("gain", gain, p)
    return _detector_array("dark", d, p) + g * _detector_array("flat", f - d, p) * np.exp(-p)


def _check_fields(flat, dark):
    f = as_float_array("flat", flat)
    d = as_float_array("dark", dark)
    if np.any(f <= 0):
        raise InputError(f"flat: open-beam counts must be > 0 in every pixel; got min {f.min()!r}")
    if np.any(d < 0):
        raise InputError(f"dark: dark counts must be >= 0; got min {d.min()!r}")
    if np.any(np.broadcast_to(f, np.broadcast_shapes(f.shape, d.shape)) <= d):
        raise InputError("flat: open-beam counts must exceed the dark counts in every pixel")
    return f, d


def _detector_array(name, value, sino):
    """Broadcast a per-detector-pixel array ((n_det,) or (nz, n_det)) over the angle axis."""
    v = np.asarray(value, dtype=float)
    if v.ndim == 0:
        return v
    if v.ndim == 1 and v.shape[0] == sino.shape[-1]:
        return v
    if v.ndim == 2 and sino.ndim == 3 and v.shape == (sino.shape[0], sino.shape[2]):
        return v[:, None, :]
    if v.shape == sino.shape:
        return v
    raise InputError(
        f"{name}: expected a scalar, (n_det={sino.shape[-1]},) or (nz, n_det) per detector pixel, got shape {v.shape}"
    )


def normalise(raw, flat, dark=0.0, *, floor: float = 0.5, dead: str = "raise") -> np.ndarray:
    """Flat-field correction ``p = −ln((I − D)/(F − D))``.

    Counts at or below the dark level (photon starvation) are raised to ``floor`` counts above it,
    so the log stays finite. Dead pixels — a flat field not above the dark level — raise an
    InputError naming ``flat`` (``dead="raise"``), or with ``dead="interpolate"`` their columns are
    filled by linear interpolation from the nearest live pixels on the detector row.
    """
    i = as_float_array("raw", raw)
    check_choice("dead", dead, ("raise", "interpolate"))
    f_arr = np.broadcast_to(as_float_array("flat", flat), i.shape[-1:] if i.ndim == 2 else (i.shape[0], i.shape[2]))
    d_arr = np.broadcast_to(as_float_array("dark", dark), f_arr.shape)
    is_dead = f_arr - d_arr <= floor
    # dead columns get a placeholder flat (their values are interpolated afterwards)
    f, d = _check_fields(np.where(is_dead, d_arr + 1.0, f_arr) if dead == "interpolate" else flat, dark)
    dd = _detector_array("dark", d, i)
    signal = np.maximum(i - dd, floor)
    p = -np.log(signal / _detector_array("flat", f - d, i))
    return _fill_dead(p, is_dead) if dead == "interpolate" and is_dead.any() else p


def _fill_dead(p, is_dead):
    """Linear interpolation across the detector over dead columns (per row of the detector)."""
    stack = p[None] if p.ndim == 2 else p.copy()
    masks = is_dead[None] if is_dead.ndim == 1 else is_dead
    cols = np.arange(stack.shape[-1])
    for z in np.flatnonzero(masks.any(axis=-1)):  # detector rows with dead pixels
        live = cols[~masks[z]]
        if live.size < 2:
            raise InputError(f"flat: detector row {z} has fewer than 2 live pixels; nothing to interpolate from")
        bad = cols[masks[z]]
        right = np.searchsorted(live, bad).clip(1, live.size - 1)
        lo, hi = live[right - 1], live[right]
        w = ((bad - lo) / (hi - lo)).clip(0.0, 1.0)
        stack[z][:, bad] = (1 - w) * stack[z][:, lo] + w * stack[z][:, hi]
    return stack[0] if p.ndim == 2 else stack


def poisson(counts, rng) -> np.ndarray:
    """Poisson-distributed counts with the given means (``rng``: numpy Generator or seed)."""
    gen = np.random.default_rng(rng)
    return gen.poisson(np.asarray(counts, dtype=float)).astype(float)


def blur(sinogram, sigma_px: float, *, sigma_z_px: float = 0.0) -> np.ndarray:
    """Gaussian detector blur of ``sigma_px`` bins across the detector (and ``sigma_z_px`` rows)."""
    s = np.asarray(sinogram, dtype=float)
    sx = check_positive("sigma_px", sigma_px, allow_zero=True)
    sz = check_positive("sigma_z_px", sigma_z_px, allow_zero=True)
    sig = (0.0, sx) if s.ndim == 2 else (sz, 0.0, sx)
    return ndimage.gaussian_filter(s, sig, mode="nearest") if max(sig) > 0 else s.copy()


def miscalibrated_gain(n_det, fraction: float, amplitude: float, rng, *, nz: int | None = None) -> np.ndarray:
    """Per-pixel gain 1 + δ with δ = ±``amplitude``·U(0.5, 1) on a random ``fraction`` of pixels.

    Returns (n_det,) or (nz, n_det). These pixels leave stripes in the sinogram (rings in FBP).
    """
    check_range("fraction", fraction, 0.0, 1.0)
    check_range("amplitude", amplitude, 0.0, 1.0, inclusive=(True, False))
    gen = np.random.default_rng(rng)
    shape = (int(n_det),) if nz is None else (int(nz), int(n_det))
    hit = gen.random(shape) < fraction
    delta = amplitude * gen.uniform(0.5, 1.0, shape) * gen.choice([-1.0, 1.0], shape)
    return 1.0 + np.where(hit, delta, 0.0)


@dataclass
class Scan:
    """A simulated acquisition: raw counts (angles × detector), flat and dark fields, and settings."""

    raw: np.ndarray
    flat: np.ndarray
    dark: np.ndarray
    photons: float
    seed: int | None

    def line_integrals(self, dead: str = "raise") -> np.ndarray:
        """Flat-field corrected −ln(I/I0) (``dead``: see :func:`normalise`)."""
        return normalise(self.raw, self.flat, self.dark, dead=dead)


def acquire(line_integrals, *, photons: float = 1e4, dark: float = 100.0, blur_px: float = 0.0,
            gain=1.0, dead=None, noise: bool = True, seed: int | None = 0) -> Scan:
    """Simulate a scan of line integrals ``p``: counts, flat and dark fields.

    photons : open-beam counts per pixel per projection (the photon budget), > 0.
    dark : mean dark counts (read-out offset), >= 0.
    blur_px : Gaussian blur of the transmitted intensity across the detector, bins.
    gain : per-pixel gain during the scan (e.g. :func:`miscalibrated_gain`) → rings.
    dead : boolean mask of dead detector pixels ((n_det,) or (nz, n_det)): they record the dark
        level only, in the flat field too (repair them with ``normalise(..., dead="interpolate")``).
    noise : Poisson noise on the projections and on the flat field.
    """
    p = as_float_array("line_integrals", line_integrals)
    n0 = check_positive("photons", photons)
    d0 = check_positive("dark", dark, allow_zero=True)
    gen = np.random.default_rng(seed)
    det_shape = p.shape[-1:] if p.ndim == 2 else (p.shape[0], p.shape[2])
    flat_mean = np.full(det_shape, n0 + d0)
    dark_field = np.full(det_shape, d0)
    transmitted = blur(np.exp(-p), blur_px) * n0
    expected = d0 + _detector_array("gain", gain, p) * transmitted
    if noise:
        expected = poisson(expected, gen)
        # flat and dark fields averaged over 20 frames, as is usual
        flat_mean = poisson(np.broadcast_to(flat_mean * 20, det_shape), gen) / 20
        dark_field = poisson(np.broadcast_to(dark_field * 20, det_shape), gen) / 20
        flat_mean = np.maximum(flat_mean, dark_field + 1.0)
    if dead is not None:
        mask = np.asarray(dead, dtype=bool)
        if mask.shape != tuple(det_shape):
            raise InputError(f"dead: expected a mask of shape {tuple(det_shape)} (detector pixels), got {mask.shape}")
        flat_mean = np.where(mask, dark_field, flat_mean)
        expected = np.where(_detector_array("dead", mask, p), _detector_array("dark", dark_field, p), expected)
    return Scan(expected, flat_mean, dark_field, n0, seed)
