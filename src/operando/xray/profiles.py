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

from functools import lru_cache

import numpy as np
import xraylib
from scipy.integrate import cumulative_trapezoid

from .._checks import as_float_array
from ..errors import InputError
from .compounds import Compound, compound
from .kinematics import _angle, _energy, klein_nishina, momentum_pz, thomson

__all__ = ["compound_spectrum", "element_kernel", "shell_table"]

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
    if rest > 1e-6:
        listed = sum(n * c for n, c in zip(occ, cum, strict=True)) if occ else 0.0
        occ.append(rest)
        bind.append(0.0)
        cum.append(np.clip(total - listed, 0.0, None) / rest)
    cum_arr = np.array(cum)
    cum_arr *= 0.5 / cum_arr[:, -1:]  # exact per-electron normalisation (tables are good to ~1e-3)
    return np.array(occ), np.array(bind), cum_arr


def _cumulative_per_shell(table: np.ndarray, pz: np.ndarray) -> np.ndarray:
    """Odd extension F_s(p_z) of each shell's cumulative profile at that shell's p_z (shells first)."""
    a = np.clip(np.abs(pz), 0.0, _PZ_MAX)
    vals = np.stack([np.interp(a_s, _PZ_GRID, row) for a_s, row in zip(a, table, strict=True)])
    return np.sign(pz) * vals


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
    e1 = float(_energy("incident_eV", incident_eV))
    t = _angle(theta)[..., None]
    edges = _edges(edges_eV)
    centres = 0.5 * (edges[1:] + edges[:-1])
    occ, bind, table = shell_table(element)
    # a shell scatters only while E1 − E2 > U_s: clip each shell's edges at E1 − U_s, so a bin
    # straddling the cut-off gets exactly its allowed part
    shell_edges = np.minimum(edges, (e1 - bind)[:, None])  # (shells, n_edges)
    pz_edges = momentum_pz(e1, shell_edges.reshape((-1,) + (1,) * (t.ndim - 1) + (edges.size,)), t)
    cum = _cumulative_per_shell(table, pz_edges)  # (shells, ..., n_edges)
    per_bin = np.diff(cum, axis=-1)  # electrons of each shell per bin (fraction of one)
    electrons = np.einsum("s,s...->...", occ, per_bin)
    out = klein_nishina(e1, t, centres, phi) * electrons
    if rayleigh:
        idx = np.searchsorted(edges, e1, side="right") - 1
        if 0 <= idx < centres.size:
            out[..., idx] += _rayleigh(element, e1, t[..., 0], phi)
    return out


def _rayleigh(element: str, e1: float, theta: np.ndarray, phi) -> np.ndarray:
    z = _z(element)
    q = np.vectorize(lambda th: xraylib.MomentTransf(e1 * 1e-3, th))(theta)  # one call per distinct angle
    ff = np.vectorize(lambda qq: xraylib.FF_Rayl(z, qq))(q)
    return thomson(theta, phi) * ff**2


def compound_spectrum(material, incident_eV: float, theta, edges_eV, *, x: float | None = None, phi=None,
                      rayleigh: bool = True) -> np.ndarray:
    """Scattering per unit volume into each energy bin (m⁻¹ sr⁻¹) of a material (name, formula or
    :class:`Compound`; ``x`` for a Li host): Σ_el n_el · :func:`element_kernel`."""
    c: Compound = compound(material, x=x) if not isinstance(material, Compound) else material
    n = number_densities(c)
    return sum(n[el] * element_kernel(el, incident_eV, theta, edges_eV, phi=phi, rayleigh=rayleigh) for el in n)


def number_densities(c: Compound) -> dict[str, float]:
    """Atoms per m³ of each element of a compound."""
    from scipy.constants import N_A

    return {el: c.density * N_A * m for el, m in zip(c.elements, c.moles_per_kg(), strict=True)}
