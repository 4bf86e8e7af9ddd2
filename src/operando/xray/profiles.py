"""Doppler-broadened Compton and Rayleigh scattering spectra in the impulse approximation.

Per electron shell s of an atom, xraylib gives the Compton profile J_s(p_z) (Biggs, Mendelsohn & Mann
Hartree–Fock tables, normalised to one electron) and the shell's binding energy U_s. The
double-differential cross section per atom is (Ribberfors 1975; the form used by PENELOPE and Geant4)

    d²σ/dΩ dE2 = dσ_KN/dΩ(E1, E2, θ) · Σ_s n_s J_s(p_z) dp_z/dE2 · Θ(E1 − E2 − U_s),

so the cross section falling in an energy bin [E_lo, E_hi] is, exactly for the profile part,
KN(E_centre) · Σ_s n_s [F_s(p_z(E_hi)) − F_s(p_z(E_lo))] with F_s the cumulative profile — no
numerical Jacobian and no dependence on how finely the bins sample the peak. Electrons that the
per-shell tables do not list (e.g. Ni 4s) are taken from xraylib's total profile as an unbound outer
shell. Rayleigh scattering is the Thomson cross section times the squared atomic form factor
F(q) (xraylib ``FF_Rayl``), put in the bin that holds E1.

Kernels are per atom and linear in the element number densities, so a voxel's spectrum is the sum
over elements of n_el(voxel) · kernel_el — the basis of the vectorized forward model.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import xraylib
from scipy.integrate import cumulative_trapezoid

from .._checks import as_float_array
from ..errors import InputError
from .compounds import number_densities
from .kinematics import _angle, _energy, klein_nishina, momentum_pz, thomson

__all__ = ["compound_spectrum", "element_kernel", "element_kernels", "shell_table"]


#: xraylib's profiles are tabulated to p_z = 100 a.u.; beyond, the tail carries < 1e-5 of an electron.
_PZ_MAX = 99.0
_PZ_GRID = np.concatenate([np.linspace(0.0, 10.0, 1001)[:-1], np.geomspace(10.0, _PZ_MAX, 200)])


def _z(element: str) -> int:
    try:
        return int(xraylib.SymbolToAtomicNumber(element))
    except ValueError as exc:
        raise InputError(f"element: unknown element symbol {element!r}") from exc


@lru_cache(maxsize=128)
def shell_table(element: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(occupancies n_s, binding energies U_s in eV, cumulative profiles F_s on ``_PZ_GRID``).

    F_s(p) = ∫_0^p J_s dp per electron (→ 1/2 at large p). The last row is the remainder
    Z − Σ n_s taken from the total profile with U = 0.
    """
    z = _z(element)
    occ, bind, cum = [], [], []
    for shell in range(40):
        try:
            n = xraylib.ElectronConfig(z, shell)
            j = np.array([xraylib.ComptonProfile_Partial(z, shell, p) for p in _PZ_GRID])
            u = xraylib.EdgeEnergy(z, shell) * 1e3
        except ValueError:
            continue
        if n <= 0:
            continue
        occ.append(n)
        bind.append(u)
        cum.append(cumulative_trapezoid(j, _PZ_GRID, initial=0.0))
    total = cumulative_trapezoid(np.array([xraylib.ComptonProfile(z, p) for p in _PZ_GRID]), _PZ_GRID, initial=0.0)
    rest = z - sum(occ)
    if rest > 1e-3:  # (tables list occupancies such as 0.666667)
        listed = sum(n * c for n, c in zip(occ, cum, strict=True)) if occ else 0.0
        occ.append(rest)
        bind.append(0.0)
        cum.append(np.clip(total - listed, 0.0, None) / rest)
    cum_arr = np.array(cum)
    cum_arr *= 0.5 / cum_arr[:, -1:]  # exact per-electron normalisation (tables are good to ~1e-3)
    return np.array(occ), np.array(bind), cum_arr


_N_LIN, _LIN_STEP = 1000, 0.01
_LOG_STEP = np.log(_PZ_GRID[-1] / _PZ_GRID[_N_LIN]) / (_PZ_GRID.size - 1 - _N_LIN)


