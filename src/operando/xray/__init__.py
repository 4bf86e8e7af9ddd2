"""X-ray modality: energy-resolved Compton scattering imaging (and, in ``xray.ct``, tomography).

Submodules are imported on first use so that ``import operando.xray`` stays light:
``attenuation`` (μ(E) of the cell's materials), ``compounds`` (elemental make-up), ``kinematics``
(Compton energy, p_z, Klein–Nishina), ``profiles`` (Doppler-broadened spectra), ``emr`` (the
energy-to-momentum ratio and its calibration), ``decomposition`` (region separation), ``detector``
(CdZnTe response), ``forward`` (sheet beam → pinhole → detector), ``lithium_map`` (frames → x map),
``cell`` (the coin-cell scene), ``charge`` (the section charged by ``operando.electrochem``) and
``experiment`` (the whole Huang et al. 2025 run).
"""

from importlib import import_module

_SUBMODULES = (
    "attenuation",
    "compounds",
    "kinematics",
    "profiles",
    "emr",
    "calibration",
    "decomposition",
    "lithium_map",
    "charge",
    "detector",
    "forward",
    "cell",
    "experiment",
    "ct",
)


def __getattr__(name):
    if name in _SUBMODULES:
        return import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
