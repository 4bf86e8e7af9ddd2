"""NMR speed: the BMS shift field against a direct dipole sum, and MAS sidebands against mrsimulator.

1. Shift field of a 128³ cell for one B0 direction (operando's exact voxel kernels + pruned FFTs),
   timed in full. The direct sum of point dipoles over every voxel pair is timed on a subsample of
   observer voxels, its cost per pair EXTRAPOLATED to the full problem (hours); both are compared
   on far-field observers, where the dipole sum is exact to the voxels' size.
2. MAS spinning sidebands of the same tensors: operando (powder average over rotor axes) against
   mrsimulator (one site per tensor) on ``--sites`` tensors, same rate and field, intensities
   compared; then operando alone on the MAS spectrum of a 10⁶-voxel cell.

    python benchmarks/bench_nmr.py            # full problem
    python benchmarks/bench_nmr.py --quick    # 48³ cell, fewer sites
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from operando.cell.cell import Cell
from operando.grid import Grid
from operando.magnetics import volume
from operando.magnetics.volume import _octant  # cleared between timings
from operando.nmr import cell_spectrum, mas


def direct_dipole_shift(chi, grid, b, observers):
    """δ at ``observers`` (index arrays) from point dipoles at every magnetized voxel centre."""
    k, j, i = np.nonzero(chi)
    src = np.stack([grid.x[i], grid.y[j], grid.z[k]], 1)
    m = chi[k, j, i] * grid.voxel_volume  # dipole per unit applied H, along b
    ok, oj, oi = observers
    out = np.empty(ok.size)
    for n, (a, c, d) in enumerate(zip(ok, oj, oi, strict=True)):  # one observer at a time: O(N) memory
        r = np.array([grid.x[d], grid.y[c], grid.z[a]]) - src
        rn = np.linalg.norm(r, axis=1)
        rn[rn == 0] = np.inf
        out[n] = np.sum(m * (3 * (r @ b) ** 2 / rn**5 - 1 / rn**3)) / (4 * np.pi)
    return out


def bench_shift(n, n_obs, rng):
    grid = Grid((n, n, n), 1e-6)
    chi = np.zeros(grid.shape)
    c = n // 2
    chi[c - n // 4: c + n // 4, c - n // 8: c + n // 8, c - n // 4: c + n // 4] = 1.37e-5  # a Li block
    b = np.array([0.3, 0.2, 0.93])
    b /= np.linalg.norm(b)
    _octant.cache_clear()
    t0 = time.perf_counter()
    ours = volume.field_shift_in_volume(chi, grid, b, lorentz=False) - chi
    t_op = time.perf_counter() - t0
    # far observers: the outer shell, at least n/8 voxels from the block
    shell = np.zeros(grid.shape, bool)
    shell[: n // 16], shell[-n // 16:] = True, True
    idx = np.array(np.nonzero(shell))
    pick = idx[:, rng.choice(idx.shape[1], n_obs, replace=False)]
    t0 = time.perf_counter()
    ref = direct_dipole_shift(chi, grid, b, tuple(pick))
    t_sub = time.perf_counter() - t0
    n_src = np.count_nonzero(chi)
    t_direct = t_sub / n_obs * grid.shape[0] ** 3  # every voxel an observer
    err = np.abs(ours[tuple(pick)] - ref).max() / np.abs(ref).max()
    print(f"BMS shift field, {n}^3 voxels ({n_src} magnetized), one B0 direction")
    print(f"  operando (exact cuboid kernels, FFT)   {t_op:8.2f} s")
    print(f"  direct dipole sum, extrapolated        {t_direct:8.0f} s  (measured on {n_obs} observers)")
    print(f"  ratio                                  {t_direct / t_op:8.0f} x   far-field agreement {err:.1e}")


def bench_cell_mas(n_cell):
    g = Grid((n_cell, n_cell, n_cell), 1e-6)
    labels = np.full(g.shape, 2, np.int8)  # LLZO with a Li electrode and a dendrite sheet
    labels[:, :, : n_cell // 5] = 1
    labels[n_cell // 4: 3 * n_cell // 4, n_cell // 2 - 1: n_cell // 2 + 1, n_cell // 5: 4 * n_cell // 5] = 5
    cell = Cell(g, labels)
    t0 = time.perf_counter()
    cell_spectrum(cell, "7Li", spectrometer=600e6, rate=25e3)
    t_cell = time.perf_counter() - t0
    print(f"MAS spectrum (25 kHz, 7Li at 600 MHz) of a {g.shape} = {labels.size:.0e}-voxel cell: {t_cell:.2f} s "
          "(BMS tensors, skin-depth weights, sidebands of every voxel)")


def bench_mas(n_sites, rng):
    try:
        from mrsimulator import Simulator, Site, SpinSystem
        from mrsimulator.method.lib import BlochDecaySpectrum
        from mrsimulator.spin_system.tensors import SymmetricTensor
    except ImportError:
        print("mrsimulator not installed (pip install 'operando[nmr]'): sideband comparison skipped")
        return
    b0, rate = 9.4, 5000.0
    nu0 = 9.4 * 10.7084e6  # 13C, Hz
    zeta = rng.uniform(10, 60, n_sites)
    eta = rng.uniform(0, 1, n_sites)
    tensors = np.stack([mas.tensor_from_principal(0.0, z, e) for z, e in zip(zeta, eta, strict=True)], 1)
    t0 = time.perf_counter()
    k, inten = mas.sideband_intensities(tensors, nu0, rate, mas.powder_axes(1000))
    t_op = time.perf_counter() - t0
    sites = [Site(isotope="13C", isotropic_chemical_shift=0.0, shielding_symmetric=SymmetricTensor(zeta=-z, eta=e))
             for z, e in zip(zeta, eta, strict=True)]
    method = BlochDecaySpectrum(channels=["13C"], magnetic_flux_density=b0, rotor_frequency=rate,
                                spectral_dimensions=[dict(count=4096, spectral_width=80000.0)])
    sim = Simulator(spin_systems=[SpinSystem(sites=[s]) for s in sites], methods=[method])
    sim.config.integration_density = 70
    sim.config.number_of_sidebands = 32
    t0 = time.perf_counter()
    sim.run()
    t_mr = time.perf_counter() - t0
    hz = sim.methods[0].simulation.x[0].coordinates.value * 1e-6 * nu0
    y = sim.methods[0].simulation.y[0].components[0].real
    orders = np.arange(-5, 6)
    ref = np.array([y[np.abs(hz - q * rate) < rate / 2].sum() for q in orders])
    ours = np.array([inten[:, k == q].sum() for q in orders])
    diff = np.abs(ours / ours.sum() - ref / ref.sum()).max()
    print(f"MAS sidebands of {n_sites} shift tensors (powder), 13C at {b0} T, {rate / 1e3:g} kHz")
    print(f"  operando                               {t_op:8.2f} s")
    print(f"  mrsimulator                            {t_mr:8.2f} s")
    print(f"  ratio                                  {t_mr / t_op:8.2f} x   max intensity difference {diff:.1e}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problem for a fast check")
    parser.add_argument("--sites", type=int, default=None, help="tensors in the mrsimulator comparison")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(f"{os.cpu_count()} CPU cores")
    bench_shift(48 if args.quick else 128, 20 if args.quick else 40, rng)
    bench_mas(args.sites or (20 if args.quick else 200), rng)
    bench_cell_mas(40 if args.quick else 100)


if __name__ == "__main__":
    main()
