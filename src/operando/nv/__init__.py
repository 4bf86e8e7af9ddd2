"""NV sensor: spin physics, ODMR line shapes, noise and sensitivity, acquisition, feasibility.

The planner lives in :mod:`operando.nv.feasibility` (figures in :mod:`.feasibility_plots`).
"""

from .acquisition import (
    ScanningNV,
    WidefieldNV,
    sensor_filter,
    simulate_field_map,
    simulate_odmr,
    with_microwave_drive,
)
from .constants import D_ZERO_FIELD, GAMMA_E, MAGIC_ANGLE, zero_field_splitting
from .inversion import (
    axial_transverse_field,
    field_from_resonances,
    projected_field,
)
from .lineshape import (
    gaussian_dip,
    gaussian_dip_with_jacobian,
    hyperfine_lines,
    lorentzian_dip,
    lorentzian_dip_with_jacobian,
    odmr_spectrum,
    odmr_spectrum_with_jacobian,
)
from .orientations import nv_frames, nv_orientations
from .sensitivity import (
    cw_sensitivity,
    echo_sensitivity,
    field_noise,
    integration_time,
    lockin_sensitivity,
    power_broadened_line,
    ramsey_sensitivity,
)
from .spectra import check_frequency_coverage, line_parameters, line_position_crb, noisy_spectra
from .spin import electric_field_terms, resonance_jacobian, resonances, spin_hamiltonian

__all__ = [
    "D_ZERO_FIELD",
    "GAMMA_E",
    "MAGIC_ANGLE",
    "ScanningNV",
    "WidefieldNV",
    "axial_transverse_field",
    "check_frequency_coverage",
    "cw_sensitivity",
    "echo_sensitivity",
    "electric_field_terms",
    "field_from_resonances",
    "field_noise",
    "gaussian_dip",
    "gaussian_dip_with_jacobian",
    "hyperfine_lines",
    "integration_time",
    "line_parameters",
    "line_position_crb",
    "lockin_sensitivity",
    "lorentzian_dip",
    "lorentzian_dip_with_jacobian",
    "noisy_spectra",
    "nv_frames",
    "nv_orientations",
    "odmr_spectrum",
    "odmr_spectrum_with_jacobian",
    "power_broadened_line",
    "projected_field",
    "ramsey_sensitivity",
    "resonance_jacobian",
    "resonances",
    "sensor_filter",
    "simulate_field_map",
    "simulate_odmr",
    "spin_hamiltonian",
    "with_microwave_drive",
    "zero_field_splitting",
]