@dataclass(frozen=True)
class _GridPosition:
    """Where |p_z| values fall on ``_PZ_GRID`` (index, linear weight) and their sign: computed once
    per set of angles and edges, then every shell table is read with one gather."""

    index: np.ndarray
    weight: np.ndarray
    sign: np.ndarray

    @classmethod
    def of(cls, pz: np.ndarray) -> _GridPosition:
        a = np.clip(np.abs(pz), 0.0, _PZ_MAX)
        lin = np.floor(a / _LIN_STEP)
        log = _N_LIN + np.floor(np.log(np.maximum(a, _PZ_GRID[_N_LIN]) / _PZ_GRID[_N_LIN]) / _LOG_STEP)
        i = np.clip(np.where(a < _PZ_GRID[_N_LIN], lin, log), 0, _PZ_GRID.size - 2).astype(np.intp)
        w = np.clip((a - _PZ_GRID[i]) / (_PZ_GRID[i + 1] - _PZ_GRID[i]), 0.0, 1.0)
        return cls(i, w, np.sign(pz))

    def read(self, row: np.ndarray) -> np.ndarray:
        """Odd extension of a cumulative table F(p_z) at these positions."""
        return self.sign * (row[self.index] * (1.0 - self.weight) + row[self.index + 1] * self.weight)


def _edges(edges_eV) -> np.ndarray:
    e = as_float_array("edges_eV", edges_eV, ndim=1)
    if e.size < 2 or np.any(np.diff(e) <= 0) or e[0] <= 0:
        raise InputError("edges_eV: need ≥ 2 strictly increasing energies > 0 eV (bin edges)")
    return e


def element_kernel(element: str, incident_eV: float, theta, edges_eV, *, phi=None, rayleigh: bool = True) -> np.ndarray:
    """Scattering cross section per atom into each energy bin, m² sr⁻¹.

    ``theta`` may be an array (e.g. one angle per detector column): the result has shape
    ``theta.shape + (n_bins,)``. ``phi``: azimuth of the scattering plane to the beam's linear
    polarization (None: unpolarized).
    """
    return element_kernels((element,), incident_eV, theta, edges_eV, phi=phi, rayleigh=rayleigh)[0]


def element_kernels(elements, incident_eV: float, theta, edges_eV, *, phi=None, rayleigh: bool = True) -> np.ndarray:
    """:func:`element_kernel` of several elements, (n_elements, *theta.shape, n_bins): the kinematics
    (p_z of every edge at every angle, Klein–Nishina) are computed once for all of them."""
    e1 = float(_energy("incident_eV", incident_eV))
    t = _angle(theta)[..., None]
    edges = _edges(edges_eV)
    centres = 0.5 * (edges[1:] + edges[:-1])
    pos = _GridPosition.of(momentum_pz(e1, edges, t))  # (..., n_edges), p_z increasing with E2
    kn = klein_nishina(e1, t, centres, phi)
    out = []
    for el in elements:  # a handful of elements, each one vectorized gather over angles × edges
        occ, bind, table = shell_table(el)
        cum = pos.read(occ @ table)  # all shells at once: Σ_s n_s F_s(p_z)
        # a shell scatters only while E1 − E2 > U_s: above that edge its cumulative stays at
        # F_s(p_z(E1 − U_s)), so a bin straddling the cut-off gets exactly its allowed part
        for n_s, u_s, row in zip(occ, bind, table, strict=True):
            first = int(np.searchsorted(edges, e1 - u_s, side="right"))
            if first >= edges.size:
                continue
            at_cut = _GridPosition.of(momentum_pz(e1, e1 - u_s, t))
            part = _GridPosition(pos.index[..., first:], pos.weight[..., first:], pos.sign[..., first:])
            cum[..., first:] -= n_s * (part.read(row) - at_cut.read(row))
        k = kn * np.diff(cum, axis=-1)
        if rayleigh:
            idx = np.searchsorted(edges, e1, side="right") - 1
            if 0 <= idx < centres.size:
                k[..., idx] += _rayleigh(el, e1, t[..., 0], phi)
        out.append(k)
    return np.stack(out)


def _rayleigh(element: str, e1: float, theta: np.ndarray, phi) -> np.ndarray:
    z = _z(element)
    q = np.vectorize(lambda th: xraylib.MomentTransf(e1 * 1e-3, th))(theta)  # one call per distinct angle
    ff = np.vectorize(lambda qq: xraylib.FF_Rayl(z, qq))(q)
    return thomson(theta, phi) * ff**2


def compound_spectrum(material, incident_eV: float, theta, edges_eV, *, x: float | None = None, phi=None,
                      rayleigh: bool = True) -> np.ndarray:
    """Scattering per unit volume into each energy bin (m⁻¹ sr⁻¹) of a material (name, formula or
    :class:`Compound`; ``x`` for a Li host): Σ_el n_el · :func:`element_kernel`."""
    n = number_densities(material, x)
    kernels = element_kernels(tuple(n), incident_eV, theta, edges_eV, phi=phi, rayleigh=rayleigh)
    return np.tensordot(np.array(list(n.values())), kernels, axes=1)
