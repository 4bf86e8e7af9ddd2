"""The CT of a layered Li | SPE | cathode cell built from interface height maps: attenuation
volume with partial-volume voxels, simulated scan, reconstruction, segmentation, interfaces, Ra.

The volume's z axis (the cell's stacking axis) is the rotation axis, so every x-y slice is one
sinogram — the geometry of the coin-cell CT of Huang et al., J. Phys. Energy 2025. Each voxel's
μ is the volume-weighted mix of the phases it holds (exact for height maps), so the tomograph
sees sub-voxel roughness as grey levels, as a real one does.
"""

from __future__ import annotations

import warnings
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
from .volume import nmc622_mu

PHASES = ("li", "spe", "cathode")
MATERIALS = {"li": "Li", "spe": "PEO-LiTFSI", "cathode": "LixNMC622"}


def phase_mu(energy_eV: float = paper.ENERGY_EV) -> dict:
    """μ (1/m) of the three phases at ``energy_eV``."""
    return {p: float(linear_attenuation(m, energy_eV)) for p, m in MATERIALS.items()}


def layered_volume(anode, cathode, nz: int, pixel: float, mu: Mapping[str, float], *,
                   anode_level: float | None = None, spe_thickness: float = paper.SPE_THICKNESS_M,
                   clip_contacts: bool = False):
    """μ volume (nz, ny, nx) and the true interface heights (m, from the volume's bottom face).

    anode, cathode : (ny, nx) height maps (m, any mean); the anode's mean is placed at
        ``anode_level`` (default a third of the height) and the cathode's ``spe_thickness`` above.
    clip_contacts : where Li would come within a voxel of the cathode (through the SPE — a
        short circuit), stop it a voxel short and warn with the fraction of such pixels, instead
        of raising.
    """
    a = as_float_array("anode", anode, ndim=2)
    c = as_float_array("cathode", cathode, shape=a.shape)
    d = check_positive("pixel", pixel, unit="m")
    level = nz * d / 3 if anode_level is None else float(anode_level)
    za = a - a.mean() + level
    zc = c - c.mean() + level + check_positive("spe_thickness", spe_thickness, unit="m")
    if za.min() < d or zc.max() > (nz - 1) * d:
        raise InputError(f"nz: {nz} voxels of {d:g} m do not hold both interfaces with a voxel to spare")
    contact = zc - za < d
    if np.any(contact):
        if not clip_contacts:
            raise InputError("anode, cathode: the interfaces come closer than one voxel; the SPE would vanish "
                             "(Li through the separator); pass clip_contacts=True to stop Li a voxel short")
        warnings.warn(f"layered_volume: Li reaches the cathode through the SPE on {contact.mean():.1%} of the "
                      "map; stopped a voxel short there", RuntimeWarning, stacklevel=2)
        za = np.minimum(za, zc - d)
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
    """CT of every state of :func:`.evolution.simulate_protocol`'s Dataset: measured vs true Ra (m).

    Without ``mu`` the phases' μ are those of :func:`phase_mu`, the cathode's at each state's x.
    """
    d = float(states.attrs["pixel_m"])
    out = {"ra_anode_ct": [], "ra_cathode_ct": [], "ra_anode_true": [], "ra_cathode_true": [], "recon": []}
    for i in range(states.sizes["state"]):
        if mu is None:
            mu_i = phase_mu()
            mu_i["cathode"] = float(nmc622_mu(float(states.x_li[i]), paper.ENERGY_EV))
        else:
            mu_i = dict(mu)
        vol, za, zc = layered_volume(states.anode[i].values, states.cathode[i].values, nz, d, mu_i,
                                     clip_contacts=True)
        rec = scan_and_reconstruct(vol, d, seed=i, **scan)
        got = measure_interfaces(rec, d, mu_i, margin=margin)
        crop = (slice(margin, -margin or None),) * 2
        out["ra_anode_ct"].append(got["ra_anode"])
        out["ra_cathode_ct"].append(got["ra_cathode"])
        out["ra_anode_true"].append(sa(za[crop]))
        out["ra_cathode_true"].append(sa(zc[crop]))
        out["recon"].append(rec)
    return {k: np.asarray(v) for k, v in out.items()}


def x4_rows(rate: str = "0.1C", *, shape=(48, 48), seed: int = 0, measure_by_ct: bool = False,
            nz: int = 64, current_map=None, **scan) -> list[dict]:
    """Claim X4's verdict rows for a simulated protocol at ``rate``.

    The Ra series is the model's truth, or — with ``measure_by_ct`` — what the simulated CT
    (scan, FBP, segmentation, sub-voxel interfaces) measures of it; the rows say which.
    """
    from .evolution import simulate_protocol

    ds = simulate_protocol(rate, shape=shape, seed=seed, current_map=current_map)
    if measure_by_ct:
        ct = ct_of_states(ds, nz=nz, **scan)
        ra_a, ra_c, how = ct["ra_anode_ct"], ct["ra_cathode_ct"], "CT-measured"
    else:
        ra_a, ra_c, how = ds.ra_anode.values, ds.ra_cathode.values, "model truth"
    # measured by CT, the pristine ratio is a measurement, not the calibration it was drawn with
    rows = paper.x4_verdict(ra_a, ra_c, rate=rate, calibrated_pristine=not measure_by_ct)
    for r in rows:
        r["source"] = how
    return rows
