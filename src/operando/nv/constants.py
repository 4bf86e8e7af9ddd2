"""Physical constants of the NV⁻ ground state, each with its source (SI units, frequencies in
Hz)."""

from __future__ import annotations

import numpy as np
import scipy.constants as sc

from .._checks import as_float_array
from ..errors import InputError

# Zero-field splitting at room temperature, D = 2.87 GHz (Doherty et al., Phys. Rep. 528, 1 (2013));
# seed 000 L79 uses the same m_s = 0 ↔ ±1 picture.
D_ZERO_FIELD = 2.870e9
# dD/dT = -74.2 kHz/K near 300 K (Acosta et al., Phys. Rev. Lett. 104, 070801 (2010)).
DD_DT = -74.2e3
T_REFERENCE = 300.0
# Electron gyromagnetic ratio gamma_e/2pi = 28.025 GHz/T (CODATA via scipy.constants; the NV
# g-factor
# 2.0028 differs by 2.5e-4, below what ODMR of battery fields resolves). Seed 000 L79: γ ≈ 28 GHz/T.
GAMMA_E = sc.physical_constants["electron gyromag. ratio in MHz/T"][0] * 1e6
# Nitrogen hyperfine tensors (A_parallel, A_perpendicular), Hz, and the 14N quadrupole P:
# 14N: -2.16 / -2.70 MHz, P = -4.945 MHz (Smeltzer et al., Phys. Rev. A 80, 050302 (2009);
# Felton et al., Phys. Rev. B 79, 075203 (2009)); 15N: +3.03 / +3.65 MHz (Felton et al. 2009).
HYPERFINE = {"14N": (-2.16e6, -2.70e6), "15N": (3.03e6, 3.65e6)}
QUADRUPOLE_14N = -4.945e6
# Electric-field coupling, Hz per (V/m): d_par = 0.35 Hz cm/V, d_perp = 17 Hz cm/V (Van Oort &
# Glasbeek, Chem. Phys. Lett. 168, 529 (1990); Dolde et al., Nat. Phys. 7, 459 (2011)).
D_PARALLEL_EFIELD = 0.35e-2
D_PERP_EFIELD = 17e-2
# Spin–stress coupling, Hz/Pa (Barson et al., Nano Lett. 17, 1496 (2017)): the axial stress shifts
# D,
# the transverse stress sets E; listed for users converting stress maps to (D, E) maps.
STRESS_COUPLING = {"a1": 4.86e6 / 1e9, "a2": -3.7e6 / 1e9, "b": -2.3e6 / 1e9, "c": 3.5e6 / 1e9}

CUTS = ("100", "111")
MAGIC_ANGLE = float(np.degrees(np.arccos(1.0 / np.sqrt(3.0))))  # 54.7356°


def zero_field_splitting(temperature=None) -> np.ndarray | float:
    """D in Hz at ``temperature`` (K), linear in T around 300 K; D_ZERO_FIELD when None."""
    if temperature is None:
        return D_ZERO_FIELD
    t = as_float_array("temperature", temperature)
    if np.any(t <= 0):
        raise InputError(f"temperature: must be > 0 K, got min {t.min()!r}")
    return D_ZERO_FIELD + DD_DT * (t - T_REFERENCE)
