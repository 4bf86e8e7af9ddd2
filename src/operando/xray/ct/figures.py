"""Figures of the CT of a plating/stripping protocol (Huang et al., J. Phys. Energy 2025): a slice of
the true attenuation volume beside its reconstruction and their difference, the anode's height maps,
and the roughness Ra over the protocol as the CT measures it beside the model's truth."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ...report.maps import map_panel, symmetric_limits
from ...report.style import CMAP_GREY, PAGE_WIDTH, styled
from . import huang2025 as paper
from .cell_ct import ct_of_states, layered_volume, phase_mu
from .evolution import simulate_protocol
from .volume import nmc622_mu

CT_SERIES = ("ra_anode_ct", "ra_cathode_ct", "ra_anode_true", "ra_cathode_true")


def ct_of_protocol(rate: str = "0.1C", *, shape=(48, 48), nz: int = 160, seed: int = 0, **scan) -> xr.Dataset:
    """The interface model's states over the protocol at ``rate`` with their CT: the height maps,
    the reconstructed volumes (``recon``, 1/m) and Ra of both interfaces, true and as the CT measures
    it (scan options as in :func:`.cell_ct.ct_of_states`, e.g. ``photons``, ``n_angles``)."""
    states = simulate_protocol(rate, shape=shape, seed=seed)
    ct = ct_of_states(states, nz=nz, **scan)
    out = states.assign(recon=(("state", "zr", "y", "x"), ct["recon"], {"units": "1/m"}),
                        **{k: ("state", ct[k], {"units": "m"}) for k in CT_SERIES})
    out.attrs.update(nz=nz, **{k: v for k, v in scan.items() if isinstance(v, int | float | str)})
    return out


def x4_rows_of(ct: xr.Dataset) -> list[dict]:
    """Claim X4's rows from the CT-measured Ra series of :func:`ct_of_protocol`."""
    rows = paper.x4_verdict(ct["ra_anode_ct"].values, ct["ra_cathode_ct"].values, rate=ct.attrs["rate"],
                            calibrated_pristine=False)
    for r in rows:
        r["source"] = "CT-measured"
    return rows


@styled
def ct_protocol_figures(ct: xr.Dataset) -> list:
    """[(caption, matplotlib Figure)] for the CT of a protocol (:func:`ct_of_protocol`)."""
    from ...report.style import subplots

    states, rate, nz = ct, ct.attrs["rate"], int(ct.attrs["nz"])
    shape = (ct.sizes["y"], ct.sizes["x"])
    d = float(states.attrs["pixel_m"])
    names = [str(s) for s in states["state"].values]
    i = names.index("end_of_charge") if "end_of_charge" in names else len(names) - 1
    mu = phase_mu()
    mu["cathode"] = float(nmc622_mu(float(states.x_li[i]), paper.ENERGY_EV))
    truth, _, _ = layered_volume(states.anode[i].values, states.cathode[i].values, nz, d, mu, clip_contacts=True)
    rec = ct["recon"].values[i]
    row = truth.shape[1] // 2
    section = (0, truth.shape[2] * d, 0, truth.shape[0] * d)  # x by height, m
    err = float(np.sqrt(np.mean((rec - truth) ** 2)) / np.sqrt(np.mean(truth**2)))
    fig1, axes = subplots(1, 3, figsize=(PAGE_WIDTH, 2.6))
    lim = (0.0, float(np.percentile(truth, 99.5)))
    for k, (ax, img, title) in enumerate(zip(axes, (truth, rec), ("truth", "reconstruction (FBP)"), strict=False)):
        map_panel(ax, img[:, row, :] / 100, section, kind="positive", cmap=CMAP_GREY, vlim=(0, lim[1] / 100),
                  label="μ", unit="1/cm", title=title, aspect="auto", colorbar=k == 1, scalebar=False,
                  ticks=k == 0)
    axes[0].set_ylabel(axes[0].get_ylabel().replace("y", "height", 1))
    map_panel(axes[2], (rec - truth)[:, row, :] / 100, section, kind="signed", label="Δμ", unit="1/cm",
              title="reconstruction − truth", aspect="auto", scalebar=False, ticks=False)
    fig2, axes2 = subplots(1, 2, figsize=(PAGE_WIDTH * 0.8, 2.8))
    plane = (0, shape[1] * d, 0, shape[0] * d)
    heights = [states.anode[k].values - states.anode[k].values.mean() for k in (0, i)]
    lim2 = symmetric_limits(*heights)
    for k, (ax, z) in enumerate(zip(axes2, heights, strict=True)):
        map_panel(ax, z, plane, kind="signed", vlim=(lim2[0] * 1e6, lim2[1] * 1e6), scale=1e6, label="height",
                  unit="µm", title=f"Li|SPE interface, {names[(0, i)[k]].replace('_', ' ')}", colorbar=k == 1)
    fig3, ax3 = subplots(figsize=(PAGE_WIDTH * 0.6, 2.6))
    xs = np.arange(len(names))
    series = (("ra_anode_true", "anode, model truth", "C0-"), ("ra_anode_ct", "anode, measured by CT", "C0o--"),
              ("ra_cathode_true", "cathode, model truth", "C1-"), ("ra_cathode_ct", "cathode, measured by CT", "C1o--"))
    for key, label, style in series:
        ax3.plot(xs, ct[key].values * 1e6, style, label=label)
    ax3.set_xticks(xs, [n.replace("_", " ") for n in names], rotation=20)
    ax3.set(ylabel="Ra (µm)", title=f"interface roughness over the {rate} protocol")
    ax3.legend()
    fig1.set_label("ct_slice_truth_reconstruction_difference")
    fig2.set_label("ct_anode_height_maps")
    fig3.set_label("ct_roughness_over_protocol")
    return [(f"CT at the end of charge ({rate}): a slice (x by height) of the true μ volume, its filtered "
             f"back-projection and the difference (relative RMS {err:.0%})", fig1),
            (f"Li|SPE interface height maps, pristine and end of charge ({rate}), one symmetric height range", fig2),
            ("Ra (ISO 4287) of both interfaces over the protocol: the simulated CT against the model's truth", fig3)]
