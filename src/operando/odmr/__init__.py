"""ODMR analysis: read measured stacks, fit every pixel's spectrum at once, make field maps.

``load_odmr`` → (``select_roi``, ``bin_pixels``, ``normalise``, ``mask_pixels``) → ``fit_odmr`` →
``field_maps`` / ``projection_to_bz`` / ``upward_continue`` / ``subtract_background``; then
``fit_summary`` / ``format_summary``, ``quicklook_figure`` and ``plot_pixel`` to inspect a fit.
Every fitted pixel carries a verdict (``converged``) and its ``reason`` (:data:`REASONS`).
"""

from .dataset import as_odmr_dataset, check_frequency_axis, make_odmr_dataset
from .fieldmaps import (
    field_maps,
    projected_field_map,
    projection_to_bz,
    subtract_background,
    upward_continue,
    vector_field_map,
)
from .fit import fit_odmr, fit_spectra, make_model
from .models import DipModel
from .nvmodel import NVModel
from .preprocess import bin_pixels, mask_pixels, normalise, select_roi
from .quality import MIN_SNR, REASONS
from .quicklook import plot_pixel, quicklook_figure
from .readers import load_odmr, register_reader, registered_suffixes
from .select import choose_model
from .summary import fit_summary, format_summary

__all__ = [
    "MIN_SNR",
    "REASONS",
    "DipModel",
    "NVModel",
    "as_odmr_dataset",
    "bin_pixels",
    "check_frequency_axis",
    "choose_model",
    "field_maps",
    "fit_odmr",
    "fit_spectra",
    "fit_summary",
    "format_summary",
    "load_odmr",
    "make_model",
    "make_odmr_dataset",
    "mask_pixels",
    "normalise",
    "plot_pixel",
    "projected_field_map",
    "projection_to_bz",
    "quicklook_figure",
    "register_reader",
    "registered_suffixes",
    "select_roi",
    "subtract_background",
    "upward_continue",
    "vector_field_map",
]
