"""Shared simulated sources for the reconstruction tests (exact voxel engines of magnetics)."""

import numpy as np
import pytest

from operando import Grid
from operando.magnetics import oersted_field_from_current, stray_field_from_magnetization

N, PIXEL, THICK, STANDOFF = 96, 25e-9, 10e-9, 50e-9
MARGIN = 10  # pixels excluded along every edge when comparing with the truth


def gaussian_loops(grid, loops):
    """Divergence-free in-plane J (2, ny, nx) from Gaussian stream functions (x0, y0, s, amp)."""
    Y, X = np.meshgrid(grid.y - grid.y.mean(), grid.x - grid.x.mean(), indexing="ij")
    J = np.zeros((2, grid.ny, grid.nx))
    for x0, y0, s, a in loops:
        g = a * np.exp(-((X - x0) ** 2 + (Y - y0) ** 2) / (2 * s**2))
        J[0] += -(Y - y0) / s**2 * g
        J[1] += (X - x0) / s**2 * g
    return J


def gaussian_blobs(grid, blobs):
    Y, X = np.meshgrid(grid.y - grid.y.mean(), grid.x - grid.x.mean(), indexing="ij")
    return sum(a * np.exp(-((X - x0) ** 2 + (Y - y0) ** 2) / (2 * s**2)) for x0, y0, s, a in blobs)


@pytest.fixture(scope="session")
def current_case():
    """A thin layer (10 nm) carrying two counter-rotating current loops; B at 50 nm."""
    grid = Grid((1, N, 2 * N // 3 * 2), (THICK, PIXEL, 0.75 * PIXEL))  # dy != dx on purpose
    J2 = gaussian_loops(grid, [(-150e-9, 50e-9, 200e-9, 1e3), (250e-9, -200e-9, 140e-9, -600.0)])
    J = np.zeros((3, 1, grid.ny, grid.nx))
    J[:2, 0] = J2
    B = oersted_field_from_current(J, grid, STANDOFF)[:, 0]
    return {"grid": grid, "J": J2, "B": B, "h": STANDOFF}


@pytest.fixture(scope="session")
def magnetization_case():
    """A 20 nm layer magnetized along z (smooth blobs, unidirectional moments); B at 50 nm."""
    grid = Grid((1, N, N), (20e-9, PIXEL, PIXEL))
    Mz = gaussian_blobs(grid, [(-150e-9, 50e-9, 220e-9, 1e3), (300e-9, -250e-9, 150e-9, 600.0)])
    M = np.zeros((3, 1, N, N))
    M[2, 0] = Mz
    B = stray_field_from_magnetization(M, grid, STANDOFF)[:, 0]
    return {"grid": grid, "M": Mz, "B": B, "h": STANDOFF}
