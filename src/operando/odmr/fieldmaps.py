"""Field maps from fitted resonances: B along NV axes, the vector B, [111] → Bz, upward
continuation and background subtraction.

Fourier conversions use :mod:`operando.magnetics.fourier` (zero-padded FFTs; ``∂/∂x ↔ i kx``).
Above all sources the field is a potential field, so every component follows from one:
``Bx(k) = −i kx/k · Bz(k)``, ``By(k) = −i ky/k · Bz(k)``, and each decays as ``e^{−k Δz}``.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import xarray as xr

from .._checks import as_float_array, check_positive, unit_vector
from ..errors import InputError
from ..magnetics.fourier import crop2d, pad2d, padded_shape, wavenumbers
from ..nv.constants import D_ZERO_FIELD, GAMMA_E
from ..nv.inversion import field_from_resonances
from ..nv.spin import resonances


def projected_field_map(f_minus, f_plus) -> np.ndarray:
    """B along the NV axis (T) from its two resonances (Hz): (f+ − f−)/(2γ), the projected
    approximation (exact for a field along the axis; transverse fields add O((γB⊥)²/D))."""
    f_minus, f_plus = np.asarray(f_minus, dtype=np.float64), np.asarray(f_plus, dtype=np.float64)
    return (f_plus - f_minus) / (2.0 * GAMMA_E)


def vector_field_map(
    freqs, axes, *, D=None, b_guess=None, method: str = "hamiltonian"
) -> np.ndarray:
    """Vector B (3, ...) T, components first, from resonances (..., n_axes, 2) Hz of >= 3 NV axes:
    least squares over the projections (``method="projected"``) or exactly through the spin
    Hamiltonian; NaN where a resonance is missing. ``b_guess`` (3,) T fixes the sign."""
    freqs = np.asarray(freqs, dtype=np.float64)
    good = np.all(np.isfinite(freqs), axis=(-2, -1))
    out = np.full((3, *freqs.shape[:-2]), np.nan)
    if np.any(good):
        out[:, good] = field_from_resonances(freqs[good], axes, D=D, B0=b_guess, method=method)
    return out


def _potential_multiplier(shape, dy, dx, direction):
    ky, kx, k = wavenumbers(shape, dy, dx)
    safe = np.where(k > 0, k, 1.0)
    ux, uy, uz = direction
    # B_u(k) / Bz(k) for a field derived from a potential above its sources
    return uz - 1j * (ux * kx + uy * ky) / safe * (k > 0)


def _fft_filter(image, multiplier_fn, pad, name):
    img = as_float_array(name, image, ndim=2)
    ny, nx = img.shape
    shape = padded_shape(ny, nx, pad)
    mean = float(img.mean())
    spec = scipy.fft.fft2(pad2d(img - mean, shape), workers=-1)  # pad the anomaly, not the offset
    mult = multiplier_fn(shape)
    out = crop2d(scipy.fft.ifft2(spec * mult, workers=-1).real, ny, nx)
    return out + mean * float(np.real(mult[0, 0]))


def projection_to_bz(b_u, direction, dy: float, dx: float, *, pad: float = 2) -> np.ndarray:
    """Bz (ny, nx) T from the field component along unit ``direction`` (e.g. an NV axis [111]).

    Divides by the potential-field multiplier ``u_z − i(u_x kx + u_y ky)/k`` (never zero for
    ``u_z ≠ 0``); the uniform part is taken as along z (k = 0: B_u = u_z Bz).
    """
    u = unit_vector("direction", direction)
    if abs(u[2]) < 1e-6:
        raise InputError(f"direction: must have a z component to recover Bz, got {u.tolist()}")
    check_positive("dy", dy, unit="m")
    check_positive("dx", dx, unit="m")
    return _fft_filter(b_u, lambda s: 1.0 / _potential_multiplier(s, dy, dx, u), pad, "b_u")


def upward_continue(bz, height: float, dy: float, dx: float, *, pad: float = 2) -> np.ndarray:
    """Field map (ny, nx) continued ``height`` (m, >= 0) away from the sources: × e^{−k·height}."""
    height = check_positive("height", height, allow_zero=True, unit="m")
    check_positive("dy", dy, unit="m")
    check_positive("dx", dx, unit="m")
    return _fft_filter(bz, lambda s: np.exp(-wavenumbers(s, dy, dx)[2] * height), pad, "bz")


def subtract_background(image, *, order: int = 1, mask=None, reference=None) -> np.ndarray:
    """Remove a background from a map (ny, nx): ``reference`` map subtracted if given, then a
    2-D polynomial of total degree ``order`` (0 = offset, 1 = plane) fitted by least squares to
    the finite pixels where ``mask`` is True (e.g. away from the sample)."""
    img = as_float_array("image", image, ndim=2, finite=False)
    if reference is not None:
        ref = as_float_array("reference", reference, finite=False)
        if ref.shape != img.shape:
            raise InputError(f"reference: shape {ref.shape} differs from the map's {img.shape}")
        img = img - ref
    if int(order) != order or not 0 <= order <= 6:
        raise InputError(f"order: must be an integer in [0, 6], got {order!r}")
    ny, nx = img.shape
    yy, xx = np.meshgrid(np.linspace(-1, 1, ny), np.linspace(-1, 1, nx), indexing="ij")
    terms = np.stack(
        [xx**i * yy**j for i in range(order + 1) for j in range(order + 1 - i)], axis=-1
    )
    use = np.isfinite(img) & (True if mask is None else np.asarray(mask, dtype=bool))
    if np.count_nonzero(use) < terms.shape[-1]:
        raise InputError(
            f"mask: {np.count_nonzero(use)} usable pixels; need >= {terms.shape[-1]} "
            f"for order {order}"
        )
    coef = np.linalg.lstsq(terms[use], img[use], rcond=None)[0]
    return img - terms @ coef


def field_maps(fit: xr.Dataset, *, axes=None, b_guess=None, line=None) -> xr.Dataset:
    """Add field maps to a fit result: ``B_nv`` (and ``B_nv_err``) for a 2-dip fit; ``B_nv_k`` for
    each line pair of a 2·n-dip fit (outer pair first) and, with ``axes`` (n, 3) given, the vector
    ``B`` (component, y, x); a Hamiltonian ("nv") fit already holds Bx, By, Bz. Pairs are matched
    to axes by the splittings the approximate bias field ``b_guess`` (3,) T predicts; without it
    ``axes`` must be listed from the largest splitting to the smallest. A fit of separate sweeps
    also gets ``D`` (the pair's mean frequency); one side alone (``attrs["single_side"]``) gives
    B_nv = ±(f0 − D₀)/γ with D₀ = 2.870 GHz; so does a one-line fit of a stack that says which
    line it sweeps (``line``: {"side": "low"/"high", "D": Hz, "B_ext": T, the bias along the NV
    axis, subtracted}).

    Every field is NaN where the fit did not converge (``converged`` False; why is in ``reason``).
    """
    out = fit.copy()
    ok = np.asarray(fit["converged"].values, dtype=bool) if "converged" in fit else True
    for name in ("Bx", "By", "Bz"):  # a Hamiltonian fit: the parameters are the field
        if name in out:
            out[name] = out[name].where(ok)
    names = [k for k in fit.data_vars if k.startswith("f0_") and not k.endswith("_err")]
    n = len(names)
    f0 = np.stack([fit[f"f0_{i}"].values for i in range(n)], axis=-1) if n else None
    err = np.stack([fit[f"f0_{i}_err"].values for i in range(n)], axis=-1) if n else None
    side = fit.attrs.get("single_side")
    line = line if n == 1 and line is not None else {"side": side, "D": D_ZERO_FIELD, "B_ext": 0.0}
    if n == 1 and line["side"] in ("low", "high"):
        sign = -1.0 if line["side"] == "low" else 1.0
        b = sign * (f0[..., 0] - line["D"]) / GAMMA_E - line["B_ext"]
        out["B_nv"] = (("y", "x"), np.where(ok, b, np.nan),
                       {"units": "T", "assumed_D_hz": line["D"], "bias_subtracted_T": line["B_ext"]})
        out["B_nv_err"] = (("y", "x"), np.where(ok, err[..., 0] / GAMMA_E, np.nan),
                           {"units": "T", "meaning": "standard error"})
        return out
    if n < 2 or n % 2:
        return out
    pairs = [(i, n - 1 - i) for i in range(n // 2)]
    for k, (lo, hi) in enumerate(pairs):
        name = "B_nv" if n == 2 else f"B_nv_{k}"
        b = projected_field_map(f0[..., lo], f0[..., hi])
        out[name] = (("y", "x"), np.where(ok, b, np.nan), {"units": "T"})
        e = np.hypot(err[..., lo], err[..., hi]) / (2.0 * GAMMA_E)
        out[f"{name}_err"] = (("y", "x"), np.where(ok, e, np.nan),
                              {"units": "T", "meaning": "standard error"})
    if "sweeps" in fit.attrs and n == 2:
        d = 0.5 * (f0[..., 0] + f0[..., 1])
        out["D"] = (("y", "x"), np.where(ok, d, np.nan), {"units": "Hz", "long_name": "zero-field splitting"})
    if axes is not None and n >= 6:
        axes = np.asarray(axes, dtype=np.float64)
        if b_guess is not None:  # the outermost pair belongs to the axis most aligned with B
            split = np.diff(resonances(np.asarray(b_guess, dtype=np.float64), axes), axis=-1)[:, 0]
            axes = axes[np.argsort(-split)]
        freqs = np.stack([np.where(np.asarray(ok)[..., None], f0[..., [lo, hi]], np.nan)
                          for lo, hi in pairs], axis=-2)
        B = vector_field_map(freqs, axes, b_guess=b_guess)
        out["B"] = (("component", "y", "x"), B, {"units": "T", "long_name": "vector field from the NV resonances"})
        out = out.assign_coords(component=["x", "y", "z"])
    return out
