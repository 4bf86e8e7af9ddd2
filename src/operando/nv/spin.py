"""Ground-state spin physics of the NV⁻ centre: Hamiltonian, batched resonances and their Jacobian.

The electron-spin (S = 1) Hamiltonian in the frame of one NV axis (z' along the N–V bond), in Hz:

    H/h = D (S_z'^2 - 2/3) + E (S_x'^2 - S_y'^2) + gamma_e B·S

For a field map, the transition frequencies of every pixel and NV axis come from the closed form of
the 3×3 characteristic polynomial (exact, no iteration; see ``_eigenvalues``), much faster than
stacked ``numpy.linalg.eigvalsh``. :func:`spin_hamiltonian` builds the same matrices independently
in the lab frame from explicit spin matrices, for reference diagonalisation and hyperfine structure.

Shapes: fields ``B`` (3, ...) in T, components first in the lab frame (x, y, z; z = sample normal),
as everywhere in operando (a (3, 3) array is three fields, components down the first axis); NV axes
(n_axes, 3), one unit vector per row (or one axis (3,)); ``D``, ``E`` in Hz, scalars or arrays
broadcasting against (..., n_axes). Resonances (..., n_axes, 2) in Hz, lower line first. The kernels
work on the components-last view ``np.moveaxis(B, 0, -1)`` (each pixel's vector contiguous for the
per-axis frame rotations); only the public functions see the (3, ...) layout.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._checks import as_float_array, check_choice
from ..errors import InputError
from .constants import (
    D_PARALLEL_EFIELD,
    D_PERP_EFIELD,
    D_ZERO_FIELD,
    DD_DT,
    GAMMA_E,
    HYPERFINE,
    QUADRUPOLE_14N,
    T_REFERENCE,
)
from .orientations import _unit_axes, components_first, nv_frames

__all__ = [
    "electric_field_terms",
    "resonance_jacobian",
    "resonances",
    "spin_hamiltonian",
    "spin_matrices",
]


# --- Hamiltonian (independent lab-frame construction) ----------------------------------------
def spin_matrices(spin: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spin operators (S_x, S_y, S_z) in the |m = s, s-1, ..., -s⟩ basis (dimensionless)."""
    m = np.arange(spin, -spin - 1, -1.0)
    raising = np.diag(np.sqrt(spin * (spin + 1) - m[1:] * (m[1:] + 1)), k=1)
    sx = (raising + raising.T) / 2
    sy = (raising - raising.T) / 2j
    return sx.astype(complex), sy, np.diag(m).astype(complex)


def spin_hamiltonian(B, axis, D=D_ZERO_FIELD, E=0.0, nucleus: str | None = None) -> np.ndarray:
    """Hamiltonian matrices in Hz, shape (..., n, n), for fields ``B`` (3, ...) T and one NV
    ``axis``.

    Built in the LAB frame from explicit spin matrices (S·n)², (S·x')² − (S·y')² and B·S, so it is
    an independent check of the closed-form :func:`resonances`. ``nucleus`` = "14N" or "15N" adds
    the hyperfine (and 14N quadrupole) terms as a Kronecker product (n = 9 or 6); electron first.
    """
    frame = nv_frames(axis)[0]
    B = np.moveaxis(components_first("B", B), 0, -1)
    s_lab = np.stack(spin_matrices(1.0))  # (3, 3, 3)
    sx_, sy_, sz_ = (np.tensordot(frame[k], s_lab, axes=1) for k in range(3))
    h0 = D * (sz_ @ sz_ - 2.0 / 3.0 * np.eye(3)) + E * (sx_ @ sx_ - sy_ @ sy_)
    h = h0 + GAMMA_E * np.tensordot(B, s_lab, axes=([-1], [0]))
    if nucleus is None:
        return h
    check_choice("nucleus", nucleus, tuple(HYPERFINE))
    a_par, a_perp = HYPERFINE[nucleus]
    i_lab = np.stack(spin_matrices(1.0 if nucleus == "14N" else 0.5))
    ni = i_lab.shape[-1]
    ix_, iy_, iz_ = (np.tensordot(frame[k], i_lab, axes=1) for k in range(3))
    hyper = a_par * np.kron(sz_, iz_) + a_perp * (np.kron(sx_, ix_) + np.kron(sy_, iy_))
    if nucleus == "14N":
        hyper = hyper + QUADRUPOLE_14N * np.kron(np.eye(3), iz_ @ iz_ - 2.0 / 3.0 * np.eye(3))
    # Nuclear Zeeman term, -gamma_n B·I (gamma_n/2pi = 3.077 MHz/T for 14N, -4.316 MHz/T for 15N).
    gamma_n = {"14N": 3.077e6, "15N": -4.316e6}[nucleus]
    i_full = np.stack([np.kron(np.eye(3), i) for i in i_lab])
    nuc_zeeman = -gamma_n * np.tensordot(B, i_full, axes=([-1], [0]))
    h_full = np.einsum("...ij,kl->...ikjl", h, np.eye(ni)).reshape(*h.shape[:-2], 3 * ni, 3 * ni)
    return h_full + hyper + nuc_zeeman


