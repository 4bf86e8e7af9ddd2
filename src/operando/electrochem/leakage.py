"""Electronic leakage through the electrolyte: grain boundaries that also conduct electrons.

LLZO grain boundaries have a smaller band gap than the grains (Liu et al., Nat. Mater. 20, 1485
(2021)) and carry a small electronic current in parallel with the Li+ current — the leakage that
Han et al., Nat. Energy 4, 187 (2019) relate to dendrite growth. An electrolyte voxel whose
electronic conductivity is > 0 holds both an ionic and an electronic potential; the electrons
flow from the Li metal through the boundary network to the LixCoO2 and the collector without
reacting (no Li is deposited inside the electrolyte: nucleation there is outside this model), so
the leakage is a shunt across the cell: the terminal current is the reaction current plus it.

The charge system stores the electrodes' electronic potentials relative to their cluster (V on
the positive side) to keep metallic conductances from swamping the currents in round-off. The
leaky voxels join clusters of different references, so their faces act on absolute potentials;
their conductances are ~10¹⁰ times below the metal's, so nothing is lost to round-off.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy import ndimage

from .linsolve import solve_spd
from .operators import _pair, face_transmissibilities, laplacian


def split_leakage(trans, metal):
    """Electronic transmissibilities → (faces between two electrode voxels, faces with a leaky
    electrolyte voxel). ``metal`` is the (nz, ny, nx) mask of the electrode phases."""
    inner, leak = [], []
    for axis, t in enumerate(trans):
        lo, hi = _pair(axis)
        both = metal[lo] & metal[hi]
        inner.append(np.where(both, t, 0.0))
        leak.append(np.where(both, 0.0, t))
    return inner, leak


def connected_leak(leaky, terminals):
    """The leaky voxels whose face-connected cluster touches an electrode or the collector
    (``terminals``); isolated boundary islands carry no leakage and have no defined potential."""
    labels, n = ndimage.label(leaky)
    if n == 0:
        return leaky
    touching = np.unique(labels[ndimage.binary_dilation(terminals) & leaky])
    return np.isin(labels, touching[touching > 0])


def initial_leak_potentials(system, x_full, phe, V):
    """Electronic potentials of the leaky voxels at steady leakage, the electrodes' ``phe``
    (physical, V) and the collector at ``V`` held fixed: a Newton start that the damped steps
    need not walk to across a volt or more."""
    leak = system.leak_e
    if not leak.any():
        return phe
    out = phe.copy()
    trans = face_transmissibilities(system.sigma_e(x_full), system.spacing)
    L = laplacian(system.ie, system.ne, split_leakage(trans, system.metal)[1])
    Lll = L[leak][:, leak]
    rhs = -(L[leak][:, ~leak] @ phe[~leak])
    sig = system.sigma_e(x_full).ravel()
    sel = system.pos_abs > 0
    diag = np.zeros(system.ne)
    contact = system.pos_geom[sel] * sig[system.pos_vox[sel]]
    np.add.at(diag, system.ie.ravel()[system.pos_vox[sel]], contact)
    rhs += V * diag[leak]
    out[leak] = solve_spd(Lll + sp.diags(diag[leak]), rhs)
    return out
