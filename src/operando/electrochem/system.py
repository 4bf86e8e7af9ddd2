"""The discrete charge system: unknown numbering, residual, Jacobian and face fluxes.

Unknowns ``u = [φ_e (electronic voxels), φ_i (electrolyte voxels), x (LixCoO2 voxels)]`` and the
terminal voltage ``V``. Every residual is a current (A) so one Newton tolerance fits all rows:

    R_e = Σ T_e (φ_e,a − φ_e,b) + Σ_contacts T_c (φ_e − V_c) + Σ_reaction i A        (electronic)
    R_i = Σ T_i (φ_i,a − φ_i,b) − Σ_reaction i A                                   (ionic)
    R_x = F c_max V_vox (x − x_old)/Δt + F c_max Σ T_D (x_a − x_b)
          + Σ T_mig (φ_e,a − φ_e,b) + Σ_reaction i A                                   (lithium)
    R_V = Σ_pos T_c (V − φ_e) − I     (galvanostatic)    or    V − V_set    (constant voltage)

with V_c = 0 at the negative contact and V at the positive one. In LixCoO2, T_e includes the Li+
migration conductance T_mig (σ_ion(x), a mixed conductor: see solver), which also moves lithium.
Electrolyte voxels with an electronic conductivity (grain boundaries, ``leakage``) hold a φ_e too.
A is the true interface area of the face (voxel-face area × ``r_weight``). σ_e(x), σ_ion(x) and
D(x) are taken at the start of the step (lagged), the kinetics and U(x) are implicit. The current
collector is the equipotential positive terminal: its conductivity is ~10⁹ times that of the
electrode, so it is not an unknown of the Newton system (its current density is recovered
afterwards, see solver).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .kinetics import FARADAY, face_current, thermal_factor
from .leakage import connected_leak, split_leakage
from .model import CATHODE, COLLECTOR, ELECTROLYTE, NEGATIVE, REACTIVE
from .operators import _pair, face_area, face_transmissibilities, index_map, laplacian


def _faces_between(mask_a, mask_b, axis):
    """Flat indices (into the padded-free voxel arrays) of faces along ``axis`` joining a and b.

    Returns (voxel_in_a, voxel_in_b, a_is_low) as flat C-order voxel indices and orientation.
    """
    lo, hi = _pair(axis)
    shape = mask_a.shape
    flat = np.arange(np.prod(shape)).reshape(shape)
    out_a, out_b, low = [], [], []
    for a_low in (True, False):
        sel = (mask_a[lo] & mask_b[hi]) if a_low else (mask_b[lo] & mask_a[hi])
        va = (flat[lo] if a_low else flat[hi])[sel]
        vb = (flat[hi] if a_low else flat[lo])[sel]
        out_a.append(va)
        out_b.append(vb)
        low.append(np.full(va.size, a_low))
    return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(low)


class ChargeSystem:
    """Precomputed geometry of a :class:`ChargeModel` and its Newton residual/Jacobian."""

    def __init__(self, model):
        self.model = model
        g = model.grid
        self.spacing = g.spacing
        ph = model.phase
        self.metal = np.isin(ph, (NEGATIVE, 2, CATHODE))  # collector excluded: it is the terminal
        self.ion = ph == ELECTROLYTE
        # electrolyte voxels that also conduct electrons (grain boundaries): both potentials
        self.leak = connected_leak(
            self.ion & (model.sigma_e > 0), self.metal | (ph == COLLECTOR)
        )
        self.elec = self.metal | self.leak
        self.cat = ph == CATHODE
        self.ie, self.ne = index_map(self.elec)
        self.ii, self.ni = index_map(self.ion)
        self.il, self.nl = index_map(self.cat)
        self.n = self.ne + self.ni + self.nl
        self.f = thermal_factor(model.temperature)
        self.cmax = model.max_concentration()
        self.vvox = g.voxel_volume
        self.Li = laplacian(
            self.ii,
            self.ni,
            face_transmissibilities(np.where(self.ion, model.sigma_i, 0), g.spacing),
        )
        self._reaction_faces()
        self._contacts()
        # electronic unknowns wired to the positive terminal are stored relative to V
        # (φ_e = V + ψ): metal-like conductances times absolute potentials of ~4 V would
        # otherwise swamp the current in round-off
        labels, _, terminal = model.electronic_clusters()
        lab_e = labels[self.elec]
        self.pos_e = np.isin(lab_e, np.unique(labels[terminal]))
        self.r_pos = self.pos_e[self.r_e]
        # floating clusters (isolated particles, inclusions, a detached dendrite): the first voxel's
        # slot holds the cluster potential, the others their offset from it (same reason)
        neg_ids = model.electronic_clusters()[1]
        self.leak_e = self.leak[self.elec]  # leaky voxels hold absolute potentials (label 0)
        floating = ~self.pos_e & ~np.isin(lab_e, neg_ids) & ~self.leak_e
        ids, first = np.unique(lab_e[floating], return_index=True)
        where = np.nonzero(floating)[0]
        self.anchors = where[first]
        self.anchor_of = np.full(self.ne, -1)
        self.anchor_of[where] = self.anchors[np.searchsorted(ids, lab_e[where])]
        keep = np.ones(self.ne)
        keep[self.anchors] = 0.0
        rows = np.concatenate([np.arange(self.ne), where])
        cols = np.concatenate([np.arange(self.ne), self.anchor_of[where]])
        vals = np.concatenate([keep, np.ones(where.size)])
        P = sp.csr_matrix((vals, (rows, cols)), shape=(self.ne, self.ne))
        self.Z = sp.diags(keep)
        self.Pe = P  # cluster-relative unknowns → physical φ_e (without the V of the positive side)
        self.P = sp.block_diag((P, sp.identity(self.ni + self.nl)), format="csr")
        pid = model.particle_id
        self.pid = np.where(self.cat, pid if pid is not None else 0, -1)
        # electronic unknowns of LixCoO2 → lithium rows (nl × ne selection)
        cat_e = self.ie[self.cat]
        self.to_x = sp.csr_matrix(
            (np.ones(self.nl), (np.arange(self.nl), cat_e)), shape=(self.nl, self.ne)
        )

    # geometry ----------------------------------------------------------------------------------
    def _reaction_faces(self):
        m = self.model
        va, vb, axes, low = [], [], [], []
        for axis in range(3):
            a, b, lo = _faces_between(np.isin(m.phase, REACTIVE), self.ion, axis)
            va.append(a)
            vb.append(b)
            low.append(lo)
            axes.append(np.full(a.size, axis))
        self.r_vox_e, self.r_vox_i = np.concatenate(va), np.concatenate(vb)
        self.r_axis, self.r_low = np.concatenate(axes), np.concatenate(low)
        flat_phase = m.phase.ravel()
        self.r_e = self.ie.ravel()[self.r_vox_e]
        self.r_i = self.ii.ravel()[self.r_vox_i]
        self.r_l = self.il.ravel()[self.r_vox_e]  # −1 for Li metal / dendrite faces
        self.r_cat = flat_phase[self.r_vox_e] == CATHODE
        sp_arr = np.asarray(self.spacing)
        #: true interface area each reaction face stands for (m²): its voxel-face area times the
        #: staircase correction of ``operando.cell.interface_area`` (1 when switched off)
        self.r_weight = self._area_weights() if m.true_interface_area else np.ones(self.r_axis.size)
        self.r_area = np.array([face_area(self.spacing, a) for a in range(3)])[self.r_axis]
        self.r_area = self.r_area * self.r_weight
        # the half-voxel resistors carry the face's current, i·(w A), through the face's own
        # cross-section A: per unit of true area their resistance is w r
        self.r_half = 0.5 * sp_arr[self.r_axis] * self.r_weight
        self.r_i0 = np.where(self.r_cat, m.i0_cathode, m.i0_anode)
        self.r_sigma_i = m.sigma_i.ravel()[self.r_vox_i]

    def _area_weights(self):
        """True area / voxel-face area of each reaction face, from the electrodes' outline."""
        from ..cell.interface_area import face_area_weights

        weights = face_area_weights(np.isin(self.model.phase, REACTIVE), self.spacing)
        lower = np.where(self.r_low, self.r_vox_e, self.r_vox_i)
        idx = np.unravel_index(lower, self.model.phase.shape)
        out = np.ones(lower.size)
        for axis in range(3):
            sel = self.r_axis == axis
            out[sel] = weights[axis][tuple(i[sel] for i in idx)]
        return out

    def _contacts(self):
        """Negative contact: Li metal on the x = 0 face; positive: collector faces or x = Lx."""
        m = self.model
        sp_arr = np.asarray(self.spacing)
        flat = np.arange(m.phase.size).reshape(m.phase.shape)
        neg = flat[:, :, 0][m.phase[:, :, 0] == NEGATIVE]
        _, _, terminal = m.electronic_clusters()
        coll = m.phase == COLLECTOR
        pos_v, pos_axis, pos_coll = [], [], []
        if coll.any():
            for axis in range(3):
                a, c, _ = _faces_between(self.elec, coll, axis)
                pos_v.append(a)
                pos_coll.append(c)
                pos_axis.append(np.full(a.size, axis))
        else:
            layer = flat[:, :, -1][terminal[:, :, -1]]
            pos_v.append(layer)
            pos_coll.append(np.full(layer.size, -1))
            pos_axis.append(np.full(layer.size, 2))
        self.neg_vox = neg
        self.pos_vox = np.concatenate(pos_v)
        # leaky electrolyte touching the collector: contact current t (φ − V) on absolute φ
        self.pos_abs = self.leak.ravel()[self.pos_vox] * 1.0
        self.pos_coll = np.concatenate(pos_coll)
        self.pos_axis = np.concatenate(pos_axis)
        if self.pos_vox.size == 0:
            from ..errors import InputError

            raise InputError(
                "phase: no electronic conductor touches the current collector / the x = Lx face "
                "(no positive contact)"
            )
        area = np.array([face_area(self.spacing, a) for a in range(3)])
        self.neg_geom = area[2] / (0.5 * sp_arr[2])
        self.pos_geom = area[self.pos_axis] / (0.5 * sp_arr[self.pos_axis])

    # per-step operators -------------------------------------------------------------------
    def sigma_e(self, x_full):
        """Electronic conductivity map (S/m) with LixCoO2 at content ``x_full``."""
        s = np.where(self.elec & ~self.cat, self.model.sigma_e, 0.0)
        s[self.cat] = self.model.lco.electronic_conductivity(np.clip(x_full[self.cat], 0, 1))
        return s

    def sigma_ion_lco(self, x_full):
        """Li+ conductivity map (S/m) of the LixCoO2 voxels at content ``x_full`` (0 elsewhere, and
        everywhere when the LixCoO2 law has no ``ionic_conductivity``)."""
        s = np.zeros(self.model.phase.shape)
        law = getattr(self.model.lco, "ionic_conductivity", None)
        if law is not None and self.nl:
            s[self.cat] = law(np.clip(x_full[self.cat], 0, 1))
        return s

    def _within_particles(self, trans):
        """Zero the LixCoO2 transmissibilities across particle boundaries (Li stays inside)."""
        for axis in range(3):
            lo, hi = _pair(axis)
            trans[axis] = np.where(self.pid[lo] == self.pid[hi], trans[axis], 0.0)
        return trans

    def prepare(self, x_full, dt):
        """Lagged operators at the start of a step: T_e, T_D, Li+ migration, contacts,
        half-voxel resistances."""
        sig = self.sigma_e(x_full)
        # faces with a leaky voxel act on absolute potentials, the others on cluster-relative ones
        self.Te, self.Tleak = split_leakage(face_transmissibilities(sig, self.spacing), self.metal)
        sig_mig = self.sigma_ion_lco(x_full)
        # Li+ migration in LixCoO2 (mixed conduction, see solver): a charge current in parallel
        # with the electrons' that also moves lithium
        self.Tmig = self._within_particles(face_transmissibilities(sig_mig, self.spacing))
        Lmig = laplacian(self.ie, self.ne, self.Tmig)
        self.Le = laplacian(self.ie, self.ne, self.Te) + Lmig
        Lleak = laplacian(self.ie, self.ne, self.Tleak)
        self.Lleak_phys = Lleak @ self.Pe  # ∂/∂(unknowns) of Lleak φ_e
        self.b_leak = Lleak @ self.pos_e.astype(float)  # ∂/∂V of Lleak φ_e
        self.Mmig = self.to_x @ Lmig  # Li+ outflow (A) of each LixCoO2 voxel by migration
        d = np.where(self.cat, 0.0, 0.0)
        d[self.cat] = self.model.lco.diffusivity(np.clip(x_full[self.cat], 0, 1))
        self.TD = self._within_particles(face_transmissibilities(d, self.spacing))
        self.Ld = laplacian(self.il, self.nl, self.TD)
        sflat = sig.ravel() + sig_mig.ravel()  # both carriers reach the reacting face
        self.r_res = self.r_half / sflat[self.r_vox_e] + self.r_half / self.r_sigma_i
        sflat = sig.ravel()
        self.t_neg = self.neg_geom * sflat[self.neg_vox]
        self.t_pos = self.pos_geom * sflat[self.pos_vox]
        self.e_neg = self.ie.ravel()[self.neg_vox]
        self.e_pos = self.ie.ravel()[self.pos_vox]
        self.dt = dt
        self.storage = FARADAY * self.cmax * self.vvox / dt if dt else 0.0
        diag = np.zeros(self.ne)
        np.add.at(diag, self.e_neg, self.t_neg)
        np.add.at(diag, self.e_pos, self.t_pos)
        self.A_static = sp.bmat(
            [
                [self.Le @ self.Z + self.Lleak_phys + sp.diags(diag), None, None],
                [None, self.Li, None],
                [
                    self.Mmig @ self.Z,
                    None,
                    self.storage * sp.identity(self.nl) + FARADAY * self.cmax * self.Ld,
                ],
            ],
            format="csr",
        )

    def ocp(self, x):
        # Newton iterates may step past the fit's range; the accepted steps are kept inside it
        return np.asarray(self.model.lco.ocp(np.clip(x, 0.45, 1.0)), dtype=float)

    def docp(self, x, h=1e-6):
        lo, hi = np.maximum(x - h, 0.45), np.minimum(x + h, 1.0)
        return (self.ocp(hi) - self.ocp(lo)) / (hi - lo)

    def contact_drop(self, u, V):
        """φ_e − V of the voxels at the positive contact (ψ for the electrode's, whose unknowns
        are stored relative to V; absolute minus V for leaky electrolyte)."""
        return self.psi(u)[self.e_pos] - V * self.pos_abs

    def psi(self, u):
        """Electronic potentials relative to their cluster's reference (0 V, V or the anchor's)."""
        psi = self.split(u)[0].copy()
        psi[self.anchors] = 0.0
        return psi

    def phi_e(self, u, V):
        """Electronic potentials (V) of the electronic unknowns."""
        w = self.split(u)[0]
        out = self.psi(u) + V * self.pos_e
        members = self.anchor_of >= 0
        out[members] += w[self.anchor_of[members]]
        return out

    def state_vector(self, phe, phi, x, V):
        """Inverse of :meth:`phi_e`/:meth:`split`: physical potentials and x → state vector."""
        w = phe - V * self.pos_e
        members = self.anchor_of >= 0
        w[members] = phe[members] - phe[self.anchor_of[members]]
        w[self.anchors] = phe[self.anchors]
        return np.concatenate([w, phi, x])

    def reaction(self, u, V):
        """Face currents i (A/m²) and d i / d drive, for the state ``u`` and terminal voltage V."""
        _, phi, x = self.split(u)
        drive = self.phi_e(u, V)[self.r_e] - phi[self.r_i]
        xc = x[self.r_l[self.r_cat]]
        drive[self.r_cat] -= self.ocp(xc)
        m = self.model
        return face_current(drive, self.r_i0, self.r_res, self.f, m.alpha, 1.0 - m.alpha)

    def split(self, u):
        return u[: self.ne], u[self.ne : self.ne + self.ni], u[self.ne + self.ni :]

    def residual_jacobian(self, u, V, x_old, mode, target):
        """Residual (A) and the pieces of the bordered Jacobian [[A, b], [c, d]]."""
        _, phi, x = self.split(u)
        psi = self.psi(u)
        i, g = self.reaction(u, V)
        ia = i * self.r_area
        ga = g * self.r_area
        Re = self.Le @ psi
        if self.leak.any():
            Re += self.Lleak_phys @ self.split(u)[0] + V * self.b_leak
        np.add.at(Re, self.e_neg, self.t_neg * psi[self.e_neg])
        np.add.at(Re, self.e_pos, self.t_pos * self.contact_drop(u, V))
        np.add.at(Re, self.r_e, ia)
        Ri = self.Li @ phi
        np.add.at(Ri, self.r_i, -ia)
        Rx = self.storage * (x - x_old) + FARADAY * self.cmax * (self.Ld @ x) + self.Mmig @ psi
        cat = self.r_cat
        np.add.at(Rx, self.r_l[cat], ia[cat])
        R = np.concatenate([Re, Ri, Rx])
        # reaction couplings: rows (e, i, x) × columns (φ_e, φ_i, x)
        oe, oi, ox = 0, self.ne, self.ne + self.ni
        ce, ci = self.r_e + oe, self.r_i + oi
        dU = np.zeros(i.size)
        dU[cat] = self.docp(x[self.r_l[cat]])
        rows, cols, vals = [ce, ce, ci, ci], [ce, ci, ce, ci], [ga, -ga, -ga, ga]
        cl = self.r_l[cat] + ox
        gu = ga[cat] * dU[cat]
        rows += [ce[cat], ci[cat], cl, cl, cl]
        cols += [cl, cl, ce[cat], ci[cat], cl]
        vals += [-gu, gu, ga[cat], -ga[cat], -gu]
        coupling = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(self.n, self.n),
        )
        A = (
            self.A_static + coupling @ self.P
        )  # chain rule: physical φ_e → cluster-relative unknowns
        b = np.zeros(self.n)  # d R / d V through the reaction drive on the positive side
        gp = ga * self.r_pos
        np.add.at(b, ce, gp)
        np.add.at(b, ci, -gp)
        np.add.at(b, cl, gp[cat])
        b[: self.ne] += self.b_leak
        np.add.at(b, self.e_pos, -self.t_pos * self.pos_abs)
        if mode == "cc":
            RV = self.terminal_current(u, V) - target
            c = np.zeros(self.n)
            np.add.at(c, self.e_pos, -self.t_pos)
            d = float(np.sum(self.t_pos * self.pos_abs))
        else:
            RV, c, d = V - target, np.zeros(self.n), 1.0
        return R, RV, A, b, c, d, i

    def terminal_current(self, u, V):
        """Current (A) into the cell through the positive terminal."""
        return float(-np.sum(self.t_pos * self.contact_drop(u, V)))
