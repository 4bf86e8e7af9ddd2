"""Speed of the reconstruction stage (issue targets: Fourier 1024² < 1 s, regularised 512² < 30 s).

1. Fourier inverse filter (sheet current from B_z, with the analytic noise map) on a 1024 × 1024
   map, against the same filter written plainly with numpy.fft (one thread, no padding reuse).
2. Tikhonov (weight by discrepancy principle, circulant-preconditioned CG) on a 512 × 512 map.
3. Peer for the regularised solve: scipy CG without preconditioning on the same normal equations
   and weight (128 × 128), run until it reaches the objective value of operando's solution.

    python benchmarks/bench_inverse.py [--quick]

``--quick`` shrinks every map by 4 (for CI smoke runs). Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse.linalg as spla

from operando.inverse import FieldOperator, sheet_current_from_field, solve_tikhonov
from operando.inverse.regularised import _penalty_symbol


def field_map(n: int, pixel: float, h: float, sigma: float, seed: int = 0):
    """B_z of a thin current layer (random smooth stream function) at height h, plus noise."""
    rng = np.random.default_rng(seed)
    op = FieldOperator((n, n), pixel, pixel, [h], [(0.0, 10e-9)])
    g = rng.normal(size=(n, n))
    k = op.spec.k[:n, :n]
    g = np.fft.ifft2(np.fft.fft2(g) * np.exp(-(k * 8 * pixel) ** 2)).real * 1e-2
    B = op.matvec(g.ravel()).reshape(n, n)
    return B + rng.normal(0, sigma * np.abs(B).max(), B.shape), op


def timed(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def plain_numpy_filter(B, pixel, h):
    """The same B_z → J inverse filter without operando (numpy.fft, pad 2, Hann window)."""
    n = B.shape[0]
    P = np.zeros((2 * n, 2 * n))
    P[:n, :n] = B
    k1 = 2 * np.pi * np.fft.fftfreq(2 * n, pixel)
    ky, kx = np.meshgrid(k1, k1, indexing="ij")
    k = np.hypot(kx, ky)
    kc = 2 * np.pi / h
    W = np.where(k < kc, 0.5 * (1 + np.cos(np.pi * np.minimum(k / kc, 1))), 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        H = np.where(k > 0, W * 2 / (4e-7 * np.pi * k * np.exp(-k * h)), 0)
    g = np.fft.fft2(P) * H
    return np.fft.ifft2(1j * ky * g).real[:n, :n], np.fft.ifft2(-1j * kx * g).real[:n, :n]


def main(quick: bool = False) -> None:
    s = 4 if quick else 1
    pixel, h = 25e-9, 50e-9
    print(f"operando inverse benchmark ({'quick' if quick else 'full'})")

    n = 1024 // s
    B, _ = field_map(n, pixel, h, 0.01)
    t_op, _ = timed(lambda: sheet_current_from_field(B, pixel, pixel, standoff=h, taper=0))
    t_unc, _ = timed(lambda: sheet_current_from_field(B, pixel, pixel, standoff=h,
                                                      noise_sigma=1e-9))
    t_np, _ = timed(lambda: plain_numpy_filter(B, pixel, h))
    print(f"Fourier J from B_z, {n}x{n}: operando {t_op:.3f} s (with noise map {t_unc:.3f} s); "
          f"plain numpy.fft {t_np:.3f} s; ratio {t_np / t_op:.2f}x  [target < 1 s]")

    n = 512 // s
    B, op = field_map(n, pixel, h, 0.02)
    sigma = 0.02 * np.abs(B).max()
    t0 = time.perf_counter()
    rec = solve_tikhonov(op, B, noise_sigma=sigma)
    t_tik = time.perf_counter() - t0
    d = rec.diagnostics
    print(f"Tikhonov (discrepancy) {n}x{n}: {t_tik:.2f} s, weight {rec.weight:.3g}, "
          f"{d['n_solves']} solves, residual/target {d['residual_over_target']:.3f}  "
          "[target < 30 s]")

    n = 128 // s
    B, op = field_map(n, pixel, h, 0.02)
    sigma = 0.02 * np.abs(B).max()
    lam = solve_tikhonov(op, B, noise_sigma=sigma).weight
    t0 = time.perf_counter()
    rec = solve_tikhonov(op, B, noise_sigma=sigma, weight=lam, rtol=1e-8, maxiter=300)
    t_ours = time.perf_counter() - t0
    ell = _penalty_symbol(op, "auto")

    def penalty(x):
        return op.model_ifft(ell * op.model_fft(x)).ravel()

    def objective(x):
        return np.sum((op.matvec(x) - B.ravel()) ** 2) + lam * np.dot(x, penalty(x))

    goal = objective(rec.model.ravel())
    normal = spla.LinearOperator((op.shape[1],) * 2, dtype=float,
                                 matvec=lambda x: op.rmatvec(op.matvec(x)) + lam * penalty(x))
    rhs = op.rmatvec(B.ravel())
    t0 = time.perf_counter()
    iters = 0
    for iters in (50, 100, 200, 400, 800, 1600, 3200):
        x = spla.cg(normal, rhs, rtol=1e-12, maxiter=iters)[0]
        if objective(x) <= goal * (1 + 1e-3):
            break
    t_cg = time.perf_counter() - t0
    print(f"Tikhonov fixed weight {n}x{n}: operando (circulant-preconditioned CG) {t_ours:.3f} s; "
          f"scipy CG without preconditioner on the same normal equations, {iters} iterations "
          f"(objective {objective(x) / goal:.4f}x operando's; restarts counted) {t_cg:.2f} s; "
          f"ratio {t_cg / t_ours:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller maps (smoke test)")
    main(parser.parse_args().quick)
