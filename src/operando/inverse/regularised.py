"""Regularised reconstructions on a :class:`~operando.inverse.operators.FieldOperator`.

Tikhonov: minimise ‖A x − b‖² + λ ‖L x‖², with L = ∇ for currents (so ‖L g‖ = ‖J‖, the current's
L2 norm) and L = 1 for magnetization. Solved by conjugate gradients on the normal equations,
started from and preconditioned by their circulant approximation (diagonal in k; exact but for
the crop to the field of view), at most ``maxiter`` iterations (CG lowers the objective at each).

Total variation: minimise ½‖A x − b‖² + α ‖∇x‖₁ (anisotropic) by split Bregman (pylops), suited
to piecewise-constant sources such as particles of uniform lithium content.

The weight is chosen by the discrepancy principle (‖A x − b‖ = τ σ √N, σ the pixel noise, given
or estimated from the map) or by the L-curve corner, or given; it is reported with diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pylops
import scipy.sparse.linalg as spla
import xarray as xr

from .._checks import as_float_array, check_positive
from ..errors import ConvergenceError, InputError
from .operators import FieldOperator
from .uncertainty import monte_carlo_std
from .weights import CirculantTikhonov, discrepancy_weight, estimate_noise_sigma, lcurve_weight


@dataclass
class Reconstruction:
    """Result of a regularised solve: the model, the chosen weight and how it was chosen."""

    op: FieldOperator
    model: np.ndarray  # (n_layers, nyp, nxp), see FieldOperator
    weight: float
    method: str
    diagnostics: dict = field(default_factory=dict)
    std: np.ndarray | None = None  # Monte-Carlo std of the sources in the field of view

    def sources(self) -> np.ndarray:
        """Sources in the field of view: (n_layers, 2, ny, nx) currents or (n_layers, ny, nx) M."""
        if self.op.source == "current":
            return self.op.current_from_model(self.model)
        return self.op.crop_model(self.model)

    def to_dataset(self) -> xr.Dataset:
        """Sources (and their std) as a Dataset on dims (layer, y, x); diagnostics in the attrs."""
        spec = self.op.spec
        coords = {"y": np.arange(spec.shape[0]) * spec.dy, "x": np.arange(spec.shape[1]) * spec.dx}
        src = self.sources()
        sheet = self.op.layers[:, 1] == self.op.layers[:, 0]
        if self.op.source == "current":
            units = "A/m" if sheet.all() else "A/m^2" if not sheet.any() else "A/m (sheet) or A/m^2"
            names = {"Jx": src[:, 0], "Jy": src[:, 1]}
        else:
            units = "A" if sheet.all() else "A/m" if not sheet.any() else "A (sheet) or A/m"
            names = {"M": src}
        data = {k: xr.DataArray(v, dims=("layer", "y", "x"), attrs={"units": units})
                for k, v in names.items()}
        if self.std is not None:
            for i, k in enumerate(names):
                s = self.std[:, i] if self.op.source == "current" else self.std
                data[k + "_std"] = xr.DataArray(s, dims=("layer", "y", "x"), attrs={"units": units})
        attrs = {"method": self.method, "weight": self.weight}
        attrs.update({k: v for k, v in self.diagnostics.items() if np.isscalar(v)})
        return xr.Dataset(data, coords=coords, attrs=attrs)


def _penalty_symbol(op: FieldOperator, penalty: str) -> np.ndarray:
    if penalty == "auto":
        penalty = "gradient" if op.source == "current" else "identity"
    if penalty == "gradient":  # floor: keeps the normal equations definite at k = 0
        return op.spec.k**2 + 1e-9 * float(op.spec.k.max()) ** 2
    if penalty == "identity":
        return np.ones(op.spec.k.shape)
    raise InputError(f"penalty: unknown value {penalty!r}; "
                     "expected 'auto', 'gradient' or 'identity'")


def _check_data(op: FieldOperator, data) -> np.ndarray:
    data = as_float_array("data", getattr(data, "values", data), finite=False)
    if data.shape == op.data_shape[1:] and op.data_shape[0] == 1:
        data = data[None]
    if data.shape != op.data_shape:
        raise InputError(f"data: expected shape {op.data_shape} (heights, ny, nx), "
                         f"got {data.shape}")
    if not np.all(np.isfinite(data)):
        raise InputError("data: contains NaN/inf; inpaint them first "
                         "(operando.inverse.inpaint_harmonic)")
    return op._offset_free(data)


class _TikhonovSystem:
    """Normal equations (AᵀA + λ LᵀL) x = Aᵀ b, started from and preconditioned by their
    circulant approximation (the closed-form solution for edge-continued data, diagonal in k).

    CG from that start lowers the exact objective at every step, so a bounded number of
    iterations only improves on the circulant solution; ``maxiter`` bounds the cost.
    """

    def __init__(self, op: FieldOperator, ell: np.ndarray):
        self.op, self.ell = op, ell
        self.GhG = np.einsum("hlyx,hmyx->yxlm", np.conj(op.G), op.G)
        self.taper = min(op.spec.shape) // 4

    def _inverse_symbol(self, lam):
        nl = self.op.model_shape[0]
        normal_k = self.GhG + lam * self.ell[..., None, None] * np.eye(nl)
        floor = 1e-14 * np.abs(normal_k).max()  # keeps the preconditioner definite and bounded
        return np.linalg.inv(normal_k + floor * np.eye(nl))

    def circulant_solution(self, data, lam, Minv=None):
        op = self.op
        Minv = self._inverse_symbol(lam) if Minv is None else Minv
        rhs = np.einsum("hlyx,hyx->lyx", np.conj(op.G), op.spec.fft(data, self.taper))
        return op.model_ifft(np.einsum("yxlm,myx->lyx", Minv, rhs)).ravel()

    def solve(self, data, lam, x0=None, rtol=1e-6, maxiter=100):
        op, spec, ell = self.op, self.op.spec, self.ell
        n = op.shape[1]

        def normal(x):
            X = op.model_fft(x)
            Y = op._offset_free(spec.ifft(np.einsum("hlyx,lyx->hyx", op.G, X)))  # A x
            back = np.einsum("hlyx,hyx->lyx", np.conj(op.G), spec.fft(Y))
            return op.model_ifft(back + lam * ell * X).ravel()

        Minv = self._inverse_symbol(lam)

        def precond(r):
            return op.model_ifft(np.einsum("yxlm,myx->lyx", Minv, op.model_fft(r))).ravel()

        if x0 is None:
            x0 = self.circulant_solution(data, lam, Minv)
        A = spla.LinearOperator((n, n), matvec=normal, dtype=float)
        P = spla.LinearOperator((n, n), matvec=precond, dtype=float)
        rhs = op.rmatvec(data.ravel())
        x, info = spla.cg(A, rhs, x0=x0, rtol=rtol, maxiter=maxiter, M=P)
        if info < 0 or not np.all(np.isfinite(x)):
            raise ConvergenceError(f"Tikhonov CG failed (info={info}) at weight {lam:.3g}")
        return x, info


def solve_tikhonov(op: FieldOperator, data, noise_sigma: float | None = None,
                   weight="discrepancy", penalty: str = "auto", tau: float = 1.1,
                   refine: int = 4, rtol: float = 1e-6, maxiter: int = 100,
                   model_error: float = 1e-3, uncertainty_samples: int = 0,
                   seed: int = 0) -> Reconstruction:
    """Tikhonov reconstruction; ``weight`` = ``"discrepancy"``, ``"lcurve"`` or a number (λ).

    ``data``: (n_heights, ny, nx) field maps along the operator's axis, T (finite). ``noise_sigma``
    (T) is estimated from the maps' high-k spectrum when omitted. ``model_error``: relative misfit
    the forward model cannot avoid (voxelised sources vs continuum transfer functions, sources
    beyond the field of view), added in quadrature to σ as ``model_error · rms(data)`` for the
    discrepancy target, so that nearly noise-free maps do not drive λ to 0.
    ``uncertainty_samples > 1`` adds
    a Monte-Carlo std map (re-solves at the chosen weight). Returns a :class:`Reconstruction`.
    """
    data = _check_data(op, data)
    ell = _penalty_symbol(op, penalty)
    if noise_sigma is None:
        noise_sigma = float(np.mean([estimate_noise_sigma(d) for d in data]))
        sigma_source = "estimated from the map spectrum"
    else:
        noise_sigma = check_positive("noise_sigma", noise_sigma, unit="T")
        sigma_source = "given"
    model_error = check_positive("model_error", model_error, allow_zero=True)
    sigma_eff = float(np.hypot(noise_sigma, model_error * np.sqrt(np.mean(data**2))))
    target = tau * sigma_eff * np.sqrt(data.size)
    system = _TikhonovSystem(op, ell)
    diag = {"noise_sigma": noise_sigma, "noise_sigma_source": sigma_source,
            "effective_sigma": sigma_eff, "target_residual": target}
    if isinstance(weight, str):
        circ = CirculantTikhonov(op.G, ell, op.spec.fft(data, min(op.spec.shape) // 4),
                                 op.spec.weights)
        if weight == "lcurve":
            lam, rows = lcurve_weight(circ)
            diag["lcurve"] = rows
        elif weight == "discrepancy":
            lam = discrepancy_weight(circ, target)
        else:
            raise InputError(f"weight: unknown value {weight!r}; expected 'discrepancy', "
                             "'lcurve' or a positive number")
        diag["weight_circulant"] = lam
        method = f"tikhonov/{weight}"
    else:
        lam = check_positive("weight", weight)
        method = "tikhonov/given"
    x, _ = system.solve(data, lam, rtol=rtol, maxiter=maxiter)
    res = float(np.linalg.norm(op.matvec(x) - data.ravel()))
    history = [(lam, res)]
    if weight == "discrepancy":  # secant steps in log λ on the exact residual
        lam0 = lam
        for _ in range(int(refine)):
            if abs(res / target - 1) < 0.05:
                break
            if len(history) == 1:
                lam_new = lam * (target / res) ** 2
            else:
                (l0, r0), (l1, r1) = history[-2], history[-1]
                slope = (np.log(r1) - np.log(r0)) / (np.log(l1) - np.log(l0) or 1.0)
                lam_new = l1 * np.exp((np.log(target) - np.log(r1)) / max(slope, 0.05))
            # stay within 3 decades of the circulant estimate
            lam = float(np.clip(lam_new, lam0 * 1e-3, lam0 * 1e3))
            x, _ = system.solve(data, lam, rtol=rtol, maxiter=maxiter)
            res = float(np.linalg.norm(op.matvec(x) - data.ravel()))
            history.append((lam, res))
        # largest λ whose residual reaches the target — or, when model error (sources beyond the
        # field of view, discretisation) keeps the residual above it, reaches that floor
        hist = np.array(history)
        ok = hist[:, 1] <= max(1.02 * target, 1.05 * hist[:, 1].min())
        best = int(np.flatnonzero(ok)[np.argmax(hist[ok, 0])])
        if hist[best, 0] != lam:
            lam = float(hist[best, 0])
            x, _ = system.solve(data, lam, rtol=rtol, maxiter=maxiter)
            res = float(np.linalg.norm(op.matvec(x) - data.ravel()))
        diag["target_reached"] = bool(res <= 1.05 * target)
    diag.update(residual_norm=res, residual_over_target=res / target, n_solves=len(history),
                weight_history=np.array(history))
    rec = Reconstruction(op, x.reshape(op.model_shape), lam, method, diag)
    if uncertainty_samples > 1:
        def resolve(d):
            xs, _ = system.solve(d.reshape(op.data_shape), lam, x0=x, rtol=rtol, maxiter=maxiter)
            return Reconstruction(op, xs.reshape(op.model_shape), lam, method).sources()

        pred = op.matvec(x).reshape(op.data_shape)
        rec.std = monte_carlo_std(resolve, pred, noise_sigma, uncertainty_samples, seed)
    return rec


def solve_tv(op: FieldOperator, data, weight: float | str = "discrepancy",
             noise_sigma: float | None = None, niter_outer: int = 10, niter_inner: int = 2,
             mu: float = 1.0, n_weights: int = 5, uncertainty_samples: int = 0,
             seed: int = 0) -> Reconstruction:
    """Total-variation reconstruction by split Bregman (pylops).

    ``weight``: α of the L1 term relative to ½‖A x − b‖² on data and operator normalised to unit
    scale (so α is dimensionless), or ``"discrepancy"`` — the largest of ``n_weights`` values on
    a log grid (1e-1 … 1e-5) whose residual is at most the noise level σ √N (within 5 %).
    ``uncertainty_samples > 1`` adds a Monte-Carlo std map (re-solves at the chosen weight).
    """
    data = _check_data(op, data)
    if noise_sigma is None:
        noise_sigma = float(np.mean([estimate_noise_sigma(d) for d in data]))
    noise_sigma = check_positive("noise_sigma", noise_sigma, unit="T")
    b_scale = float(np.abs(data).max()) or 1.0
    a_scale = float(np.abs(op.G).max())
    A = (1.0 / a_scale) * op
    b = data.ravel() / b_scale
    D = [pylops.FirstDerivative(op.model_shape, axis=ax, kind="forward") for ax in (1, 2)]
    target = noise_sigma * np.sqrt(data.size) / b_scale

    def run(alpha, b=b):
        x, _, _ = pylops.optimization.sparsity.splitbregman(
            A, b, D, niter_outer=niter_outer, niter_inner=niter_inner, mu=mu,
            epsRL1s=[alpha, alpha], tol=1e-10, tau=1.0, show=False, iter_lim=10)
        return x, float(np.linalg.norm(A.matvec(x) - b))

    history = []
    if isinstance(weight, str):
        if weight != "discrepancy":
            raise InputError(f"weight: expected 'discrepancy' or a number, got {weight!r}")
        for alpha in np.logspace(-1, -5, int(n_weights)):
            x, res = run(alpha)
            history.append((alpha, res))
            if res <= target * 1.05:
                break
    else:
        alpha = check_positive("weight", weight)
        x, res = run(alpha)
        history.append((alpha, res))
    diag = {"noise_sigma": noise_sigma, "residual_over_target": res / target,
            "weight_history": np.array(history)}
    model = x.reshape(op.model_shape) * b_scale / a_scale
    method = f"tv/{weight if isinstance(weight, str) else 'given'}"
    rec = Reconstruction(op, model, float(alpha), method, diag)
    if uncertainty_samples > 1:
        def resolve(d):
            xs = run(alpha, d.ravel() / b_scale)[0].reshape(op.model_shape) * b_scale / a_scale
            return Reconstruction(op, xs, float(alpha), method).sources()

        pred = op.matvec(model.ravel()).reshape(op.data_shape)
        rec.std = monte_carlo_std(resolve, pred, noise_sigma, uncertainty_samples, seed)
    return rec
