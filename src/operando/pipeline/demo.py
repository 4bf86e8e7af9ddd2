"""``operando demo``: the experiment of Pollok et al., Nat. Commun. 2025, at its conditions, finishing in
well under three minutes on two cores (a 2-D section of the cell); ``--3d`` runs the volume."""

from __future__ import annotations

from pathlib import Path

from .config import RunConfig

#: voxel edges (m) of the 2-D section: the demo, ``--full``
SECTION_VOXEL, FULL_SECTION_VOXEL = 250e-9, 100e-9
#: voxel edge (m) of ``--3d --full``, its layers keeping the volume's 4 µm depth; ``--3d`` uses the
#: configuration's default volume (8 × 500 nm)
FULL_VOXEL = 250e-9


def demo_config(out, *, full: bool = False, voxel: float | None = None, volume: bool = False,
                nz: int | None = None) -> RunConfig:
    """The default :class:`RunConfig` — the paper's C/10, 1C, 5C for 4 min and 25C with a dendrite;
    100 mT; 50 nm; three NV orientations — on a 2-D section of the cell (35 s on two cores), or with
    ``volume`` on the configuration's volume, 8 layers of 500 nm (about 1 min on two cores); ``full``
    at finer voxels (the volume: 16 layers of 250 nm, the same depth). ``voxel`` (m) and ``nz``
    override the grid."""
    base = RunConfig()
    if volume:
        depth = base.cell.voxel * base.cell.nz
        update = {"voxel": FULL_VOXEL, "nz": round(depth / FULL_VOXEL)} if full else {}
    else:
        update = {"voxel": FULL_SECTION_VOXEL if full else SECTION_VOXEL, "nz": 1}
    if voxel is not None:
        update["voxel"] = voxel
    if nz is not None:
        update["nz"] = nz
    return base.model_copy(update={"out": Path(out), "cell": base.cell.model_copy(update=update)})


#: the experiments ``operando demo --experiment`` runs: Pollok et al. 2025 (NV magnetometry, the
#: cached pipeline of :mod:`.run`) and the instrument runs of the other papers
EXPERIMENTS = ("pollok2025", "huang2025", "liu2025")


def run_instrument_experiment(name: str, out) -> tuple[Path, list]:
    """Run an instrument's own experiment into ``out`` — ``huang2025``: X-ray Compton imaging of
    Huang et al., J. Phys. Energy 2025; ``liu2025``: 7Li NMR and MRI of Liu et al., Nat. Mater. 2025 —
    write ``report.html`` with its figures and claims; return the report's path and the claims."""
    from ..errors import InputError
    from ..papers import HUANG2025, LIU2025
    from ..report import Claim, Section, write_report

    out = Path(out)
    if name == "huang2025":
        from ..xray.experiment import run_huang2025

        summary, paper = run_huang2025(out), HUANG2025
        title = "operando — X-ray Compton imaging of a PEO|NMC622|Li cell"
        from ..report import figure_png
        from ..xray.ct.figures import ct_protocol_figures

        ct = _cached_ct(out)
        claims = [Claim(c["id"], c["claim"], c["paper"], c["ours"], c["verdict"], c.get("where", ""),
                        c.get("note", "")) for c in summary["claims"]] + [_roughness_claim(ct)]
        sections = [Section("Compton imaging", "", [(f, (out / f).read_bytes()) for f in summary.get("figures", [])]),
                    Section("CT of the interfaces over the 0.1C protocol", "Simulated tomography (240 views, 1e7 "
                            "photons per pixel, FBP) of the plating/stripping interface model (assumed parameters).",
                            [(cap, figure_png(fig)) for cap, fig in ct_protocol_figures(ct)])]
    elif name == "liu2025":
        from ..nmr.mri.experiment import run_liu2025

        result, paper = run_liu2025(out), LIU2025
        title = "operando — NMR and MRI of lithium metal in a Li|LLZO|Li cell"
        claims, sections = result.claims, [result.section()]
    else:
        raise InputError(f"experiment: unknown {name!r}; choose one of {', '.join(EXPERIMENTS)}")
    report = write_report(out / "report.html", title, {"paper": paper.citation}, claims, sections,
                          claims_source=paper.short)
    return report, claims


#: the CT of the huang2025 run: the 0.1C protocol, 240 views, 1e7 photons per detector pixel
CT_SCAN = {"rate": "0.1C", "nz": 160, "photons": 1e7, "n_angles": 240}


def _cached_ct(out: Path):
    """The CT of the interface model over the protocol (:data:`CT_SCAN`), a cached stage of the run."""
    from ..papers import HUANG2025
    from ..xray.ct.figures import ct_of_protocol
    from .cache import StageCache, stage_key
    from .lock import FolderLock

    with FolderLock(out):
        cache = StageCache(out, references=HUANG2025.citation)
        return cache.get("ct_protocol", stage_key("ct_protocol", CT_SCAN), lambda: ct_of_protocol(**CT_SCAN))


def _roughness_claim(ct):
    """Claim X4 of Huang et al. 2025 (Table 2): the interface roughness Ra over a 0.1C protocol,
    from the plating/stripping interface model as the simulated CT measures it."""
    from ..papers import HUANG2025
    from ..report import DIFFERS, REPRODUCED, Claim
    from ..xray.ct.figures import x4_rows_of

    rows = x4_rows_of(ct)

    def fmt(row):
        v = float(row["ours"])
        return f"{v:.2f}" if "ratio" in row["claim"] else f"{v:+.1%}"

    ours = "; ".join(f"{r['claim'].removeprefix('X4 ')}: {fmt(r)} ({r['verdict']})" for r in rows)
    failed = [f"{r['claim'].removeprefix('X4 ')}: {r['reason']}" for r in rows if r["verdict"] == "differs"]
    note = ("Ra (ISO 4287) of the anode and cathode interfaces measured on simulated CT (240 views, 1e7 photons, "
            "FBP, segmentation) of the interface model; its parameters are assumptions (operando.xray.ct."
            "evolution). " + ("not met: " + "; ".join(failed) if failed else "all parts met"))
    return Claim("X4", "anode Ra rises 6.1 % on plating and 13.4 % on stripping at 0.1C; anode Ra 1.7–2.5× the "
                 "cathode's", "+6.1 %, +13.4 %; ratio 1.7–2.5", ours, DIFFERS if failed else REPRODUCED,
                 f"{HUANG2025.short}, L142, L201, Table 2", note)
