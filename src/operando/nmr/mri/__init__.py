"""MRI of lithium metal in a cell: protocols and their arithmetic, the forward model (species
magnetisation with skin-depth weights, k-space with chemical-shift displacement, noise), FFT
reconstruction and CSI, and the analysis of Li-metal images (Liu et al., Nat. Mater. 2025).

* :mod:`.protocol` — protocols as data; voxel size, acquisition time, displacement δ B0 / G.
* :mod:`.signal` — steady states, relaxation data, film skin-depth weights, species maps.
* :mod:`.kspace` — separable k-space sampling, read displacement, CSI.
* :mod:`.noise` — thermal noise on the scale of the NMR planner.
* :mod:`.recon` — FFT reconstruction, geometry checks, image readers (:mod:`.bruker`: ParaVision 2dseq).
* :mod:`.analysis` — metal maps by chemical-shift selection, per-layer Li volumes with errors.
* :mod:`.experiment` — the Liu et al. 2025 run (:func:`run_liu2025`).
"""

from . import analysis, bruker, kspace, noise, protocol, recon, signal
from .kspace import csi_kspace, fov_centre, k_axes
from .kspace import kspace as sample_kspace
from .noise import add_noise, image_noise, sample_noise
from .protocol import Protocol, acquisition_time, check_covers, displacement, liu2025_flash, liu2025_gre3d, voxel_size
from .recon import check_image, read_image, reconstruct, reconstruct_csi
from .signal import film_weight, relaxation, species_maps, steady_state

__all__ = [
    "Protocol",
    "acquisition_time",
    "add_noise",
    "analysis",
    "bruker",
    "check_covers",
    "check_image",
    "csi_kspace",
    "displacement",
    "film_weight",
    "fov_centre",
    "image_noise",
    "k_axes",
    "kspace",
    "liu2025_flash",
    "liu2025_gre3d",
    "noise",
    "protocol",
    "read_image",
    "recon",
    "reconstruct",
    "reconstruct_csi",
    "relaxation",
    "sample_kspace",
    "sample_noise",
    "signal",
    "species_maps",
    "steady_state",
    "voxel_size",
]