def electric_field_terms(efield, axis) -> tuple[np.ndarray, np.ndarray]:
    """(ΔD, E) in Hz, shape (...), that an electric field ``efield`` (3, ...) in V/m produces on an
    NV along ``axis``."""
    n = _unit_axes(axis)[0]
    ef = np.moveaxis(components_first("efield", efield), 0, -1)
    par = ef @ n
    perp = np.linalg.norm(ef - par[..., None] * n, axis=-1)
    return D_PARALLEL_EFIELD * par, D_PERP_EFIELD * perp


# --- closed-form resonances ------------------------------------------------------------------
def _split_D(D, temperature):
    """D in Hz, shifted by DD_DT (T - 300 K) when a temperature (K) is given."""
    D = as_float_array("D", D_ZERO_FIELD if D is None else D)
    if np.any(D <= 0):
        raise InputError(f"D: zero-field splitting must be > 0 Hz, got min {D.min()!r}")
    if temperature is not None:
        t = as_float_array("temperature", temperature)
        if np.any(t <= 0):
            raise InputError(f"temperature: must be > 0 K, got min {t.min()!r}")
        D = D + DD_DT * (t - T_REFERENCE)
    return D


def _eigenvalues(u, v, b, D, E):
    """Sorted eigenvalues (..., 3) of H/h with gamma_e B' = (u, v, b) in the NV frame.

    The characteristic polynomial is Q(λ) = λ³ - 2Dλ² + (D² - E² - g²)λ + D t² - E(u² - v²) with g²
    = u² + v² + b², t² = u² + v² (eigenvalues shifted by +2D/3 so m_s = 0 sits near 0). The trig
    formula gives all three roots; the closest pair is then recomputed from Vieta's relations with
    the isolated root, in a frame where the pair is small, so near-degenerate lines (weak fields,
    small E) keep full precision instead of the sqrt(machine epsilon) loss of the plain formula.
    """
    uu, vv, bb, EE = u * u, v * v, b * b, E * E
    tt = uu + vv
    g2 = tt + bb
    p = -D * D / 3.0 - EE - g2
    const = D * tt - E * (uu - vv)
    q = 2.0 * D**3 / 27.0 - 2.0 * D * (EE + g2) / 3.0 + const
    r = np.sqrt(-p / 3.0)
    phi = np.arccos(np.clip(-q / (2.0 * r**3), -1.0, 1.0)) / 3.0
    hi = 2.0 * r * np.cos(phi) + 2.0 * D / 3.0
    lo = 2.0 * r * np.cos(phi - 4.0 * np.pi / 3.0) + 2.0 * D / 3.0
    upper_pair = (hi - (2.0 * D - hi - lo)) <= (
        (2.0 * D - hi - lo) - lo
    )  # trace fixes the middle root
    # Upper pair closest (weak fields): y = λ - D; y_mid + y_hi = -lo, y_mid y_hi = c_y / (lo - D).
    s_a = -lo
    prod_a = (D * (bb + EE) + E * (uu - vv)) / (lo - D)
    root_a = np.sqrt(np.maximum(0.25 * s_a * s_a - prod_a, 0.0))
    # Lower pair closest (near the ground-state anticrossing): λ_lo + λ_mid = 2D - hi,
    # λ_lo λ_mid = -const / hi.
    m_b = D - 0.5 * hi
    root_b = np.sqrt(np.maximum(m_b * m_b + const / hi, 0.0))
    lam_lo = np.where(upper_pair, lo, m_b - root_b)
    lam_mid = np.where(upper_pair, D + 0.5 * s_a - root_a, m_b + root_b)
    lam_hi = np.where(upper_pair, D + 0.5 * s_a + root_a, hi)
    return np.stack([lam_lo, lam_mid, lam_hi], axis=-1)


