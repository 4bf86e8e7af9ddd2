"""The capping layer over buried features is LLZO for the charge model as for the magnetic one."""

import numpy as np

from operando import materials
from operando.cell import presets
from operando.electrochem import ChargeModel
from operando.electrochem.model import ELECTROLYTE
from operando.electrochem.system import ChargeSystem


def test_cap_conducts_li_ions_and_reacts_with_the_particles_it_buries():
    cell = presets.pollok2025(voxel=500e-9, nz=8, dendrite=False)
    cap = cell.mask("cap")
    assert cap.any()
    model = ChargeModel.from_cell(cell)
    assert (model.phase[cap] == ELECTROLYTE).all()
    sigma = materials.get(cell.material_of["cap"]).value("ionic_conductivity")
    np.testing.assert_allclose(model.sigma_i[cap], sigma)
    # buried LixCoO2 meets the cap: those faces now carry the reaction
    system = ChargeSystem(model)
    in_cap = cap.ravel()[system.r_vox_i]
    assert in_cap[system.r_cat].sum() > 0
