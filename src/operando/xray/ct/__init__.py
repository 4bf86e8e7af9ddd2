"""Operando X-ray computed tomography of the cell.

Attenuation volume of a cell → parallel-beam projections (Beer–Lambert, flat/dark fields,
photon noise, detector blur, miscalibrated pixels) → reconstruction (filtered back-projection,
ring removal, SIRT/CGLS) → segmentation → interface height maps Z(x, y) → roughness (Ra, Rq, Rz,
Sa, Sq), and a plating/stripping model of how the interfaces roughen under current — the CT half
of Huang et al., J. Phys. Energy 2025.

>>> import numpy as np
>>> from operando.xray import ct
>>> angles = np.linspace(0, np.pi, 180, endpoint=False)
>>> disc = ct.phantoms.ellipses_image([(1.0, 20, 20, 0, 0, 0)], (64, 64))
>>> image = ct.fbp(ct.project(disc, angles), angles, shape=(64, 64))
"""

from __future__ import annotations

from . import cell_ct, evolution, huang2025, iterative, phantoms, roughness, segment, volume
from .acquire import Scan, acquire, beer_lambert, blur, miscalibrated_gain, normalise, poisson
from .filtered_backprojection import FILTERS, fbp, filter_sinogram, ramp_filter
from .geometry import angular_weights, check_angles
from .projector import backproject, project
from .rings import remove_stripes

__all__ = [
    "FILTERS",
    "Scan",
    "acquire",
    "angular_weights",
    "backproject",
    "beer_lambert",
    "blur",
    "cell_ct",
    "check_angles",
    "evolution",
    "fbp",
    "filter_sinogram",
    "huang2025",
    "iterative",
    "miscalibrated_gain",
    "normalise",
    "phantoms",
    "poisson",
    "project",
    "ramp_filter",
    "remove_stripes",
    "roughness",
    "segment",
    "volume",
]
