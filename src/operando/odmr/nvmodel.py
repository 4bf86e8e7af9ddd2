"""Global fit of the eight resonances of four NV orientations through the NV spin Hamiltonian.

Parameters ``Bx, By, Bz`` (T, lab frame), ``D`` (Hz), one shared ``width`` (Hz), one
``contrast_a`` per orientation and a ``baseline``. The line positions come from
:func:`operando.nv.spin.resonance_jacobian` (exact eigenvalues and their derivatives), so the
Jacobian of the spectrum is the chain rule ∂S/∂B = Σ_lines ∂S/∂f_line · ∂f_line/∂B.
A spectrum is unchanged under B → −B and, for a (100) diamond with equal contrasts, under the
cube symmetries that permute the four axes; ``b_guess`` (the known bias field, roughly) selects
the branch. Without it the branch closest to the mean spectrum with Bz ≥ 0 is taken.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._checks import check_choice
from ..errors import InputError
from ..nv.constants import D_ZERO_FIELD, GAMMA_E
from ..nv.inversion import field_from_resonances
from ..nv.lineshape import HYPERFINE_OFFSETS, SHAPES, hyperfine_lines, odmr_spectrum
from ..nv.orientations import nv_orientations
from ..nv.spin import resonance_jacobian, resonances
from .models import DipModel, dip_terms


@dataclass(frozen=True)
class NVModel:
    """Spectrum of an NV ensemble with ``axes`` (n_axes, 3) in a field B: two lines per axis."""

    axes: np.ndarray = field(default_factory=lambda: nv_orientations("100"))
    shape: str = "lorentzian"
    hyperfine: str | None = None
    E: float = 0.0
    b_guess: tuple[float, float, float] | None = None

    def __post_init__(self):
        a = np.asarray(self.axes, dtype=np.float64)
        if a.ndim != 2 or a.shape[1] != 3 or np.linalg.matrix_rank(a) < 3:
            raise InputError(
                f"axes: need (n_axes, 3) with >= 3 non-coplanar NV axes, got shape {a.shape}"
            )
        object.__setattr__(self, "axes", a / np.linalg.norm(a, axis=1, keepdims=True))
        check_choice("shape", self.shape, SHAPES)
        if self.hyperfine is not None:
            check_choice("hyperfine", self.hyperfine, tuple(HYPERFINE_OFFSETS))

    @property
    def n_axes(self) -> int:
        return self.axes.shape[0]

    @property
    def names(self) -> list[str]:
        return (
            ["Bx", "By", "Bz", "D", "width"]
            + [f"contrast_{a}" for a in range(self.n_axes)]
            + ["baseline"]
        )

    @property
    def units(self) -> list[str]:
        return ["T", "T", "T", "Hz", "Hz"] + ["1"] * self.n_axes + ["signal"]

    def _lines(self, params):
        n, na = params.shape[0], self.n_axes
        freqs, jac_res = resonance_jacobian(  # (n, n_axes, 2), (4, n, n_axes, 2)
            params[:, :3].T, self.axes, params[:, 3:4], self.E, with_D=True
        )
        jac_res = np.moveaxis(jac_res, 0, -1)
        width = np.broadcast_to(params[:, 4:5], (n, 2 * na))
        contrast = np.repeat(params[:, 5 : 5 + na], 2, axis=1)
        return freqs.reshape(n, 2 * na), width, contrast, jac_res.reshape(n, 2 * na, 4)

    def evaluate(self, f, params, index=None):
        """Values (n, m) and Jacobian (n, p, m) for parameters (n, p) at frequencies ``f`` (Hz)."""
        n, p, m, na = params.shape[0], params.shape[1], np.size(f), self.n_axes
        centres, width, contrast, jac_res = self._lines(params)
        d_f0 = np.empty((n, 2 * na, m))
        d_c = np.empty((n, 2 * na, m))
        jac = np.empty((n, p, m))
        base = params[:, -1]
        shape01 = dip_terms(
            f,
            centres,
            width,
            contrast,
            self.shape,
            self.hyperfine,
            scale=base,
            out_f0=d_f0,
            out_width=jac[:, 4:5],
            out_contrast=d_c,
        )
        jac[:, :4] = np.einsum("nlm,nlk->nkm", d_f0, jac_res)  # chain rule through the Hamiltonian
        jac[:, 5 : 5 + na] = d_c[:, 0::2] + d_c[:, 1::2]
        jac[:, -1] = shape01
        return base[:, None] * shape01, jac

    def simulate(self, f, params):
        """Noise-free spectra (n, m) for parameters (n, p)."""
        params = np.asarray(params, dtype=np.float64)
        centres, width, contrast, _ = self._lines(params)
        lines = (
            (centres, width, contrast)
            if self.hyperfine is None
            else hyperfine_lines(centres, width, contrast, self.hyperfine)
        )
        return params[:, -1:] * odmr_spectrum(f, *lines, self.shape)

    def bounds(self, f):
        span = float(f[-1] - f[0])
        df = span / max(len(f) - 1, 1)
        b_max = span / GAMMA_E
        lo = np.r_[np.full(3, -b_max), D_ZERO_FIELD - 0.05e9, 0.05 * df, np.zeros(self.n_axes), 0.0]
        hi = np.r_[np.full(3, b_max), D_ZERO_FIELD + 0.05e9, span, np.ones(self.n_axes), np.inf]
        return lo, hi

    def _line_order(self, B):
        """Permutation mapping the 8 sorted line positions onto (axis, branch) for field B."""
        freqs = resonances(B, self.axes, D_ZERO_FIELD, self.E)  # (n_axes, 2)
        return np.argsort(np.argsort(freqs.ravel()))

    def global_field(self, f, y_mean) -> np.ndarray:
        """Bias field (3,) T from the mean spectrum: pair the sorted dips outer-to-inner and try
        every assignment of pairs to axes; keep the one whose exact resonances fit best."""
        if self.b_guess is not None:
            return np.asarray(self.b_guess, dtype=np.float64)
        na = self.n_axes
        dips = DipModel(2 * na, self.shape).guess(f, y_mean[None, :])[0, : 2 * na]
        pairs = np.stack([dips[:na], dips[::-1][:na]], axis=1)  # (na, 2): outermost pair first
        perms = np.array(list(itertools.permutations(range(na))))
        freqs = pairs[perms]  # (P, na, 2): pair perm[k] assigned to axis k
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            B = field_from_resonances(freqs, self.axes, D_ZERO_FIELD, self.E, max_iter=20)
        misfit = np.sum(
            (resonances(B, self.axes, D_ZERO_FIELD, self.E) - freqs) ** 2, axis=(-2, -1)
        )
        best = B[:, np.nanargmin(misfit)]
        return best if best[2] >= 0 else -best

    def guess(self, f, y):
        """Per-pixel start: the N = 2·n_axes deepest dips, assigned to (axis, branch) as for the
        global field and inverted to B per pixel; D = 2.87 GHz; shared width and contrasts from the
        dip guess."""
        n, na = y.shape[0], self.n_axes
        b0 = self.global_field(f, np.nanmean(y, axis=0))
        dip = DipModel(2 * na, self.shape, hyperfine=self.hyperfine)
        g = dip.guess(f, y)
        f0, width, contrast, base = dip.split(g)
        order = self._line_order(b0)
        freqs = f0[:, order].reshape(n, na, 2)
        with warnings.catch_warnings():  # a rough start is enough: the full fit refines it
            warnings.simplefilter("ignore", RuntimeWarning)
            B = field_from_resonances(freqs, self.axes, D_ZERO_FIELD, self.E, B0=b0, max_iter=10).T
        far = ~np.all(np.isfinite(B), axis=1) | (
            np.linalg.norm(B - b0, axis=1) > 0.5 * np.linalg.norm(b0) + 1e-4
        )
        B[far] = b0
        c = contrast[:, order].reshape(n, na, 2).mean(axis=2)
        p0 = np.concatenate(
            [
                B,
                np.full((n, 1), D_ZERO_FIELD),
                np.median(width, axis=1, keepdims=True),
                c,
                base[:, None],
            ],
            axis=1,
        )
        lo, hi = self.bounds(f)
        return np.clip(p0, lo, hi)