def _zero_state_index(lam, b, D, E):
    """Index (...) of the eigenstate with the largest m_s = 0 weight, for sorted ``lam`` (..., 3).

    |<0|k>|² = adj(H - λ_k)_00 / Π_{j≠k}(λ_k - λ_j), with the cofactor (D - λ_k)² - b² - E².
    """
    d01, d02, d12 = lam[..., 1] - lam[..., 0], lam[..., 2] - lam[..., 0], lam[..., 2] - lam[..., 1]
    c = b * b + E * E
    with np.errstate(divide="ignore", invalid="ignore"):
        w0 = ((D - lam[..., 0]) ** 2 - c) / (d01 * d02)
        w1 = ((D - lam[..., 1]) ** 2 - c) / (-d01 * d12)
        w2 = ((D - lam[..., 2]) ** 2 - c) / (d02 * d12)
    # at an exact degeneracy of the other two states their weights are 0/0 (NaN): comparisons
    # with NaN are False, so the well-defined state wins
    first = ~((w1 > w0) | (w2 > w0))
    return np.where(first, 0, np.where(w2 > w1, 2, 1)), d01, d02, d12


def _nv_frame_fields(B, axes, D, E, temperature):
    """NV frames, NV-frame fields γB' (..., n_axes, 3) Hz and D, E broadcast to (..., n_axes), for
    lab fields ``B`` (..., 3) components LAST (the kernels' layout)."""
    axes = _unit_axes(axes)
    frames = nv_frames(axes)  # (n_axes, 3, 3)
    Bp = np.einsum("...j,aij->...ai", B, frames) * GAMMA_E  # (..., n_axes, 3) in Hz
    D = _split_D(D, temperature)
    E = as_float_array("E", E)
    shape = Bp.shape[:-1]
    D = np.broadcast_to(D, shape)
    E = np.broadcast_to(E, shape)
    return frames, Bp, D, E


def _solve(Bp, D, E):
    """Sorted eigenvalues, m_s = 0 index, the two line frequencies (lower first) and the indices of
    their upper states, for NV-frame fields γB' = Bp (..., 3) in Hz."""
    u, v, b = Bp[..., 0], Bp[..., 1], Bp[..., 2]
    lam = _eigenvalues(u, v, b, D, E)
    i0, d01, d02, d12 = _zero_state_index(lam, b, D, E)
    # lines |λ_k - λ_i0|: i0 = 0 → (d01, d02); i0 = 1 → (d01, d12); i0 = 2 → (d12, d02)
    f_a = np.where(i0 == 2, d12, d01)
    f_b = np.where(i0 == 1, d12, d02)
    swap = f_a > f_b
    freqs = np.stack([np.where(swap, f_b, f_a), np.where(swap, f_a, f_b)], axis=-1)
    k_a = np.where(i0 == 0, 1, np.where(i0 == 1, 0, 1))
    k_b = np.where(i0 == 0, 2, np.where(i0 == 1, 2, 0))
    upper = np.stack([np.where(swap, k_b, k_a), np.where(swap, k_a, k_b)], axis=-1)
    return lam, i0, freqs, upper


_CHUNK = 1 << 17  # pixels × axes per block: keeps temporaries in cache-friendly sizes


