"""Spectrum models for the batched fitter: N dips (Lorentzian or Gaussian, shared or free widths,
optionally split into 14N / 15N hyperfine multiplets) times a baseline level.

A model maps parameters (n, p) to values (n, m) and the analytic Jacobian (n, p, m); the line
shapes and their derivatives come from :mod:`operando.nv.lineshape`. Parameter order:
``f0_0 … f0_{N-1}, width (or width_0 …), contrast_0 …, baseline``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import convolve1d

from .. import _numba
from .._checks import check_choice
from ..errors import InputError
from ..nv.lineshape import (
    HYPERFINE_OFFSETS,
    SHAPES,
    gaussian_dip_with_jacobian,
    hyperfine_lines,
    lorentzian_dip_with_jacobian,
    odmr_spectrum,
)

_DIPS_JAC = {"lorentzian": lorentzian_dip_with_jacobian, "gaussian": gaussian_dip_with_jacobian}


def dip_terms(
    f, f0, width, contrast, shape, hyperfine, *, out_f0, out_width, out_contrast, scale=None
):
    """Sum of dips ``1 − Σ_i c_i·shape_i`` (n, m) for lines (n, L); derivatives, times ``scale``
    (n,) if given, are written into ``out_f0`` / ``out_contrast`` (n, L, m) and ``out_width``
    (n, L, m), or (n, 1, m) for one shared width. Hyperfine multiplets are expanded here and their
    derivatives summed back per line."""
    n, n_lines = f0.shape
    offsets = np.zeros(1) if hyperfine is None else HYPERFINE_OFFSETS[hyperfine]
    k_lines = offsets.size
    dip = _DIPS_JAC[shape]
    s = (np.ones(n) if scale is None else scale)[:, None, None]
    shared = out_width.shape[1] == 1 and n_lines > 1
    total = None
    for j in range(k_lines):  # sub-lines of the multiplets; each call covers every pixel and line
        value, d = dip(f, f0 + offsets[j], width, contrast / k_lines)  # (n, L, m), (n, L, m, 3)
        first = j == 0
        part = value.sum(axis=1) - (n_lines - 1)
        total = part if first else total + (part - 1.0)
        d_w = d[..., 1].sum(axis=1, keepdims=True) if shared else d[..., 1]
        for out, term in (
            (out_f0, d[..., 0]),
            (out_width, d_w),
            (out_contrast, d[..., 2] / k_lines),
        ):
            if first:
                np.multiply(term, s, out=out)
            else:
                out += term * s
    return total


def _multiplet_filter(depth, offsets_in_samples):
    """Mean of ``depth`` (n, m) sampled at each multiplet offset (linear interpolation)."""
    m = depth.shape[1]
    out = np.zeros_like(depth)
    for s in offsets_in_samples:
        pos = np.clip(np.arange(m) + s, 0, m - 1)
        i0 = np.minimum(np.floor(pos).astype(int), m - 2) if m > 1 else np.zeros(m, int)
        frac = pos - i0
        out += depth[:, i0] * (1 - frac) + depth[:, np.minimum(i0 + 1, m - 1)] * frac
    return out / len(offsets_in_samples)


def _crossing(depth, rows, i_out, i_in, level, fallback):
    """Fractional index where ``depth`` falls through ``level`` between samples ``i_in`` (above) and
    ``i_out`` (below); ``fallback`` where the crossing lies outside the sweep."""
    m = depth.shape[1]
    inside = (i_out >= 0) & (i_out < m)
    a = depth[rows, np.clip(i_out, 0, m - 1)]
    b = depth[rows, np.clip(i_in, 0, m - 1)]
    t = np.clip((level - a) / np.where(b - a > 0, b - a, 1.0), 0.0, 1.0)
    return np.where(inside, i_out + t * (i_in - i_out), fallback)


def _dip_starts(f, y, offsets_in_samples, n_dips):
    """NumPy form of :func:`operando.odmr.guess_compiled.dip_starts`: (f0, width, contrast)
    (n, n_dips) in the order found, and the baseline (n,)."""
    m = f.size
    df = float(f[-1] - f[0]) / max(m - 1, 1)
    ys = convolve1d(y, [0.25, 0.5, 0.25], axis=1, mode="nearest")  # light: keeps the widths
    k90 = int(0.9 * (m - 1))
    base = np.partition(ys, k90, axis=1)[:, k90]  # upper decile: the off-resonance level
    depth = 1.0 - ys / base[:, None]
    if len(offsets_in_samples):  # matched filter: a multiplet becomes one dip at its centre
        depth = _multiplet_filter(depth, offsets_in_samples)
    work = depth.copy()
    cols = np.arange(m)
    rows = np.arange(y.shape[0])
    f0s, widths, contrasts = [], [], []
    for _ in range(n_dips):  # loop over dips; every pixel at once
        i0 = np.argmax(work, axis=1)
        # sub-sample position and depth of the minimum from a parabola through three points
        d_m, d_0, d_p = (depth[rows, np.clip(i0 + k, 0, m - 1)] for k in (-1, 0, 1))
        curv = d_m - 2 * d_0 + d_p
        shift = np.clip(
            np.where(curv < 0, 0.5 * (d_m - d_p) / np.where(curv < 0, curv, -1.0), 0.0),
            -0.5,
            0.5,
        )
        c = np.maximum(d_0 - 0.5 * curv * shift * shift, 1e-4)
        near = np.abs(cols[None, :] - i0[:, None])
        above = depth > 0.5 * c[:, None]
        # half-depth points contiguous with the minimum: stop at the first point below
        reach = np.where(~above, near, m)
        left = np.where(cols[None, :] < i0[:, None], reach, m).min(axis=1)
        right = np.where(cols[None, :] > i0[:, None], reach, m).min(axis=1)
        n_half = np.minimum(left, i0 + 1) + np.minimum(right, m - i0) - 1
        # half-depth crossings interpolated between the last point above and the first below
        x_left = _crossing(depth, rows, i0 - left, i0 - left + 1, 0.5 * c, i0 - n_half / 2)
        x_right = _crossing(depth, rows, i0 + right, i0 + right - 1, 0.5 * c, i0 + n_half / 2)
        # undo the smoothing kernel (variance df²/2), exact for Gaussian lines: FWHM² adds
        # 8 ln2 · df²/2 and the peak depth scales as 1/FWHM
        w_s = np.maximum(x_right - x_left, 1.0)
        w_true = np.sqrt(np.maximum(w_s**2 - 4 * np.log(2), 0.25))
        c = c * w_s / w_true
        work = np.where(near <= np.maximum(1.5 * n_half, 2)[:, None], -np.inf, work)
        f0s.append(np.interp(i0 + shift, cols, f))
        widths.append(w_true * df)
        contrasts.append(c)
    return np.stack(f0s, axis=1), np.stack(widths, axis=1), np.stack(contrasts, axis=1), base


#: line widths (in units of the multiplet's spread) and sub-sample positions of the noise-free
#: multiplets that calibrate the guessed width (:meth:`DipModel.width_calibration`)
CALIBRATION_WIDTHS = np.geomspace(0.02, 1.0, 48)
CALIBRATION_PHASES = np.arange(4) / 4


@functools.lru_cache(maxsize=32)
def _width_calibration(shape: str, hyperfine: str, f_bytes: bytes) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`DipModel.width_calibration` for a frequency axis given by its bytes (cached)."""
    f = np.frombuffer(f_bytes, dtype=np.float64)
    m = f.size
    one = DipModel(1, shape, False, hyperfine)
    spread = one.multiplet_spread
    df = float(f[-1] - f[0]) / max(m - 1, 1)
    true = CALIBRATION_WIDTHS * spread
    true = true[true >= 1.5 * df]  # lines narrower than the sampling have no measurable width
    if true.size < 2:
        return np.zeros(0), np.zeros(0)
    centre = f[m // 2] + CALIBRATION_PHASES * df
    params = np.stack(np.broadcast_arrays(centre[None, :], true[:, None], 0.05, 1.0), axis=-1).reshape(-1, 4)
    with np.errstate(all="ignore"):
        guessed = one._starts(f, one.simulate(f, params), (spread, np.zeros(0), np.zeros(0)))[:, 1]
    measured = guessed.reshape(true.size, centre.size).mean(axis=1)
    # keep the resolved, strictly increasing part: the measured width must map back to one line width
    keep = np.isfinite(measured) & (measured < spread) & np.r_[True, np.diff(measured) > 0]
    run = np.flatnonzero(~keep)
    stop = run[0] if run.size else measured.size
    if stop < 2:
        return np.zeros(0), np.zeros(0)
    return measured[:stop].copy(), true[:stop] / measured[:stop]


@dataclass(frozen=True)
class DipModel:
    """``baseline · (1 − Σ_i contrast_i · shape(f; f0_i, width_i))`` over ``n_dips`` lines.

    ``hyperfine`` ("14N", "15N" or None) splits each line into its nitrogen multiplet of equal
    sub-lines (contrast/k each) that share f0 (the multiplet centre) and width.
    """

    n_dips: int = 2
    shape: str = "lorentzian"
    shared_width: bool = False
    hyperfine: str | None = None

    def __post_init__(self):
        if int(self.n_dips) != self.n_dips or not 1 <= self.n_dips <= 64:
            raise InputError(f"n_dips: must be an integer in [1, 64], got {self.n_dips!r}")
        check_choice("shape", self.shape, SHAPES)
        if self.hyperfine is not None:
            check_choice("hyperfine", self.hyperfine, tuple(HYPERFINE_OFFSETS))

    @property
    def n_widths(self) -> int:
        return 1 if self.shared_width else self.n_dips

    @property
    def names(self) -> list[str]:
        n = self.n_dips
        widths = ["width"] if self.shared_width else [f"width_{i}" for i in range(n)]
        return (
            [f"f0_{i}" for i in range(n)]
            + widths
            + [f"contrast_{i}" for i in range(n)]
            + ["baseline"]
        )

    @property
    def units(self) -> list[str]:
        n = self.n_dips
        return ["Hz"] * (n + self.n_widths) + ["1"] * n + ["signal"]

    def split(self, params):
        n, nw = self.n_dips, self.n_widths
        f0 = params[..., :n]
        width = params[..., n : n + nw]
        contrast = params[..., n + nw : 2 * n + nw]
        return f0, np.broadcast_to(width, f0.shape), contrast, params[..., -1]

    def evaluate(self, f, params, index=None):
        """Values (n, m) and Jacobian (n, p, m) for parameters (n, p) at frequencies ``f`` (Hz)."""
        f0, width, contrast, base = self.split(params)
        n, nw = self.n_dips, self.n_widths
        jac = np.empty((params.shape[0], params.shape[1], np.size(f)))
        shape01 = dip_terms(
            f,
            f0,
            width,
            contrast,
            self.shape,
            self.hyperfine,
            scale=base,
            out_f0=jac[:, :n],
            out_width=jac[:, n : n + nw],
            out_contrast=jac[:, n + nw : -1],
        )
        jac[:, -1] = shape01
        return base[:, None] * shape01, jac

    def bounds(self, f):
        """Lower and upper parameter bounds (p,) for frequency axis ``f`` (Hz)."""
        span = float(f[-1] - f[0])
        df = span / max(len(f) - 1, 1)
        n, nw = self.n_dips, self.n_widths
        lo = np.r_[np.full(n, f[0]), np.full(nw, 0.05 * df), np.zeros(n), 0.0]
        hi = np.r_[np.full(n, f[-1]), np.full(nw, span), np.ones(n), np.inf]
        return lo, hi

    def guess(self, f, y):
        """Vectorised initial parameters (n, p) from spectra ``y`` (n, m): the N deepest minima of
        the smoothed spectrum, widths from the number of points beyond half depth (a multiplet's
        corrected by :meth:`width_calibration`), contrasts from the depths, baseline from the
        upper decile. Compiled (:mod:`.guess_compiled`) where numba is installed, the same rules in
        NumPy otherwise."""
        f = np.asarray(f, dtype=np.float64)
        return self._starts(f, y, self.multiplet(f))

    def _starts(self, f, y, multiplet):
        m = f.size
        df = float(f[-1] - f[0]) / max(m - 1, 1)
        offsets_hz = np.zeros(0) if self.hyperfine is None else HYPERFINE_OFFSETS[self.hyperfine]
        lo, hi = self.bounds(f)
        if _numba.available():  # the whole start, spectrum by spectrum
            from .guess_compiled import model_starts

            return model_starts(f, y, offsets_hz / df, self.n_dips, multiplet, self.shared_width, lo, hi)
        f0, width, contrast, base = _dip_starts(f, y, offsets_hz / df, self.n_dips)
        order = np.argsort(f0, axis=1)
        f0 = np.take_along_axis(f0, order, axis=1)
        width = np.take_along_axis(width, order, axis=1)
        contrast = np.take_along_axis(contrast, order, axis=1)
        if self.hyperfine is not None:
            # after the matched filter a resolved multiplet (lines narrower than their spacing)
            # keeps about the width of one line (the calibration removes what the neighbours'
            # tails add); broader lines merge with the filter's side lobes, which widen the dip
            # by about the multiplet's spread
            spread, measured, factor = multiplet
            resolved = width if not measured.size else width * np.interp(width, measured, factor)
            width = np.where(width <= spread, resolved, np.maximum(width - spread, df))
            contrast = contrast * offsets_hz.size
        if self.shared_width:
            width = np.median(width, axis=1, keepdims=True)
        p0 = np.concatenate([f0, width, contrast, base[:, None]], axis=1)
        return np.clip(p0, lo, np.where(np.isfinite(hi), hi, np.inf))

    @property
    def multiplet_spread(self) -> float:
        """Distance (Hz) between the outer lines of the hyperfine multiplet (0 without one)."""
        if self.hyperfine is None:
            return 0.0
        offsets = HYPERFINE_OFFSETS[self.hyperfine]
        return float(offsets[-1] - offsets[0])

    def multiplet(self, f) -> tuple[float, np.ndarray, np.ndarray]:
        """The multiplet's spread (Hz) and the width calibration of the guess on axis ``f``
        (:meth:`width_calibration`; empty arrays without a multiplet)."""
        if self.hyperfine is None:
            return 0.0, np.zeros(0), np.zeros(0)
        return (self.multiplet_spread, *_width_calibration(self.shape, self.hyperfine,
                                                           np.asarray(f, dtype=np.float64).tobytes()))

    def width_calibration(self, f) -> tuple[np.ndarray, np.ndarray]:
        """Widths (Hz) the guess measures on noise-free single multiplets sampled on ``f``, and the
        factors that turn them into the true line widths. The matched filter adds the tails of the
        neighbouring lines to the central dip (for Lorentzian ¹⁴N lines of 1 MHz sampled every
        160 kHz it comes out 20 % wide); starting from the calibrated width saves the fit about
        one iteration."""
        return self.multiplet(f)[1:]

    def simulate(self, f, params):
        """Noise-free spectra (n, m) for parameters (n, p)."""
        f0, width, contrast, base = self.split(np.asarray(params, dtype=np.float64))
        lines = (
            (f0, width, contrast)
            if self.hyperfine is None
            else hyperfine_lines(f0, width, contrast, self.hyperfine)
        )
        return base[:, None] * odmr_spectrum(f, *lines, self.shape)
