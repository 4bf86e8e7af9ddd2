"""Reconstruction: from magnetic-field maps back to current density, magnetization and x.

* Fourier inverse filters (exact for 2-D sources; Pollok et al., Nat. Commun. 2025):
  :func:`sheet_current_from_field`, :func:`magnetization_from_field`,
  :func:`susceptibility_from_field`; :func:`state_of_charge_map` turns χ into the Li content x,
  :func:`state_of_charge_by_region` per particle (χ averaged first: unbiased under noise).
* :func:`susceptibility_by_region`: one χ per particle of a microstructure known in depth (least
  squares on the particles' fields from :func:`region_unit_fields`; buried particles included), then
  :func:`state_of_charge_of_regions`.
* ``method="voxel"``: exact discrete inversion for sources voxelized on the map's lattice
  (:mod:`.voxel`); :func:`current_from_stream_function` builds such a divergence-free current.
* Regularised inversions on the field engine as a pylops operator: :class:`FieldOperator`,
  :func:`solve_tikhonov`, :func:`solve_tv` (weight by discrepancy principle or L-curve).
* Uncertainty: ``*_std`` maps (analytic for filters, Monte-Carlo for solvers).
* Metrics: :func:`relative_l2_error`, :func:`current_through_cut`, :func:`continuity_residual`,
  :func:`edge_width`; :func:`error_vs_noise_and_standoff` and its figure.
"""

from ._input import inpaint_harmonic, sensing_axis
from .figures import error_vs_noise_and_standoff, error_vs_noise_and_standoff_figure
from .fourier import magnetization_from_field, sheet_current_from_field
from .metrics import (
    continuity_residual,
    current_through_cut,
    edge_width,
    interior_mask,
    relative_continuity_residual,
    relative_l2_error,
)
from .operators import FieldOperator, dot_test
from .regularised import Reconstruction, solve_tikhonov, solve_tv
from .susceptibility import (
    SOC_REASONS,
    region_unit_fields,
    state_of_charge_by_region,
    state_of_charge_map,
    state_of_charge_of_regions,
    susceptibility_by_region,
    susceptibility_from_field,
)
from .uncertainty import filter_noise_std, monte_carlo_std
from .voxel import current_from_stream_function
from .weights import estimate_noise_sigma

__all__ = [
    "SOC_REASONS",
    "FieldOperator",
    "Reconstruction",
    "continuity_residual",
    "current_from_stream_function",
    "current_through_cut",
    "dot_test",
    "edge_width",
    "error_vs_noise_and_standoff",
    "error_vs_noise_and_standoff_figure",
    "estimate_noise_sigma",
    "filter_noise_std",
    "inpaint_harmonic",
    "interior_mask",
    "magnetization_from_field",
    "monte_carlo_std",
    "region_unit_fields",
    "relative_continuity_residual",
    "relative_l2_error",
    "sensing_axis",
    "sheet_current_from_field",
    "solve_tikhonov",
    "solve_tv",
    "state_of_charge_by_region",
    "state_of_charge_map",
    "state_of_charge_of_regions",
    "susceptibility_by_region",
    "susceptibility_from_field",
]