def resonances(B, axes, D=None, E=0.0, temperature=None) -> np.ndarray:
    """Transition frequencies (..., n_axes, 2) in Hz from m_s = 0 to the two other states.

    Exact diagonalisation (closed form) for fields ``B`` (3, ...) in T, components first, and NV
    ``axes`` (n_axes, 3). ``D`` defaults to 2.87 GHz; ``temperature`` (K) shifts it by dD/dT =
    -74.2 kHz/K from 300 K.
    """
    return _resonances(np.moveaxis(components_first("B", B), 0, -1), axes, D, E, temperature)


def _resonances(B, axes, D=None, E=0.0, temperature=None) -> np.ndarray:
    """:func:`resonances` for fields ``B`` (..., 3), components last (the kernel)."""
    _, Bp, D, E = _nv_frame_fields(B, axes, D, E, temperature)
    shape = Bp.shape[:-1]
    flat_b, flat_d, flat_e = Bp.reshape(-1, 3), D.reshape(-1), E.reshape(-1)
    out = np.empty((flat_d.size, 2))

    def block(start):
        sl = slice(start, start + _CHUNK)
        out[sl] = _solve(flat_b[sl], flat_d[sl], flat_e[sl])[2]

    starts = range(0, flat_d.size, _CHUNK)
    if len(starts) > 1:  # numpy releases the GIL in ufuncs: blocks run in parallel threads
        with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, len(starts))) as pool:
            list(pool.map(block, starts))
    else:
        block(0)
    return out.reshape(*shape, 2)


def resonance_jacobian(B, axes, D=None, E=0.0, temperature=None, with_D: bool = False):
    """Resonances (..., n_axes, 2) Hz and their gradient ∂f/∂B (3, ..., n_axes, 2) in Hz/T, lab
    components first like the field ``B`` (3, ...) T; exact by implicit differentiation of the
    characteristic polynomial (equivalent to Hellmann–Feynman). With ``with_D`` a 4th row holds
    ∂f/∂D (dimensionless): (4, ..., n_axes, 2). Returns ``(freqs, jac)``. Undefined exactly at level
    crossings.
    """
    freqs, jac = _resonance_jacobian(np.moveaxis(components_first("B", B), 0, -1), axes, D, E, temperature,
                                     with_D)
    return freqs, np.moveaxis(jac, -1, 0)


def _resonance_jacobian(B, axes, D=None, E=0.0, temperature=None, with_D: bool = False):
    """:func:`resonance_jacobian` for fields ``B`` (..., 3), components last, with the gradient
    last too: (..., n_axes, 2, 3 or 4) (the kernel)."""
    frames, Bp, D, E = _nv_frame_fields(B, axes, D, E, temperature)
    lam, i0, freqs, idx = _solve(Bp, D, E)
    u, v, b = (Bp[..., k, None] for k in range(3))
    Dx, Ex = D[..., None], E[..., None]
    diff = lam[..., :, None] - lam[..., None, :]
    dq_dlam = np.prod(np.where(np.eye(3, dtype=bool), 1.0, diff), axis=-1)  # Q'(λ_k)
    grads = [2 * u * (Dx - Ex - lam), 2 * v * (Dx + Ex - lam), -2 * b * lam]
    if with_D:
        grads.append(-2 * lam * lam + 2 * Dx * lam + u * u + v * v)
    with np.errstate(divide="ignore", invalid="ignore"):
        dlam = -np.stack(grads, axis=-1) / dq_dlam[..., None]  # (..., 3 states, n_par)
    d0 = np.take_along_axis(dlam, i0[..., None, None], axis=-2)
    dk = np.take_along_axis(dlam, idx[..., None], axis=-2)
    lam0 = np.take_along_axis(lam, i0[..., None], axis=-1)
    sign = np.sign(np.take_along_axis(lam, idx, axis=-1) - lam0)[..., None]
    jac = sign * (dk - d0)  # (..., n_axes, 2, n_par), field part per Hz of gamma B'
    jac_b = np.einsum("...aki,aij->...akj", jac[..., :3], frames) * GAMMA_E
    if with_D:
        jac_b = np.concatenate([jac_b, jac[..., 3:]], axis=-1)
    return freqs, jac_b


def __getattr__(name):  # the inverse lives in its own module; keep it reachable from here
    if name == "field_from_resonances":
        from .inversion import field_from_resonances

        return field_from_resonances
    raise AttributeError(name)
