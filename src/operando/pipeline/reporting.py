"""Figures, tables and ``report.html`` of a run (seed 000 Fig. 4a–c, reconstructions, feasibility)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._version import __version__
from ..report import Section, figure_png, write_report
from ..report import figures as F
from .stages import final_state


def _extent(cell) -> tuple[float, float, float, float]:
    g = cell.grid
    return (g.x[0] - g.dx / 2, g.x[-1] + g.dx / 2, g.y[0] - g.dy / 2, g.y[-1] + g.dy / 2)


def _save(fig, folder: Path, name: str) -> bytes:
    png = figure_png(fig)
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    from ..io import atomic_write_bytes

    atomic_write_bytes(folder / "figures" / f"{name}.png", png)
    return png


def fig4a(cfg, cells, charges, fields) -> list:
    im = cfg.imaging
    sus = next(s for s in cfg.charge if s.name == im.susceptometry_step)
    cell = cells["dendrite" if sus.dendrite else "pristine"]
    dcell = cells["dendrite"]
    x = final_state(charges[sus.name])["x_li"].values[-1]
    oe = final_state(charges[im.oersted_step])
    # the sensor sees every layer of a 3-D cell: the Li metal as its footprint, the current as a
    # depth average; the Li content is that of the top layer
    J = np.linalg.norm(oe["J_ion"].values + oe["J_e"].values, axis=0).mean(axis=0)
    j_nom = float(charges[im.oersted_step].attrs["nominal_current_density"])
    o0 = "perpendicular" if "perpendicular" in fields["orientation"].values else fields["orientation"].values[0]
    li = dcell.mask(dcell.phases_of("Li")).any(axis=0)
    deep = dcell.grid.nz > 1
    panels = [
        {"data": x, "title": f"Li content x of LixCoO2 after {sus.name} ({sus.duration / 60:.0f} min)"
         + (", top layer" if deep else ""), "cmap": "viridis", "label": "x"},
        {"data": fields["B_lco"].sel(orientation=o0).values, "title": f"LixCoO2 stray field, {im.B_ext * 1e3:.0f} mT "
         f"{o0}, {im.standoff * 1e9:.0f} nm", "cmap": "magma", "label": "B_NV", "unit": "µT", "scale": 1e6},
        {"data": np.where(li, 1.0, np.nan), "title": "Li metal (electrode, dendrite, inclusions)"
         + (", seen through the depth" if deep else ""), "cmap": "Greys", "label": "Li"},
        {"data": fields["B_li"].sel(orientation=o0).values, "title": "Li-metal stray field", "cmap": "magma",
         "label": "B_NV", "unit": "µT", "scale": 1e6},
        {"data": J * 0.1, "title": f"|J| at {j_nom * 0.1:.3g} mA/cm² nominal ({im.oersted_step})"
         + (", depth average" if deep else ""),
         "cmap": "inferno", "label": "|J|", "unit": "mA/cm²"},
        {"data": fields["B_oersted"].sel(component="z").values, "title": "Ørsted field Bz", "cmap": "RdBu_r",
         "label": "Bz", "unit": "nT", "scale": 1e9, "symmetric": True},
    ]
    return [("Seed 000 Fig. 4a for our cell: state of charge, paramagnetic and Ørsted fields",
             F.cell_state_panels(panels, _extent(cell)))]


def fig_cell(cells) -> list:
    import matplotlib.pyplot as plt

    from ..cell import plot_cell

    out = []
    for name, cell in cells.items():
        fig, ax = plt.subplots(figsize=(7.5, 5.5))
        plot_cell(cell, ax=ax)
        ax.set_title(f"cell: {name}")
        out.append((f"Cell microstructure ({name}); buried features marked", fig))
    return out


def fig4b(cfg, fields) -> list:
    limits = {"CW ODMR, 1 s": cfg.sensor.cw_sensitivity / np.sqrt(cfg.sensor.integration_time),
              "pulsed, 1 s": cfg.sensor.pulsed_sensitivity / np.sqrt(cfg.sensor.integration_time)}
    fig = F.signal_vs_drive(fields["B_ext"].values,
                            {"LixCoO2": fields["peak_lco_vs_B_ext"].values,
                             "Li metal": fields["peak_li_vs_B_ext"].values},
                            fields["J_nominal"].values, {"Ørsted": fields["peak_oersted_vs_J"].values}, limits)
    return [("Seed 000 Fig. 4b: signal vs applied field and nominal current density, with detection limits", fig)]


def fig4c(fields) -> list:
    B = fields["B_lco_standoff"].values
    hs = fields["standoff"].values
    row = np.unravel_index(np.argmax(np.abs(B[0])), B[0].shape)[0]
    fig = F.standoff_dependence(hs, B[:, row], fields["x"].values, fields["peak_lco_vs_standoff"].values,
                                fields["feature_length_vs_standoff"].values)
    return [("Seed 000 Fig. 4c: LixCoO2 stray field vs NV standoff (line profile through the peak; "
             "feature length ‖B‖/‖∇B‖ as the blur)", fig)]


def fig_reconstruction(cells, rec) -> list:
    ext = (float(rec.x[0]), float(rec.x[-1]), float(rec.y[0]), float(rec.y[-1]))
    out = [
        ("Current density Jx from the Ørsted map (uniform-layer Fourier inversion) beside the truth",
         F.truth_vs_reconstruction(rec["J_true"].sel(component2="x").values,
                                   rec["J_reconstructed"].sel(component2="x").values, ext,
                                   title=f"Jx: relative L2 error {rec.attrs['J_relative_error']:.2f}",
                                   label="Jx", unit="mA/cm²", scale=0.1)),
        ("State-of-charge map from the fitted ODMR field beside the truth (surface particles)",
         F.truth_vs_reconstruction(rec["x_true"].values, rec["x_reconstructed"].values, ext,
                                   title="Li content x", label="x", unit="", mask=None)),
    ]
    return out


def feasibility_table(cfg, fields) -> list[dict]:
    from ..nv.feasibility import format_field, format_time, plan

    j_nom = fields.attrs["oersted_nominal_current_density"]
    b_per_j = float(np.abs(fields["B_oersted"].sel(component="z")).max()) / j_nom
    signals = {
        "LixCoO2 in 100 mT (ours)": float(np.abs(fields["B_lco"]).max()),
        "Li metal in 100 mT (ours)": float(np.abs(fields["B_li"]).max()),
        f"Ørsted at {j_nom / 10:.3g} mA/cm² nominal (ours)": b_per_j * j_nom,
        "Ørsted, 10,000 mA/cm² local (ours, scaled)": b_per_j * 1e5,
    }
    df = plan(signals, target_snr=3.0, n_pixels=int(fields.sizes["y"] * fields.sizes["x"]))
    return [{"signal": r.signal, "technique": r.technique, "signal at 50 nm": format_field(r.signal_T),
             "seen": format_field(r.seen_T), "t per pixel (SNR 3)": format_time(r.t_pixel_s),
             "t per image": format_time(r.t_image_s)} for r in df.itertuples()]


def particle_soc_table(rec) -> list[dict]:
    """Per particle the sensor sees (at the surface or under the cap): true and recovered x (one χ
    per particle fitted to the field with the microstructure known, then inverted)."""
    from ..inverse import SOC_REASONS

    def num(v, fmt=".3f"):
        return f"{v:{fmt}}" if np.isfinite(v) else "—"

    rows, buried = [], set(rec.attrs.get("buried_particles", []))
    for p, a, b, sem, c, why in zip(rec["particle"].values, rec["particle_x_true"].values,
                                    rec["particle_x_reconstructed"].values, rec["particle_x_sem"].values,
                                    rec["particle_x_noiseless"].values, rec["particle_reason"].values, strict=True):
        rows.append({"particle": int(p), "where": "buried" if int(p) in buried else "surface",
                     "x true": f"{a:.3f}",
                     "x reconstructed": f"{b:.3f} ± {sem:.3f}" if np.isfinite(b) else "—",
                     "error": num(b - a, "+.3f") if np.isfinite(b) else SOC_REASONS[int(why)],
                     "x from noiseless field": num(c), "model error": num(c - a, "+.3f")})
    return rows


def build_report(cfg, cells, charges, datasets, claims, folder: Path) -> Path:
    fields, meas, rec = datasets["fields"], datasets["measurement"], datasets["reconstruction"]
    sections = []

    def section(title, text, figs, table=None):
        pngs = [(cap, _save(fig, folder, f"{len(sections)}_{k}")) for k, (cap, fig) in enumerate(figs)]
        sections.append(Section(title, text, pngs, table))

    section("The cell", "The Li | LLZO | LixCoO2 cell of seed 000 Fig. 4a as voxels (top layer of a 3-D "
            "cell).", fig_cell(cells))
    section("Multimodal magnetic images", "Electrochemistry → magnetic sources → fields on the NV plane.",
            fig4a(cfg, cells, charges, fields))
    section("Signal strength", "Paramagnetic signals are linear in the applied field; the Ørsted "
            "signal is linear in the current density.", fig4b(cfg, fields) + fig4c(fields))
    section("Reconstruction", f"Noiseless round trips: J {rec.attrs['J_roundtrip_error']:.1e}, "
            f"M {rec.attrs['M_roundtrip_error']:.1e} (relative L2). Simulated measurement: CW noise "
            f"{meas.attrs['noise_cw'] * 1e9:.0f} nT per pixel after fitting the ODMR spectra. The map "
            "inverts the field pixel by pixel as one uniform layer; the table fits one susceptibility per "
            "particle with the microstructure known in depth (as tomography of the same cell gives it).",
            fig_reconstruction(cells, rec),
            table=particle_soc_table(rec))
    section("Feasibility", "Integration time to see each signal at SNR 3 with each technique "
            "(signals from this run; technique numbers with sources in operando.nv.feasibility).", [],
            table=feasibility_table(cfg, fields))
    steps = [{"step": s.name, "nominal mA/cm²": f"{charges[s.name].attrs['nominal_current_density'] / 10:.3g}",
              "duration": f"{s.duration:g} s", "end voltage": f"{float(charges[s.name]['cell_voltage'][-1]):.3f} V",
              "termination": charges[s.name].attrs.get("termination", "")} for s in cfg.charge]
    section("Charge steps", "Each step starts from the pristine cell.", [], table=steps)
    meta = {"operando": __version__, "seed": cfg.seed, "voxel": f"{cfg.cell.voxel * 1e9:.0f} nm",
            "grid": "×".join(map(str, cells["dendrite"].grid.shape))}
    return write_report(folder / "report.html", "operando — magnetic imaging of a Li|LLZO|LixCoO2 cell",
                        meta, claims, sections)
