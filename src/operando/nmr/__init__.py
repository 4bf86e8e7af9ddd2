"""NMR spectroscopy of a cell: nuclei, RF skin depth, Knight/chemical and susceptibility (BMS)
shifts, static and MAS spectra, ⁶Li tracer exchange, measured spectra and feasibility.

* :mod:`.nuclei` — γ, spin, abundance, Q; Larmor frequency, receptivity; tabulated shifts.
* :mod:`.skin` — skin depth, foil attenuation, skin-depth signal weights on a cell.
* :mod:`.bms` — susceptibility shifts from the microstructure (exact voxel kernels, Lorentz).
* :mod:`.mas` — spinning sidebands of shift tensors; spinning-rate planner.
* :mod:`.spectra` — static and MAS spectra of a cell.
* :mod:`.tracer` — tracer exchange (Liu et al., Nat. Mater. 2025, Eq. 1–2) and mechanism test.
* :mod:`.measured` — Bruker/text readers, peak fits with uncertainties, ⁶Li/⁷Li quantification.
* :mod:`.feasibility` — SNR and time to detect a metal deposit (``operando nmr plan``).
* :mod:`.mri` — MRI of Li metal: protocols, forward model, k-space, reconstruction, CSI, analysis.

Instruments do not import each other: this package uses ``cell``, ``materials`` and
``magnetics`` only.
"""

from . import bms, feasibility, mas, measured, mri, nuclei, skin, spectra, tracer
from .bms import b0_direction, bms_shift, bms_shift_tensor, chi_map, project_tensor, strip_shifts
from .mas import clear_spinning_rates, powder_axes, sideband_clearance, sideband_intensities, tensor_from_principal
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
from .spectra import cell_spectrum, ppm_axis, spin_density, voxel_dataset
from .tracer import (
    TracerExchange,
    abundance_history,
    charge_per_round,
    classify_mechanism,
    exchange_round,
    lithium_amount,
)

__all__ = [
    "Nucleus",
    "Shift",
    "TracerExchange",
    "abundance_history",
    "b0_direction",
    "bms",
    "bms_shift",
    "bms_shift_tensor",
    "cell_spectrum",
    "charge_per_round",
    "chi_map",
    "classify_mechanism",
    "clear_spinning_rates",
    "exchange_round",
    "feasibility",
    "field_of_spectrometer",
    "foil_attenuation",
    "larmor_frequency",
    "lithium_amount",
    "mas",
    "measured",
    "metal",
    "mri",
    "nuclei",
    "nucleus",
    "nucleus_names",
    "powder_axes",
    "ppm_axis",
    "project_tensor",
    "receptivity",
    "shift",
    "shift_names",
    "sideband_clearance",
    "sideband_intensities",
    "signal_weights",
    "skin",
    "skin_depth",
    "skin_depth_of",
    "spectra",
    "spin_density",
    "strip_shifts",
    "tensor_from_principal",
    "tracer",
    "voxel_dataset",
]
