"""The CT of a layered Li | SPE | cathode cell built from interface height maps: attenuation
volume with partial-volume voxels, simulated scan, reconstruction, segmentation, interfaces, Ra.

The volume's z axis (the cell's stacking axis) is the rotation axis, so every x-y slice is one
sinogram — the geometry of the coin-cell CT of Huang et al., J. Phys. Energy 2025. Each voxel's
μ is the volume-weighted mix of the phases it holds (exact for height maps), so the tomograph
sees sub-voxel roughness as grey levels, as a real one does.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..._checks import as_float_array, check_positive
from ...errors import InputError
from . import huang2025 as paper
from ._mu import linear_attenuation
from .acquire import acquire
from .filtered_backprojection import fbp
from .projector import project
from .rings import remove_stripes
from .roughness import sa
from .segment import interface_height, segment

PHASES = ("li", "spe", "cathode")
MATERIALS = {"li": "Li", "spe": "PEO-LiTFSI", "cathode": "LixNMC622"}


def phase_mu(energy_eV: float = paper.ENERGY_EV) -> dict:
    """μ (1/m) of the three phases at ``energy_eV``."""
    return {p: float(linear_attenuation(m, energy_eV)) for p, m in MATERIALS.items()}


def layered_volume(anode, cathode, nz: int, pixel: float, mu: Mapping[str, float], *,
                   anode_level: float | None = None, spe_thickness: float = paper.SPE_THICKNESS_M):
    """μ volume (nz, ny, nx) and the true interface heights (m, from the volume's bottom face).

    anode, cathode : (ny, nx) height maps (m, any mean); the anode's mean is placed at
        ``anode_level`` (default a third of the height) and the cathode's ``spe_thickness`` above.
    """
    a = as_float_array("anode", anode, ndim=2)
    c = as_float_array("cathode", cathode, shape=a.shape)
    d = check_positive("pixel", pixel, unit="m")
    level = nz * d / 3 if anode_level is None else float(anode_level)
    za = a - a.mean() + level
    zc = c - c.mean() + level + check_positive("spe_thickness", spe_thickness, unit="m")
    if za.min() < d or zc.max() > (nz - 1) * d:
        raise InputError(f"nz: {nz} voxels of {d:g} m do not hold both interfaces with a voxel to spare")
    if np.any(zc - za < d):
        raise InputError("anode, cathode: the interfaces come closer than one voxel; the SPE would vanish")
    k = np.arange(nz)[:, None, None] * d
    below_a = np.clip((za[None] - k) / d, 0.0, 1.0)
    below_c = np.clip((zc[None] - k) / d, 0.0, 1.0)
    vol = mu["li"] * below_a + mu["spe"] * (below_c - below_a) + mu["cathode"] * (1.0 - below_c)
    return vol, za, zc


def scan_and_reconstruct(volume, pixel: float, *, n_angles: int = 360, photons: float = 1e6,
                         seed: int = 0, blur_px: float = 0.0, gain=1.0, ring_removal: str | None = None,
                         filter: str = "hann") -> np.ndarray:
    """Simulated scan of a μ volume (rotation axis z) and its FBP reconstruction (1/m)."""
    vol = as_float_array("volume", volume, ndim=3)
    angles = np.linspace(0.0, np.pi, int(n_angles), endpoint=False)
    p = project(vol, angles, pixel)
    scan = acquire(p, photons=photons, blur_px=blur_px, gain=gain, seed=seed)
    sino = scan.line_integrals()
    if ring_removal:
        sino = remove_stripes(sino, method=ring_removal)
    return fbp(sino, angles, pixel, filter=filter, shape=vol.shape[1:])


def measure_interfaces(recon, pixel: float, mu: Mapping[str, float], *, smooth_px: float = 1.0,
                       margin: int = 4) -> dict:
    """Segment a reconstruction and return both interface height maps (m) and their areal Ra (m).

    ``margin`` pixels are cut from the lateral borders (the slab's edges are where FBP errs most).
    """
    r = as_float_array("recon", recon, ndim=3)
    m = int(margin)
    inner = r[:, m: r.shape[1] - m, m: r.shape[2] - m] if m > 0 else r
    labels, names = segment(inner, {p: mu[p] for p in PHASES}, smooth_px=smooth_px)
    lab = {n: k for k, n in names.items()}
    za = interface_height(labels, lab["li"], lab["spe"], pixel, image=inner, mu_below=mu["li"], mu_above=mu["spe"])
    zc = interface_height(labels, lab["spe"], lab["cathode"], pixel, image=inner, mu_below=mu["spe"],
                          mu_above=mu["cathode"])
    return {"anode": za, "cathode": zc, "ra_anode": sa(za), "ra_cathode": sa(zc)}


def ct_of_states(states, *, nz: int = 40, mu: Mapping[str, float] | None = None, margin: int = 4, **scan) -> dict:
    """CT of every state of :func:`.evolution.simulate_protocol`'s Dataset: measured vs true Ra (m)."""
    mu = phase_mu() if mu is None else dict(mu)
    d = float(states.attrs["pixel_m"])
    out = {"ra_anode_ct": [], "ra_cathode_ct": [], "ra_anode_true": [], "ra_cathode_true": [], "recon": []}
    for i in range(states.sizes["state"]):
        vol, za, zc = layered_volume(states.anode[i].values, states.cathode[i].values, nz, d, mu)
        rec = scan_and_reconstruct(vol, d, seed=i, **scan)
        got = measure_interfaces(rec, d, mu, margin=margin)
        crop = (slice(margin, -margin or None),) * 2
        out["ra_anode_ct"].append(got["ra_anode"])
        out["ra_cathode_ct"].append(got["ra_cathode"])
        out["ra_anode_true"].append(sa(za[crop]))
        out["ra_cathode_true"].append(sa(zc[crop]))
        out["recon"].append(rec)
    return {k: np.asarray(v) for k, v in out.items()}
