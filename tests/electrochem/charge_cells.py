"""Hand-built cells and a simple LixCoO2 law for the charge-solver tests."""

import numpy as np

from operando.electrochem.model import CATHODE, COLLECTOR, ELECTROLYTE, NEGATIVE, ChargeModel
from operando.grid import Grid


class LinearLCO:
    """LixCoO2 stand-in with constant D and σ_e and a linear OCP (closed forms stay simple)."""

    def __init__(self, diffusivity=1e-14, sigma_e=10.0, cmax=5e4):
        self.d, self.se, self.cmax = diffusivity, sigma_e, cmax

    def ocp(self, x):
        return 4.2 - 0.5 * (np.asarray(x, dtype=float) - 0.5)

    def diffusivity(self, x):
        return np.full(np.shape(x), self.d)

    def electronic_conductivity(self, x):
        return np.full(np.shape(x), self.se)

    def max_concentration(self):
        return self.cmax


class MixedLCO(LinearLCO):
    """LinearLCO that also conducts Li+ (a mixed conductor with constant σ_ion)."""

    def __init__(self, sigma_ion=10.0, **kw):
        super().__init__(**kw)
        self.si = sigma_ion

    def ionic_conductivity(self, x):
        return np.full(np.shape(x), self.si)


def layered_cell(
    layers,
    ny=3,
    nz=1,
    spacing=1e-7,
    sigma_li=1e5,
    sigma_el=1e-2,
    sigma_coll=1e7,
    x0=0.95,
    lco=None,
    **kw,
):
    """Cell uniform in y and z made of ``layers = [(code, n_voxels), ...]`` along x."""
    codes = np.concatenate([np.full(n, c) for c, n in layers])
    phase = np.broadcast_to(codes, (nz, ny, codes.size)).copy()
    grid = Grid(phase.shape, spacing)
    sigma_e = np.select([phase == NEGATIVE, phase == COLLECTOR], [sigma_li, sigma_coll], 0.0)
    sigma_i = np.where(phase == ELECTROLYTE, sigma_el, 0.0)
    x_init = np.where(phase == CATHODE, x0, np.nan)
    return ChargeModel(grid, phase, sigma_e, sigma_i, x_init, lco=lco or LinearLCO(), **kw)


def composite_cell(seed=0, ny=12, nx=26, spacing=2e-7, lco=None):
    """Li | electrolyte | random composite of LixCoO2 blocks in electrolyte | collector (2-D)."""
    rng = np.random.default_rng(seed)
    phase = np.full((1, ny, nx), ELECTROLYTE)
    phase[..., :2] = NEGATIVE
    phase[..., -1] = COLLECTOR
    blocks = rng.random((ny // 2, (nx - 11) // 2)) < 0.7
    comp = np.kron(blocks, np.ones((2, 2), dtype=bool))
    region = phase[0, : comp.shape[0], 10 : 10 + comp.shape[1]]
    region[comp] = CATHODE
    phase[0, :, -3:-1] = CATHODE  # a backbone along the collector
    pid = np.where(phase == CATHODE, 0, -1)
    grid = Grid(phase.shape, spacing)
    sigma_e = np.select([phase == NEGATIVE, phase == COLLECTOR], [1e7, 4e7], 0.0)
    sigma_i = np.where(phase == ELECTROLYTE, 1e-2, 0.0)
    x_init = np.where(phase == CATHODE, 0.97, np.nan)
    return ChargeModel(grid, phase, sigma_e, sigma_i, x_init, particle_id=pid, lco=lco)
