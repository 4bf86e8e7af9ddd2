"""Figures of the CT of a plating/stripping protocol (Huang et al., J. Phys. Energy 2025): a slice of
the true attenuation volume beside its reconstruction and their difference, the anode's height maps,
and the roughness Ra over the protocol as the CT measures it beside the model's truth."""

from __future__ import annotations

import numpy as np

from . import huang2025 as paper
from .cell_ct import ct_of_states, layered_volume, phase_mu
from .evolution import simulate_protocol
from .volume import nmc622_mu


def ct_protocol_figures(rate: str = "0.1C", *, shape=(48, 48), nz: int = 160, seed: int = 0, **scan) -> list:
    """[(caption, matplotlib Figure)] for the CT of the protocol at ``rate`` (scan options as in
    :func:`.cell_ct.ct_of_states`, e.g. ``photons``, ``n_angles``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    states = simulate_protocol(rate, shape=shape, seed=seed)
    ct = ct_of_states(states, nz=nz, **scan)
    d = float(states.attrs["pixel_m"])
    names = [str(s) for s in states["state"].values]
    i = names.index("end_of_charge") if "end_of_charge" in names else len(names) - 1
    mu = phase_mu()
    mu["cathode"] = float(nmc622_mu(float(states.x_li[i]), paper.ENERGY_EV))
    truth, _, _ = layered_volume(states.anode[i].values, states.cathode[i].values, nz, d, mu, clip_contacts=True)
    rec = ct["recon"][i]
    row = truth.shape[1] // 2
    ext = (0, truth.shape[2] * d * 1e6, 0, truth.shape[0] * d * 1e6)
    err = float(np.sqrt(np.mean((rec - truth) ** 2)) / np.sqrt(np.mean(truth**2)))
    fig1, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharey=True)
    lim = float(np.percentile(truth, 99.5))
    panels = ((truth, "truth", {"vmin": 0, "vmax": lim}), (rec, "reconstruction (FBP)", {"vmin": 0, "vmax": lim}),
              (rec - truth, "difference", {"vmin": -lim / 2, "vmax": lim / 2, "cmap": "RdBu_r"}))
    for ax, (img, title, kw) in zip(axes, panels, strict=True):
        im = ax.imshow(img[:, row, :], origin="lower", extent=ext, aspect="auto", **{"cmap": "gray", **kw})
        ax.set(title=title, xlabel="x (µm)")
        fig1.colorbar(im, ax=ax, label="μ (1/m)")
    axes[0].set_ylabel("height (µm)")
    fig2, axes2 = plt.subplots(1, 2, figsize=(8, 3.4))
    for ax, k in zip(axes2, (0, i), strict=True):
        z = states.anode[k].values
        im = ax.imshow((z - z.mean()) * 1e6, origin="lower", cmap="RdBu_r",
                       extent=(0, shape[1] * d * 1e6, 0, shape[0] * d * 1e6))
        ax.set(title=f"Li|SPE interface, {names[k]}", xlabel="x (µm)", ylabel="y (µm)")
        fig2.colorbar(im, ax=ax, label="Z (µm)")
    fig3, ax3 = plt.subplots(figsize=(6, 3.6))
    xs = np.arange(len(names))
    series = (("ra_anode_true", "anode, model truth", "C0-"), ("ra_anode_ct", "anode, measured by CT", "C0o--"),
              ("ra_cathode_true", "cathode, model truth", "C1-"), ("ra_cathode_ct", "cathode, measured by CT", "C1o--"))
    for key, label, style in series:
        ax3.plot(xs, ct[key] * 1e6, style, label=label)
    ax3.set_xticks(xs, names, rotation=20, fontsize=8)
    ax3.set(ylabel="Ra (µm)", title=f"interface roughness over the {rate} protocol")
    ax3.legend(fontsize=7)
    return [(f"CT at the end of charge ({rate}): a slice of the true μ volume, its filtered back-projection and the "
             f"difference (relative RMS {err:.0%})", fig1),
            (f"Li|SPE interface height maps, pristine and end of charge ({rate})", fig2),
            ("Ra (ISO 4287) of both interfaces over the protocol: the simulated CT against the model's truth", fig3)]
