"""NMR spectroscopy of a cell: nuclei, RF skin depth, Knight/chemical and susceptibility (BMS)
shifts, static and MAS spectra, ⁶Li tracer exchange, measured spectra and feasibility.

* :mod:`.nuclei` — γ, spin, abundance, Q; Larmor frequency, receptivity; tabulated shifts.
* :mod:`.skin` — skin depth, foil attenuation, skin-depth signal weights on a cell.
* :mod:`.bms` — susceptibility shifts from the microstructure (exact voxel kernels, Lorentz).
* :mod:`.tracer` — tracer exchange (Liu et al., Nat. Mater. 2025, Eq. 1–2) and mechanism test.
"""

from . import bms, nuclei, skin, tracer
from .bms import b0_direction, bms_shift, bms_shift_tensor, chi_map, project_tensor, strip_shifts
from .nuclei import (
    Nucleus,
    Shift,
    field_of_spectrometer,
    larmor_frequency,
    nucleus,
    nucleus_names,
    receptivity,
    shift,
    shift_names,
)
from .skin import foil_attenuation, metal, signal_weights, skin_depth, skin_depth_of
from .tracer import TracerExchange, classify_mechanism, exchange_round

__all__ = [
    "Nucleus",
    "Shift",
    "TracerExchange",
    "b0_direction",
    "bms",
    "bms_shift",
    "bms_shift_tensor",
    "chi_map",
    "classify_mechanism",
    "exchange_round",
    "field_of_spectrometer",
    "foil_attenuation",
    "larmor_frequency",
    "metal",
    "nuclei",
    "nucleus",
    "nucleus_names",
    "project_tensor",
    "receptivity",
    "shift",
    "shift_names",
    "signal_weights",
    "skin",
    "skin_depth",
    "skin_depth_of",
    "strip_shifts",
    "tracer",
]
