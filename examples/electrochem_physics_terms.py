"""The size of each electrochemical term on the demo's cell, at the paper's current densities.

Prints, for the 3-D demo cell (8 layers of 500 nm, cubic garnet; Pollok et al., Nat. Commun.
2025): the staircase's overstatement of the reacting surface (voxel faces / true area, per
electrode), the share of the nominal current that leaks electronically through the LLZO grain
boundaries in the first second of a charge at 0.09, 0.94, 4.70 and 23.5 mA/cm² (C/10, 1C, 5C,
25C of the paper), and the Li+ transference number σ_ion/(σ_e + σ_ion) of LixCoO2 over x.

    .venv/bin/python examples/electrochem_physics_terms.py            # ~2 min
    .venv/bin/python examples/electrochem_physics_terms.py --gb 3.16e-8   # GB σ_e in S/cm
"""

from __future__ import annotations

import argparse

import numpy as np

from operando.cell import presets
from operando.electrochem import ChargeModel, Galvanostatic, charge
from operando.electrochem.model import ELECTROLYTE
from operando.electrochem.system import ChargeSystem
from operando.materials import lixcoo2

PAPER_CURRENT_DENSITIES = (0.09, 0.94, 4.70, 23.5)  # mA/cm², seed 000 L137 and L152


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=None,
                        help="grain-boundary voxel electronic conductivity, S/cm (default: data)")
    args = parser.parse_args()
    garnet = {"llzo": "LLZO_cubic", "llzo_gb": "LLZO_cubic_GB", "cap": "LLZO_cubic"}
    cell = presets.pollok2025(voxel=500e-9, nz=8, seed=0, dendrite=False, material_of=garnet)
    model = ChargeModel.from_cell(cell)
    gb = (model.phase == ELECTROLYTE) & (model.sigma_e > 0)
    if args.gb is not None:
        model = ChargeModel.from_cell(cell, sigma_e=np.where(gb, args.gb * 100, model.sigma_e))
    print(f"cell {cell.grid.shape}, grain-boundary voxel σ_e = "
          f"{np.unique(model.sigma_e[gb]) / 100} S/cm in {gb.sum()} voxels")
    system = ChargeSystem(model)
    faces = system.r_area / system.r_weight
    for name, sel in (("LixCoO2", system.r_cat), ("Li metal", ~system.r_cat)):
        print(f"{name:9s}|LLZO: voxel faces / true area = {faces[sel].sum() / system.r_area[sel].sum():.3f}")
    for j in PAPER_CURRENT_DENSITIES:
        ds = charge(model, Galvanostatic(current_density=10 * j, duration=1.0, save_every=1.0,
                                         v_max=5.5), progress=False)
        react = ds.reaction_current.isel(t=-1).values * model.grid.voxel_volume
        share = 1 - np.nansum(react[model.cathode]) / ds.current.values[-1]
        print(f"{j:6.2f} mA/cm²: V = {ds.cell_voltage.values[-1]:.3f} V, "
              f"grain-boundary leakage {100 * share:.2f} % of the current")
    x = np.linspace(0.5, 1.0, 11)
    si, se = lixcoo2.ionic_conductivity(x), lixcoo2.electronic_conductivity(x)
    print("LixCoO2 x:      " + " ".join(f"{v:8.2f}" for v in x))
    print("t_ion of Li+:   " + " ".join(f"{v:8.1e}" for v in si / (si + se)))


if __name__ == "__main__":
    main()
