"""The Compton-imaging experiment of Huang et al., J. Phys. Energy 2025, end to end, on the twin.

:func:`run_huang2025` runs the paper's protocol on the PEO-LiTFSI | NMC622 | Li section at 0.1 C and 1 C
(60 °C; charge to 4.3 V, discharge to 3.0 V), puts the cathode's Li profile at four states (t = 0 and
the ends of the protocol's steps, read from the run's step log) into the coin-cell scene, records Poisson frames of
the three sheet-beam regions through the pinhole and the CdZnTe model, separates the cathode's
spectrum (Eq. 2–3), computes EMR ± σ, and reads x back through two calibrations:

* the *model* calibration — the same simulated pipeline at known uniform x (what a user would build
  from reference samples), which is what a reconstruction on this twin must use;
* the paper's empirical Table 1 line — applied to simulated EMRs it cannot give the truth, because
  free-atom Compton profiles change EMR ~20× less with x than that line says (reported, not hidden).

Stages are cached in ``out_dir`` (NetCDF); figures are PNG; claims X1–X3 are rows with verdicts
(reproduced / differs / by construction) in ``claims.json``. Of the paper's imaged states,
"charging (3.7 V)" and "discharging (3.7 V)" of Table 1 are not simulated.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import xarray as xr

from ..io import atomic_write_bytes, atomic_write_text, load_dataset, save_dataset
from ..papers import HUANG2025
from ..report.maps import map_panel
from ..report.style import DPI, PAGE_WIDTH, styled
from .calibration import EMRCalibration, default_calibration, sensitivity_report
from .cell import CellStack, huang2025_scene, region_beam_centres
from .charge import cathode_profile, charge_huang2025, huang2025_protocol, step_end_profiles
from .decomposition import anode_fractions, decompose_regions
from .detector import hexitec
from .emr import emr
from .forward import Geometry, _pixel_columns, expected_spectra
from .kinematics import compton_energy, window_energies
from .lithium_map import lithium_map

__all__ = ["run_huang2025"]

EDGES = np.linspace(15e3, 125e3, 2049)
CENTRES = 0.5 * (EDGES[1:] + EDGES[:-1])
STATES = ("pristine", "charging (4.0 V)", "end of charge (4.3 V)", "end of discharge (3.0 V)")
END_OF_CHARGE = STATES[2]
#: the step of :func:`~operando.xray.charge.huang2025_protocol` whose end each state is (pristine: t = 0)
STATE_STEPS = {"charging (4.0 V)": 0, "end of charge (4.3 V)": 1, "end of discharge (3.0 V)": 2}
RATES = (0.1, 1.0)
PRISTINE_X = 0.99  # x_init of the charged section (operando.xray.charge.huang2025_charge_model)
CALIBRATION_X = (0.25, 0.4, 0.55, 0.7, 0.85, 1.0)
PAPER_X = {("0.1C", "pristine"): 1.01, ("0.1C", "end of charge (4.3 V)"): 0.26,
           ("0.1C", "end of discharge (3.0 V)"): 0.91,
           ("1C", "pristine"): 1.01, ("1C", "end of charge (4.3 V)"): 0.66,
           ("1C", "end of discharge (3.0 V)"): 0.91}  # Table 1, seed 002 L182-L186


def _cached(path: Path, make):
    if path.exists():
        return load_dataset(path)
    ds = make()
    ds.attrs["references"] = HUANG2025.citation
    save_dataset(ds, path)
    return ds


def _state_profiles(ds) -> dict[str, np.ndarray]:
    """Cathode Li profile (SPE side → collector) at t = 0 and at the end of each step of
    :data:`STATE_STEPS` that the run's step log holds."""
    ends = step_end_profiles(ds)
    states = {STATES[0]: cathode_profile(ds)[0]}
    return states | {s: ends[k] for s, k in STATE_STEPS.items() if k < len(ends)}


