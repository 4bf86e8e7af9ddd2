"""Figures, tables and ``report.html`` of a run (Pollok et al. 2025 Fig. 4a–c, reconstructions,
feasibility), headed by what was simulated and any warning about what the grid cannot resolve."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np

from .. import materials
from .._version import __version__
from ..magnetics import nv_axis
from ..papers import POLLOK2025
from ..report import Section, figure_png, write_report
from ..report import figures as F
from ..report.maps import Outline
from ..report.style import DPI, PAGE_WIDTH
from .stages import cathode_wiring, cell_for_step, final_state, imaged_state, step_named

#: a state-of-charge map is usable when its median error on the surface particles is below this
USABLE_X_ERROR = 0.05


def _extent(cell) -> tuple[float, float, float, float]:
    g = cell.grid
    return (g.x[0] - g.dx / 2, g.x[-1] + g.dx / 2, g.y[0] - g.dy / 2, g.y[-1] + g.dy / 2)


def _save(fig, folder: Path, name: str) -> bytes:
    """Write ``fig`` as ``figures/<its label or name>.png`` (a label names what the figure shows)."""
    png = figure_png(fig, dpi=DPI)
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    from ..io import atomic_write_bytes

    atomic_write_bytes(folder / "figures" / f"{name}.png", png)
    return png


def _named(fig, name: str):
    """Label ``fig`` with the file name it is saved under (what it shows)."""
    fig.set_label(name)
    return fig


#: how the NV axis (and B_ext, applied along it) stands to the surface, for column titles
NV_COLUMN_TITLES = {"perpendicular": "NV ⊥ surface", "parallel": "NV ∥ surface", "111": "NV along [111] (54.7°)"}


def phase_outlines(cell) -> list[Outline]:
    """Outlines of the Li-metal electrode (and inclusions), the dendrite and the LixCoO2 particles as
    the sensor sees them (footprints through the depth of a 3-D cell)."""
    li = [p for p in cell.phases_of("Li") if p != "dendrite"]
    out = [Outline(cell.mask(li).any(axis=0), "Li metal", color="k", linewidth=0.7),
           Outline(cell.mask("dendrite").any(axis=0), "dendrite", color="#009E73", linewidth=0.9),
           Outline(cell.mask("lco").any(axis=0), "LixCoO2", color="0.35", linestyle="--", linewidth=0.5)]
    return [o for o in out if o.mask.any()]


def _li_metal_codes(cell) -> tuple[np.ndarray, dict[str, str]]:
    """Categorical map (ny, nx) of the Li-metal phases seen through the depth (NaN elsewhere), with
    the name → colour of each code."""
    from ..cell.plot import PHASE_COLOURS

    phases = [p for p in cell.phases_of("Li") if cell.mask(p).any()]
    codes = np.full(cell.grid.shape[1:], np.nan)
    for k, p in reversed(list(enumerate(phases))):  # the first phase listed wins where several overlap
        codes[cell.mask(p).any(axis=0)] = k
    return codes, {p.replace("_", " "): PHASE_COLOURS.get(p, f"C{k}") for k, p in enumerate(phases)}


def fig4a(cfg, cells, charges, fields) -> list:
    im = cfg.imaging
    dcell = cells["dendrite"]
    cell = dcell
    orientations = [str(o) for o in fields["orientation"].values]
    deep = dcell.grid.nz > 1
    through = ", through the depth" if deep else ""
    rows = []
    # the sensor sees every layer of a 3-D cell: the Li metal as its footprint, the current as a
    # depth average; the Li content is that of the top layer
    if "susceptometry" in im.modes:
        sus = step_named(cfg, im.susceptometry_step)
        cell = cell_for_step(cfg, cells, sus)
        t_end = float(charges[sus.name]["t"].values[-1])
        rows.append({"name": "state of charge", "label": "$B_\\mathrm{NV}$", "unit": "µT", "scale": 1e6,
                     "source": {"data": final_state(charges[sus.name])["x_li"].values[-1], "kind": "positive",
                                "label": "x in LixCoO2",
                                "title": f"x, {sus.name}, {t_end / 60:.3g} min" + (", top layer" if deep else "")},
                     "fields": [fields["B_lco"].sel(orientation=o).values for o in orientations]})
    if "lithium" in im.modes:
        codes, names = _li_metal_codes(dcell)
        rows.append({"name": "Li metal", "label": "$B_\\mathrm{NV}$", "unit": "µT", "scale": 1e6,
                     "source": {"data": codes, "kind": "categorical", "categories": names, "legend": "below",
                                "title": f"Li metal{through}"},
                     "fields": [fields["B_li"].sel(orientation=o).values for o in orientations]})
    if "oersted" in im.modes:
        oe = final_state(charges[im.oersted_step])
        J = np.linalg.norm(oe["J_ion"].values + oe["J_e"].values, axis=0).mean(axis=0)
        j_img, _ = imaged_state(step_named(cfg, im.oersted_step), charges[im.oersted_step])  # signed
        B = fields["B_oersted"].values
        rows.append({"name": "current", "label": "$B_\\mathrm{NV}$", "unit": "nT", "scale": 1e9,
                     "source": {"data": J * 0.1, "kind": "positive", "cmap": "inferno", "label": "|J|",
                                "unit": "mA/cm²", "title": f"|J|, {im.oersted_step}, at {j_img * 0.1:.3g} mA/cm²"
                                + (", depth average" if deep else "")},
                     "fields": [np.tensordot(nv_axis(o), B, axes=1) for o in orientations]})
    if not rows:
        return []
    columns = [NV_COLUMN_TITLES.get(o, o) for o in orientations]
    fig = F.state_and_field_grid(rows, _extent(cell), columns, outlines=phase_outlines(dcell),
                                 title=f"field along the NV axis {im.standoff * 1e9:.0f} nm above the surface; "
                                 f"$B_\\mathrm{{ext}}$ = {im.B_ext * 1e3:.0f} mT along the NV axis")
    return [(f"{POLLOK2025.short}, Fig. 4a, for this cell: per imaging mode (rows) its source and the field "
             "along each NV axis (columns); phase outlines drawn on the fields",
             _named(fig, "fig4a_state_of_charge_and_fields"))]


def fig_cell(cells) -> list:
    from ..cell import plot_cell
    from ..report.style import paper_style, subplots

    out = []
    for name, cell in cells.items():
        with paper_style():
            fig, ax = subplots(figsize=(PAGE_WIDTH * 0.75, PAGE_WIDTH * 0.75 * cell.grid.ny / cell.grid.nx + 0.6))
            plot_cell(cell, ax=ax)
            ax.set_title(f"cell '{name}': phases of the top layer")
        out.append((f"Cell microstructure ({name}); buried features marked", _named(fig, f"cell_phases_{name}")))
    return out


def fig4b(cfg, fields, sweep) -> list:
    t = cfg.sensor.integration_time
    limits = {f"CW ODMR, {t:g} s": cfg.sensor.cw_sensitivity / np.sqrt(t),
              f"pulsed, {t:g} s": cfg.sensor.pulsed_sensitivity / np.sqrt(t)}
    para = {name: fields[var].values for name, var in (("LixCoO2", "peak_lco_vs_B_ext"),
                                                      ("Li metal", "peak_li_vs_B_ext")) if var in fields}
    if not para and sweep is None:
        return []
    b = fields["B_ext"].values if para else np.array([cfg.imaging.B_ext])
    j = sweep["J_nominal"].values if sweep is not None else np.array([1.0])
    oe = {"Ørsted (re-solved at each current)": sweep["peak_oersted"].values} if sweep is not None else {}
    fig = _named(F.signal_vs_drive(b, para, j, oe, limits), "fig4b_signal_vs_field_and_current")
    return [(f"{POLLOK2025.short}, Fig. 4b: signal vs applied field and nominal current density, with "
             "detection limits", fig)]


def fig4c(fields) -> list:
    if "B_lco_standoff" not in fields:
        return []
    B = fields["B_lco_standoff"].values
    hs = fields["standoff"].values
    row = np.unravel_index(np.argmax(np.abs(B[0])), B[0].shape)[0]
    fig = F.standoff_dependence(hs, B[:, row], fields["x"].values, fields["peak_lco_vs_standoff"].values,
                                fields["feature_length_vs_standoff"].values)
    _named(fig, "fig4c_field_vs_standoff")
    return [(f"{POLLOK2025.short}, Fig. 4c: LixCoO2 stray field vs NV standoff (line profile through the "
             "peak; feature length ‖B‖/‖∇B‖ as the blur)", fig)]


def fig_reconstruction(cells, rec) -> list:
    dx, dy = float(rec.x[1] - rec.x[0]), float(rec.y[1] - rec.y[0])
    ext = (float(rec.x[0]) - dx / 2, float(rec.x[-1]) + dx / 2, float(rec.y[0]) - dy / 2, float(rec.y[-1]) + dy / 2)
    outlines = phase_outlines(cells["dendrite"]) if "dendrite" in cells else []
    if any(o.mask.shape != (rec.sizes["y"], rec.sizes["x"]) for o in outlines):
        outlines = []
    out = []
    if "J_true" in rec and "J_unavailable" not in rec.attrs:
        e, e0 = rec.attrs["J_relative_error"], rec.attrs["J_model_error"]
        usable = "usable" if e < 0.5 else "not usable as a map"
        out.append((f"Current density Jx from the simulated measured Ørsted map ({rec.attrs['J_method']}) beside "
                    f"the truth: relative L2 error {e:.0%} ({usable} at this noise); the same inversion of the "
                    f"noiseless map: {e0:.0%} (the 3-D current read as one uniform layer)",
                    F.truth_vs_reconstruction(rec["J_true"].sel(component="x").values,
                                              rec["J_reconstructed"].sel(component="x").values, ext,
                                              title=f"Jx: relative L2 error {e:.0%}", label="Jx", unit="mA/cm²",
                                              scale=0.1, outlines=outlines)))
        _named(out[-1][1], "reconstruction_current_density")
    if "x_li_true" in rec:
        m = rec.attrs["x_map_median_error"]
        usable = "usable" if m < USABLE_X_ERROR else f"not usable pixel by pixel (median error above {USABLE_X_ERROR})"
        out.append((f"State-of-charge map, pixel by pixel, from the fitted ODMR field beside the truth (surface "
                    f"particles): median |error| {m:.2f}, {rec.attrs['x_map_recovered_fraction']:.0%} of the pixels "
                    f"invertible — {usable}; the per-particle table below fits one χ per particle instead",
                    F.truth_vs_reconstruction(rec["x_li_true"].values, rec["x_li_reconstructed"].values, ext,
                                              title=f"Li content x: median |error| {m:.2f}", label="x", unit="",
                                              mask=None, outlines=outlines)))
        _named(out[-1][1], "reconstruction_state_of_charge")
    return out


def feasibility_table(cfg, fields) -> list[dict]:
    from ..nv.feasibility import format_field, format_time, plan

    b = f"{cfg.imaging.B_ext * 1e3:.3g} mT"
    signals = {}
    if "B_lco" in fields:
        signals[f"LixCoO2 in {b} (ours)"] = float(np.abs(fields["B_lco"]).max())
    if "B_li" in fields:
        signals[f"Li metal in {b} (ours)"] = float(np.abs(fields["B_li"]).max())
    j_img = fields.attrs.get("oersted_nominal_current_density", 0.0)  # signed, at the imaged state
    if "B_oersted" in fields and j_img != 0:  # imaged at rest: nothing to scale to other currents
        b = float(np.abs(fields["B_oersted"].sel(component="z")).max())
        signals[f"Ørsted at {j_img / 10:.3g} mA/cm² nominal (ours)"] = b
        signals["Ørsted, 10,000 mA/cm² local (ours, scaled)"] = b / abs(j_img) * 1e5
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

    if "particle" not in rec:
        return None
    rows, buried = [], set(rec.attrs.get("buried_particles", []))
    for p, a, b, sem, c, why in zip(rec["particle"].values, rec["particle_x_li_true"].values,
                                    rec["particle_x_li_reconstructed"].values, rec["particle_x_li_sem"].values,
                                    rec["particle_x_li_noiseless"].values, rec["particle_reason"].values, strict=True):
        rows.append({"particle": int(p), "where": "buried" if int(p) in buried else "surface",
                     "x true": f"{a:.3f}",
                     "x reconstructed": f"{b:.3f} ± {sem:.3f}" if np.isfinite(b) else "—",
                     "error": num(b - a, "+.3f") if np.isfinite(b) else SOC_REASONS[int(why)],
                     "x from noiseless field": num(c), "model error": num(c - a, "+.3f")})
    return rows


def grid_warnings(cells) -> list[str]:
    """What the grid cannot resolve of the requested cell, and what was used instead."""
    out = []
    cell = cells["dendrite"]
    g = cell.grid
    spec = cell.attrs.get("spec") or {}
    voxel = min(g.dy, g.dx) if g.nz == 1 else min(g.spacing)
    gb, gb_eff = float(spec.get("gb_thickness") or 0.0), float(cell.attrs.get("gb_thickness_effective") or 0.0)
    if gb and gb_eff > 1.5 * gb:
        garnet = cell.mask(["llzo", "llzo_gb"]).sum()
        share = cell.mask("llzo_gb").sum() / max(garnet, 1)
        out.append(f"grain boundaries of {gb * 1e9:.0f} nm cannot be resolved on {voxel * 1e9:.0f} nm voxels: they "
                   f"are drawn {gb_eff * 1e9:.0f} nm wide and fill {share:.0%} of the garnet, each voxel keeping "
                   "the physical boundary's conductance (Wiener mix); a finer voxel draws them thinner"
                   + (f", at a cost: 150 nm voxels would be {(voxel / 150e-9) ** (3 if g.nz > 1 else 2):.0f}× "
                      "as many, and the charge's time grows about as the voxels (the trade-off this grid takes)"
                      if voxel > 1.5 * 150e-9 else ""))
    cap, layers = float(spec.get("cap_thickness") or 0.0), cell.attrs.get("cap_layers")
    if cap and layers and g.nz > 1 and not np.isclose(layers * g.dz, cap, rtol=0.2):
        out.append(f"the {cap * 1e9:.0f} nm capping layer is drawn as {layers} layer(s) of {g.dz * 1e9:.0f} nm "
                   f"({layers * g.dz * 1e9:.0f} nm)")
    return out


def simulated_table(cfg, cells, charges, datasets, elapsed: float | None) -> list[dict]:
    """The 'what was simulated' header: cell, phases, materials and their sources, protocol as run,
    imaging, sensor, date and run time."""
    from ..cell import metrics

    cell = cells["dendrite"]
    g = cell.grid
    size = " × ".join(f"{n * d * 1e6:.3g}" for n, d in zip(g.shape[::-1], g.spacing[::-1], strict=True))
    c = cfg.cell
    name = f"imported labels {c.labels}" if c.imported else f"cell file {c.file}" if c.file else f"preset {c.preset}"
    fields = datasets.get("fields")
    depth = (f"; one layer (a 2-D section): its fields are those of the section extruded "
             f"{fields.attrs['source_thickness'] * 1e6:.3g} µm in depth (source_thickness)"
             if g.nz == 1 and fields is not None else "")
    rows = [{"item": "cell", "value": f"{name}: {size} µm (x × y × z), voxels "
             f"{g.dx * 1e9:.0f} nm, grid {' × '.join(map(str, g.shape))} (z, y, x); 1C of this loading "
             f"{metrics.c_rate_current_density(cells.get('pristine', cell)) / 10:.3g} mA/cm² (paper: 0.94)"
             + depth}]
    wired, total = cathode_wiring(cells.get("pristine", cell))
    rows.append({"item": "LixCoO2 wired to the positive terminal", "value": f"{wired} of {total} voxels "
                 f"({wired / max(total, 1):.0%})" + (f"; the other {total - wired} have no electronic path to it "
                                                     "and never charge (the 1C above counts them)"
                                                     if wired < total else "")})
    fractions = metrics.phase_fractions(cell)
    rows.append({"item": "phases (volume fraction)", "value": ", ".join(
        f"{p} {f:.1%}" for p, f in fractions.items() if f > 0)})
    for phase, name in sorted(cell.material_of.items()):
        if phase == "void" or fractions.get(phase, 0) == 0:
            continue
        try:
            mat = materials.get(name)
        except KeyError:
            continue
        assumed = sorted(k for k, prop in mat.properties.items() if prop.assumption)
        rows.append({"item": f"material of {phase}", "value": f"{name}" + (
            f" — assumed: {', '.join(assumed)}" if assumed else "")})
    for s in cfg.charge:
        ds = charges[s.name]
        t_end = float(ds["t"].values[-1]) if ds.sizes["t"] else 0.0
        if s.steps is None:
            what = f"{s.nominal_current_density / 10:.3g} mA/cm² for {t_end:.4g} s of {s.duration:.4g} s asked"
        else:
            limit = f", limit {s.duration:.4g} s" if np.isfinite(s.duration) else ""
            what = (f"protocol {'; '.join(s.steps)} (× {s.cycles}{limit}): ran {t_end:.4g} s over "
                    f"{ds.sizes.get('protocol_step', 0)} steps")
        rows.append({"item": f"step {s.name}", "value": f"{what} ({ds.attrs.get('termination', '')}), ends at "
                     f"{float(ds['cell_voltage'][-1]):.3f} V" + (", with the dendrite" if s.dendrite else "")})
    im, se = cfg.imaging, cfg.sensor
    imaged = []  # which state of each imaged step (its last snapshot), with the current there
    for what, name, mode in (("state imaged in B_ext", im.susceptometry_step, "susceptometry"),
                             ("currents imaged", im.oersted_step, "oersted")):
        if mode in im.modes:
            j, state = imaged_state(step_named(cfg, name), charges[name])
            imaged.append(f"; {what}: {name}, {state}" + (f", at {j / 10:+.3g} mA/cm²" if mode == "oersted" else ""))
    rows.append({"item": "imaging", "value": f"modes {', '.join(im.modes)}; B_ext {im.B_ext * 1e3:.4g} mT along each "
                 f"NV axis ({', '.join(im.nv_orientations)}); standoff {im.standoff * 1e9:.4g} nm"
                 + "".join(imaged)})
    meas = datasets.get("measurement")
    noise = f"; simulated CW noise {meas.attrs['noise_cw'] * 1e6:.3g} µT per pixel" if meas is not None else ""
    rows.append({"item": "sensor", "value": f"{se.kind} NV, CW {se.cw_sensitivity * 1e6:.3g} µT/√Hz, pulsed "
                 f"{se.pulsed_sensitivity * 1e9:.3g} nT/√Hz, {se.integration_time:g} s per pixel{noise}"})
    rows.append({"item": "reconstruction", "value": f"current: {cfg.reconstruction.regularisation}; window "
                 f"cut-off {cfg.reconstruction.window_cutoff:g} × standoff"})
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows.append({"item": "run", "value": f"operando {__version__}, seed {cfg.seed}, {when}"
                 + (f", {elapsed:.0f} s" if elapsed is not None else "")})
    return rows


def build_report(cfg, cells, charges, datasets, claims, folder: Path, elapsed: float | None = None,
                 warnings: list[str] = ()) -> Path:
    fields, meas, rec = datasets["fields"], datasets["measurement"], datasets["reconstruction"]
    sections = []

    def section(title, text, figs, table=None):
        pngs = [(cap, _save(fig, folder, fig.get_label() or f"{len(sections)}_{k}"))
                for k, (cap, fig) in enumerate(figs)]
        sections.append(Section(title, text, pngs, table))

    section("The cell", f"The imported labelled volume {cfg.cell.labels.name}, as voxels (top layer of a 3-D "
            "volume), charged as it is drawn." if cfg.cell.imported else
            f"The Li | LLZO | LixCoO2 cell of {POLLOK2025.short}, Fig. 4a, as voxels (top layer of a 3-D "
            "cell). Its phases and materials are the paper's; its sizes are assumptions (see 'What was simulated').",
            fig_cell({"imported": cells["pristine"]} if cfg.cell.imported else cells))
    section("Multimodal magnetic images", "Electrochemistry → magnetic sources → fields on the NV plane.",
            fig4a(cfg, cells, charges, fields))
    section("Signal strength", "Paramagnetic signals against the applied field; the Ørsted signal against the "
            "nominal current density, each current solved anew.",
            fig4b(cfg, fields, datasets.get("oersted_sweep")) + fig4c(fields))
    noise = f"Simulated measurement: CW noise {meas.attrs['noise_cw'] * 1e9:.0f} nT per pixel after fitting the " \
        "ODMR spectra. " if "noise_cw" in meas.attrs else ""
    if "J_unavailable" in rec.attrs:
        noise += f"Current density: {rec.attrs['J_unavailable']}. "
    section("Reconstruction", f"Noiseless round trips (the same kernel both ways, exact by construction): J "
            f"{rec.attrs['J_roundtrip_error']:.1e}, M {rec.attrs['M_roundtrip_error']:.1e} (relative L2). {noise}"
            "The maps invert the simulated measurement pixel by pixel as one uniform layer; the table fits one "
            "susceptibility per particle with the microstructure known in depth (as tomography of the same cell "
            "gives it).", fig_reconstruction(cells, rec), table=particle_soc_table(rec))
    section("Feasibility", "Integration time to see each signal at SNR 3 with each technique "
            "(signals from this run; technique numbers with sources in operando.nv.feasibility).", [],
            table=feasibility_table(cfg, fields))
    meta = {"operando": __version__, "seed": cfg.seed, "paper": POLLOK2025.citation}
    intro = Section("What was simulated", "", table=simulated_table(cfg, cells, charges, datasets, elapsed))
    return write_report(folder / "report.html", "operando — magnetic imaging of a Li|LLZO|LixCoO2 cell",
                        meta, claims, sections, warnings=list(warnings), intro=intro,
                        claims_source=POLLOK2025.short)
