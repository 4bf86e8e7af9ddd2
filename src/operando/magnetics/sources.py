"""Magnetic sources from material properties: magnetization induced in para- and diamagnets."""

from __future__ import annotations

import numpy as np
from scipy.constants import mu_0

from .._checks import as_float_array, check_positive_array
from ..errors import InputError

__all__ = [
    "molar_susceptibility_from_cgs",
    "molar_to_volume_susceptibility",
    "paramagnetic_magnetization",
]


def paramagnetic_magnetization(chi, B_ext) -> np.ndarray:
    """Induced magnetization M = χ B_ext / μ0 (A/m), shape (3, *chi.shape).

    ``chi``: SI volume susceptibility (dimensionless), any shape — usually (nz, ny, nx); must be
    > -1. ``B_ext``: applied field (T), a 3-vector in any direction. Valid for |χ| ≪ 1, where the
    sample's own demagnetizing field is negligible next to B_ext.
    """
    chi = as_float_array("chi", chi)
    if np.any(chi <= -1):
        raise InputError(f"chi: volume susceptibility must be > -1, got min {chi.min()!r}")
    B = as_float_array("B_ext", B_ext, shape=(3,))
    return B.reshape((3,) + (1,) * chi.ndim) * chi[None] / mu_0


def molar_to_volume_susceptibility(chi_molar, molar_volume):
    """SI volume susceptibility χ = χ_molar / V_m (dimensionless).

    ``chi_molar`` in m³/mol (SI molar susceptibility), ``molar_volume`` in m³/mol (> 0);
    arrays broadcast.
    """
    chi_molar = as_float_array("chi_molar", chi_molar)
    vm = check_positive_array("molar_volume", molar_volume)
    return chi_molar / vm


def molar_susceptibility_from_cgs(chi_cgs):
    """SI molar susceptibility (m³/mol) from a CGS value in emu/mol (= cm³/mol): × 4π·10⁻⁶."""
    return 4e-6 * np.pi * as_float_array("chi_cgs", chi_cgs)