def _digest(obj) -> str:
    """Short key of what a cached file was made from (its name carries it: a changed input is a new file)."""
    data = obj.tobytes() if isinstance(obj, np.ndarray) else json.dumps(obj, sort_keys=True).encode()
    return hashlib.sha1(data).hexdigest()[:8]


class _Camera:
    """Region spectra of one scene: cathode-disc pixels summed, and 4 × 4 super-pixels."""

    def __init__(self, stack: CellStack, voxel_xy: float, voxel_z: float, exposure_s: float):
        self.stack, self.voxel_xy, self.voxel_z = stack, voxel_xy, voxel_z
        self.det = hexitec()
        self.centres = region_beam_centres(stack)
        self.exposure_s = exposure_s
        probe = huang2025_scene(voxel_xy, voxel_z, stack)
        size, cx, cy, u_x = _pixel_columns(Geometry(), probe.grid, self.det.n_pixels, self.det.pixel_pitch_m)
        v_y = cy - (np.arange(self.det.n_pixels) + 0.5 - self.det.n_pixels / 2) * size
        r = np.hypot(v_y[:, None] - cy, u_x[None, :] - cx)
        self.mask = r < stack.r_cathode - 0.5e-3  # pixels that see cathode only, clear of the edge blur
        anode = probe.fractions[probe.materials.index("Li")][:, probe.grid.ny // 2, probe.grid.nx // 2]
        self.alpha, self.beta = anode_fractions(anode, probe.grid.z, self.centres, 0.25e-3)

    def expected(self, profile, region: int) -> np.ndarray:
        scene = huang2025_scene(self.voxel_xy, self.voxel_z, self.stack, li_content=profile)
        geom = Geometry(beam_z=self.centres[region], exposure_s=self.exposure_s)
        return expected_spectra(scene, geom, EDGES, self.det)


def _superpixels(frame: np.ndarray, k: int = 4) -> np.ndarray:
    n = frame.shape[0] // k
    return frame[: n * k, : n * k].reshape(n, k, n, k, -1).sum(axis=(1, 3))


def run_huang2025(out_dir, *, exposure_s: float = 600.0, voxel_xy: float = 0.25e-3, voxel_z: float = 10e-6,
                  seed: int = 0, rates=RATES) -> dict:
    """Run the experiment; write datasets, figures and claims to ``out_dir``; return a summary dict."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cam = _Camera(CellStack(), voxel_xy, voxel_z, exposure_s)
    # cached images depend on the voxels and the exposure: their file names carry a key of both
    key = _digest([voxel_xy, voxel_z, exposure_s])
    charges = {r: _cached(out / f"charge_{r:g}C_{_digest(huang2025_protocol(r).to_dict())}.nc",
                          lambda r=r: charge_huang2025(r)) for r in rates}

    # regions 2 and 3 see no cathode: one expected image each serves every state
    def region_images():
        r2, r3 = cam.expected(1.0, 1), cam.expected(1.0, 2)
        expected = {"units": "counts", "long_name": "expected counts"}
        return xr.Dataset({"R2": (("v", "u", "energy"), r2, expected), "R3": (("v", "u", "energy"), r3, expected)},
                          coords={"energy": ("energy", CENTRES, {"units": "eV"})})
    fixed = _cached(out / f"regions23_expected_{key}.nc", region_images)
    r2e, r3e = fixed["R2"].values, fixed["R3"].values

    def calibration_set():
        rows = [cam.expected(x, 0)[cam.mask].sum(axis=0) for x in CALIBRATION_X]
        expected = {"units": "counts", "long_name": "expected counts"}
        return xr.Dataset({"R1": (("x_li", "energy"), np.array(rows), expected)},
                          coords={"x_li": ("x_li", list(CALIBRATION_X), {"units": "1"}),
                                  "energy": ("energy", CENTRES, {"units": "eV"})})
    cal_ds = _cached(out / f"calibration_expected_{key}.nc", calibration_set)

    def cathode_emr(r1, r2, r3, var=None):
        sep = decompose_regions(r1, r2, r3, cam.alpha, cam.beta, variances=var)
        return emr(sep.cathode, EDGES, variance=sep.cathode_variance if var is not None else np.zeros_like(r1)), sep

    r2s, r3s = r2e[cam.mask].sum(axis=0), r3e[cam.mask].sum(axis=0)
    cal_emr = np.array([float(cathode_emr(row, r2s, r3s)[0].value) for row in cal_ds["R1"].values])
    model_cal = EMRCalibration(cal_emr, np.array(CALIBRATION_X), model="table", version="operando-free-atom-v1",
                               source="simulated: this forward model (free-atom profiles, HEXITEC model) at uniform x")
    paper_cal = default_calibration()

    results, spectra_rows, maps = [], {}, {}
    for rate in rates:
        tag = f"{rate:g}C"
        for state, prof in _state_profiles(charges[rate]).items():
            name = f"{tag}|{state}"
            exp1 = _cached(out / f"r1_{tag}_{_digest(prof)}_{key}.nc", lambda p=prof: xr.Dataset(
                {"R1": (("v", "u", "energy"), cam.expected(p, 0), {"units": "counts"})},
                coords={"energy": CENTRES}))["R1"].values
            if state == END_OF_CHARGE:  # mapped pixel by pixel: whole frames
                frames = [rng.poisson(e).astype(float) for e in (exp1, r2e, r3e)]
                sums = [f[cam.mask].sum(axis=0) for f in frames]
            else:  # only the masked sums are used; a sum of independent Poisson counts is Poisson of the summed mean
                sums = [rng.poisson(e).astype(float) for e in (exp1[cam.mask].sum(axis=0), r2s, r3s)]
            value, sep = cathode_emr(*sums, var=sums)
            x_model, sx_model = model_cal.to_x(value.value, value.sigma)
            x_paper, sx_paper = paper_cal.to_x(value.value, value.sigma)
            results.append({"rate": tag, "state": state, "x_true": float(np.mean(prof)),
                            "emr": float(value.value), "emr_sigma": float(value.sigma),
                            "x_model_cal": float(x_model), "x_model_sigma": float(sx_model),
                            "x_paper_cal": float(x_paper), "x_paper_sigma": float(sx_paper),
                            "x_paper_table1": PAPER_X.get((tag, state))})
            spectra_rows[name] = (sums, sep.cathode)
            if state == END_OF_CHARGE:
                xmap = lithium_map(*frames, EDGES, cam.alpha, cam.beta, calibration=model_cal, detector=cam.det)
                inside = _superpixels(cam.mask[..., None].astype(float))[..., 0]
                maps[tag] = (xmap["x_li"].values, xmap["x_li_sigma"].values, float(np.mean(prof)), inside)

    claims = _claims(results, spectra_rows, model_cal, cal_emr, cam)
    figures = _figures(out, spectra_rows, results, model_cal, paper_cal, maps)
    _save_results(out, results, spectra_rows, claims, model_cal)
    return {"results": results, "claims": claims, "figures": figures, "alpha": cam.alpha, "beta": cam.beta,
            "model_calibration": {"emr": cal_emr.tolist(), "x": list(CALIBRATION_X)}}


def _claims(results, spectra_rows, model_cal, cal_emr, cam) -> list[dict]:
    """X1–X3 of the shared claim list, with verdicts."""
    r3 = next(iter(spectra_rows.values()))[0][2]
    near = (CENTRES > 90e3) & (CENTRES < 98e3)
    e_peak = float(np.sum(CENTRES[near] * r3[near]) / np.sum(r3[near]))  # centroid of the Li Compton peak
    lines = {}
    for e_paper in (22.9e3, 26.1e3, 27.2e3, 31.0e3):
        win = np.abs(CENTRES - e_paper) < 400
        lines[e_paper / 1e3] = float(CENTRES[win][np.argmax(r3[win])] / 1e3)
    slope_model = float(np.polyfit(CALIBRATION_X, cal_emr, 1)[0])
    sens = sensitivity_report()
    paper_slope = 1.0 / default_calibration().slope
    table1_res = float(np.max(np.abs(default_calibration().to_x(default_calibration().emr_points)[0]
                                     - default_calibration().x_points)))
    ok_x = [r for r in results if abs(r["x_model_cal"] - r["x_true"]) <= 3 * r["x_model_sigma"] + 0.02]
    # Table 1 (L182-L186): the cathode nearly refilled at the end of discharge (3 V), x = 0.91 at both rates
    refilled = "; ".join(f"{r['rate']}: x = {r['x_true']:.2f} in the twin, {r['x_model_cal']:.2f} ± "
                         f"{r['x_model_sigma']:.2f} read back, {r['x_paper_table1']:.2f} in Table 1"
                         for r in results if r["state"] == STATES[3])
    return [
        {"id": "X1", "claim": "Compton peak of 115 keV at 90° at 93.9 keV (Eq. 4); Cd and Te lines at 22.9, 26.1,"
         " 27.2, 31.0 keV", "paper": "93.9 keV; 22.9/26.1/27.2/31.0 keV",
         "ours": f"Eq. 4: {compton_energy(115e3, np.pi / 2) / 1e3:.2f} keV; centroid of the simulated Li peak "
                 f"{e_peak / 1e3:.2f} keV; detector lines at " + ", ".join(f"{v:.2f}" for v in lines.values()),
         "verdict": "reproduced" if abs(e_peak - 93.9e3) < 150 else "differs",
         "where": f"{HUANG2025.short}, L132–L138, L159",
         "note": "peak: measured on the simulated frame (Doppler broadening, ±6° of angles across the field, "
                 "800 eV resolution) within 0.15 keV. Lines: xraydb energies (by construction); the simulated "
                 "Kα1/Kα2 blends peak 0.2-0.3 keV above the paper's 22.9 and 27.2 keV, which are the Kα2 "
                 "energies (22.98, 27.20 keV) — within a third of the 800 eV resolution"},
        {"id": "X2", "claim": "EMR (|p_z| < 1 over 1 < |p_z| < 5 a.u.) maps linearly to x of LixNMC622 (Table 1)",
         "paper": f"dEMR/dx = {paper_slope:.2f} (Table 1 fit)",
         "ours": f"free-atom impulse approximation: dEMR/dx = {sens['dEMR_dx_first_principles']:.3f} (bare "
                 f"NMC622), {slope_model:.3f} through the simulated experiment (detector, decomposition); "
                 f"Table 1 through the versioned calibration: max |Δx| = {table1_res:.3f}",
         "verdict": "differs", "where": f"{HUANG2025.short}, L168–L186",
         "note": "EMR is defined and computed exactly as stated; the calibration reproduces Table 1 by "
                 "construction (a fit). Free-atom Compton profiles give a ~20x weaker EMR(x): the paper's line is "
                 "empirical (solid-state valence profiles, set-up), not a prediction of this physics. With the "
                 f"model's own calibration x is read back within 3σ + 0.02 in {len(ok_x)}/{len(results)} states."
                 + (f" End of discharge (3.0 V) after the charge to 4.3 V: {refilled}." if refilled else "")},
        {"id": "X3", "claim": "Region decomposition I_s = I_R2 − α I_R3, I_c = I_R1 − I_s − β I_R3",
         "paper": "Eq. 2-3", "ours": f"exact on synthetic spectra (machine precision, tests); α = {cam.alpha:.3f}, "
                                     f"β = {cam.beta:.3f} from the scene's anode fractions",
         "verdict": "by construction", "where": f"{HUANG2025.short}, L120–L128",
         "note": "linear algebra; on the simulated frames it separates the cathode up to the SPE/anode attenuation "
                 "differences between regions (tests/xray/test_compton_forward.py)"},
    ]


@styled
def _figures(out: Path, spectra_rows, results, model_cal, paper_cal, maps) -> list[str]:
    from ..report.style import subplots

    names = []
    key = next(k for k in spectra_rows if k.endswith(END_OF_CHARGE))
    (r1, r2, r3), cath = spectra_rows[key]
    fig, ax = subplots(figsize=(PAGE_WIDTH * 0.7, 2.8))
    for lab, s in (("region 1", r1), ("region 2", r2), ("region 3", r3), ("cathode (Eq. 2-3)", cath)):
        ax.semilogy(CENTRES / 1e3, np.clip(s, 1e-1, None), label=lab, lw=0.8)
    w = window_energies(115e3, np.pi / 2, [-5, -1, 1, 5]) / 1e3
    ax.axvspan(w[1], w[2], color="C2", alpha=0.15, label="|p_z| < 1 a.u.")
    ax.axvspan(w[0], w[1], color="C3", alpha=0.1, label="1 < |p_z| < 5 a.u.")
    ax.axvspan(w[2], w[3], color="C3", alpha=0.1)
    ax.set(xlabel="energy (keV)", ylabel="counts per bin", title=f"spectra, {key}")
    ax.legend()
    names.append(_save(out / "spectra_windows.png", fig))

    fig, ax = subplots(figsize=(PAGE_WIDTH * 0.5, 2.8))
    xs = np.linspace(0.2, 1.05, 50)
    ax.plot(model_cal.x_points, model_cal.emr_points, "o-", label="model calibration (simulated)")
    ax.plot(xs, paper_cal.to_emr(xs), "--", label="Huang et al. 2025 Table 1 fit")
    for r in results:
        ax.errorbar(r["x_true"], r["emr"], yerr=r["emr_sigma"], fmt="k.", ms=4)
    ax.set(xlabel="x in LixNi0.6Mn0.2Co0.2O2", ylabel="EMR", title="EMR vs Li content")
    ax.legend()
    names.append(_save(out / "emr_vs_li_content.png", fig))

    if maps:
        fig, axes = subplots(1, len(maps), figsize=(PAGE_WIDTH * 0.45 * len(maps), 2.8), squeeze=False)
        for k, (ax, (tag, (xm, sxm, truth, inside))) in enumerate(zip(axes[0], maps.items(), strict=True)):
            img = np.where(inside > 15, xm, np.nan)
            # superpixels of the detector frame, drawn in their own indices (row 0 at the top)
            map_panel(ax, img, None, kind="positive", vlim=(0.2, 1.05), label="x", origin="upper",
                      colorbar=k == len(maps) - 1,
                      title=f"x, {tag} end of charge\ntruth {truth:.2f}, median σ {np.nanmedian(sxm):.2f}")
        names.append(_save(out / "li_content_maps_end_of_charge.png", fig))
    return names


def _save(path: Path, fig) -> str:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())
    return path.name


def _save_results(out: Path, results, spectra_rows, claims, model_cal) -> None:
    keys = list(spectra_rows)
    data = np.array([[*spectra_rows[k][0], spectra_rows[k][1]] for k in keys])
    ds = xr.Dataset({"counts": (("state", "signal", "energy"), data, {"units": "counts"})},
                    coords={"state": keys, "signal": ["R1", "R2", "R3", "cathode"], "energy": CENTRES})
    ds["energy"].attrs["units"] = "eV"
    ds.attrs["source"] = "operando.xray.experiment.run_huang2025 (Huang et al., J. Phys. Energy 2025 set-up)"
    ds.attrs["references"] = HUANG2025.citation
    save_dataset(ds, out / "spectra.nc")
    atomic_write_text(out / "results.json", json.dumps(results, indent=1))
    atomic_write_text(out / "claims.json", json.dumps(claims, indent=1))
    atomic_write_text(out / "calibration_model.json", json.dumps(
        {"version": model_cal.version, "emr": model_cal.emr_points.tolist(), "x": model_cal.x_points.tolist(),
         "source": model_cal.source}, indent=1))
