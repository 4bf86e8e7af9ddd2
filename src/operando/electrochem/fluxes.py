"""Face currents of a solved state and the current-density vectors at voxel centres.

Every face of the grid (outer faces included, ``n_a + 1`` along each axis) carries one of: an
electronic ohmic current, an ionic ohmic current, a reaction current (electrode → electrolyte),
a contact current (negative terminal at x = 0, positive terminal / collector) or nothing. Their
sum is divergence-free voxel by voxel when the Newton residual vanishes.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .linsolve import solve_spd
from .model import COLLECTOR
from .operators import (
    boundary_transmissibility,
    centre_vectors,
    face_fluxes,
    face_transmissibilities,
    index_map,
    laplacian,
    pad_faces,
)


def _scatter_faces(shape, lower_voxel, axis, values):
    """Face arrays (padded, ``n_a + 1``) holding ``values`` on the faces above ``lower_voxel``."""
    out = [np.zeros(tuple(n + (a == ax) for a, n in enumerate(shape))) for ax in range(3)]
    idx = np.unravel_index(lower_voxel, shape)
    for ax in range(3):
        sel = axis == ax
        if sel.any():
            pos = [i[sel] for i in idx]
            pos[ax] = pos[ax] + 1
            np.add.at(out[ax], tuple(pos), values[sel])
    return out


def state_fluxes(system, u, V, i_face):
    """Face currents (A) of a solved state: {electronic, ionic, reaction} → 3 face arrays."""
    m = system.model
    shape = m.phase.shape
    # electrode faces never join two electronic clusters, so differences of ψ (φ_e − V on the
    # positive side) give their currents without cancelling against the terminal voltage
    _, phi, _ = system.split(u)
    phe = system.psi(u)
    phe_full = np.full(shape, np.nan)
    phe_full[system.elec] = phe
    phi_full = np.full(shape, np.nan)
    phi_full[system.ion] = phi
    elec = face_fluxes(phe_full, system.Te)
    if system.leak.any():  # leakage faces join clusters: physical potentials
        phys = np.full(shape, np.nan)
        phys[system.elec] = system.phi_e(u, V)
        elec = [f + g for f, g in zip(elec, face_fluxes(phys, system.Tleak), strict=True)]
    elec = [pad_faces(f, ax) for ax, f in enumerate(elec)]
    ti = face_transmissibilities(np.where(system.ion, m.sigma_i, 0.0), system.spacing)
    # Li+ current: in the electrolyte, and by migration inside the LixCoO2 particles
    ionic = [
        pad_faces(f + g, ax)
        for ax, (f, g) in enumerate(
            zip(face_fluxes(phi_full, ti), face_fluxes(phe_full, system.Tmig), strict=True)
        )
    ]
    # reaction: current i A flows from the electrode voxel into the electrolyte voxel
    lower = np.where(system.r_low, system.r_vox_e, system.r_vox_i)
    signed = np.where(system.r_low, 1.0, -1.0) * i_face * system.r_area
    reaction = _scatter_faces(shape, lower, system.r_axis, signed)
    # negative contact on the x = 0 face: the outflow t φ leaves along −x
    neg = np.zeros(shape)
    np.add.at(neg.reshape(-1), system.neg_vox, -system.t_neg * phe[system.e_neg])
    elec[2][:, :, 0] += neg[:, :, 0]
    # positive contact: outflow t (φ − V) from the electrode voxel into the collector / outer face
    out_pos = system.t_pos * system.contact_drop(u, V)
    coll = m.phase == COLLECTOR
    if system.pos_coll[0] >= 0:
        upper = system.pos_coll
        e_low = _lower_is_electrode(system.pos_vox, upper, system.pos_axis, shape)
        lower = np.where(e_low, system.pos_vox, upper)
        contact = _scatter_faces(shape, lower, system.pos_axis, np.where(e_low, out_pos, -out_pos))
        coll_faces = _collector_faces(system, coll, system.pos_coll, out_pos)
        for ax in range(3):
            elec[ax] += contact[ax] + coll_faces[ax]
    else:
        layer = np.zeros(shape)
        np.add.at(layer.reshape(-1), system.pos_vox, out_pos)
        elec[2][:, :, -1] += layer[:, :, -1]
    return {"electronic": elec, "ionic": ionic, "reaction": reaction}


def _lower_is_electrode(vox_e, vox_c, axis, shape):
    ie = np.unravel_index(vox_e, shape)
    ic = np.unravel_index(vox_c, shape)
    return np.choose(axis, ie) < np.choose(axis, ic)


def _collector_faces(system, coll, coll_vox, inflow):
    """Ohmic currents inside the collector fed by ``inflow`` (A) from the electrode faces and
    drained at its x = Lx face (the external lead); zero faces if it does not reach x = Lx."""
    m = system.model
    shape = m.phase.shape
    zero = [np.zeros(tuple(n + (a == ax) for a, n in enumerate(shape))) for ax in range(3)]
    sig = np.where(coll, m.sigma_e, 0.0)
    t_b = boundary_transmissibility(sig, system.spacing, 2, "high")
    if not (t_b > 0).any():
        return zero
    idx, n = index_map(coll)
    trans = face_transmissibilities(sig, system.spacing)
    lead = idx[:, :, -1][t_b > 0]
    diag = np.zeros(n)
    np.add.at(diag, lead, t_b[t_b > 0])
    q = np.zeros(n)
    np.add.at(q, idx.reshape(-1)[coll_vox], inflow)
    psi = solve_spd(laplacian(idx, n, trans) + sp.diags(diag), q)
    psi_full = np.full(shape, np.nan)
    psi_full[coll] = psi
    faces = [pad_faces(f, ax) for ax, f in enumerate(face_fluxes(psi_full, trans))]
    out = np.zeros(shape[:2])
    out[t_b > 0] = t_b[t_b > 0] * psi[lead]
    faces[2][:, :, -1] += out
    return faces


def centre_currents(system, faces):
    """J_e and J_ion (3, nz, ny, nx), A/m², from the face currents of :func:`state_fluxes`
    (J_ion includes the Li+ migration current inside LixCoO2)."""
    sp_ = system.spacing
    m = system.model
    both = [faces["electronic"][a] + faces["reaction"][a] for a in range(3)]
    je = centre_vectors(both, sp_) * (system.metal | (m.phase == COLLECTOR))
    je += centre_vectors(faces["electronic"], sp_) * system.leak  # leakage in the electrolyte
    both = [faces["ionic"][a] + faces["reaction"][a] for a in range(3)]
    ji = centre_vectors(both, sp_) * system.ion
    ji += centre_vectors(faces["ionic"], sp_) * system.cat  # Li+ migration in LixCoO2
    return je, ji


def total_faces(faces):
    """Total face current (A) along each axis: electronic + ionic + reaction."""
    return [faces["electronic"][a] + faces["ionic"][a] + faces["reaction"][a] for a in range(3)]
