"""Figures of the feasibility planner (Pollok et al., Nat. Commun. 2025, Fig. 4b, 4c, 5b), each a
function of the plan's settings (signals, target SNR, pixels per image, feature size) returning a
Figure in the shared style; :func:`save_all` writes them as ``operando plan --plots`` does."""

from __future__ import annotations

import numpy as np

from ..report.style import PAGE_WIDTH, styled
from . import feasibility as fz
from .sensitivity import field_noise, integration_time

#: right end (s) of the time axis of the plan: longer (or never reached) times end there
TIME_AXIS_END = 1e10

#: a light box behind line labels so that curves crossing them do not hide them
LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.4}


def _figure(width=PAGE_WIDTH / 2 + 0.4, height=2.6):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def detection_limit(technique, target_snr=1.0, time=1.0) -> float:
    """Smallest field (T) ``technique`` sees at ``target_snr`` in ``time`` s: SNR · η / √t."""
    return float(target_snr * field_noise(technique.sensitivity, time))


def _limits(ax, target_snr=1.0, time=1.0):
    for k, t in enumerate(fz.TECHNIQUES[:2]):
        lim = detection_limit(t, target_snr, time)
        ax.axhline(lim, ls=("--", ":")[k], lw=0.9, color="0.35")
        ax.annotate(f"{t.name}, SNR {target_snr:g} in {time:g} s", (0.02, lim), xycoords=("axes fraction", "data"),
                    va="bottom", fontsize=6.5, color="0.25", bbox=LABEL_BOX)


def _signal_lines(ax, signals):
    """Horizontal lines at the user's signals (T), named at the right."""
    for k, (name, s) in enumerate((signals or {}).items()):
        ax.axhline(abs(s), color=f"C{(k + 3) % 8}", lw=1.0, ls="-.")
        ax.annotate(fz.signal_label(name), (0.98, abs(s)), xycoords=("axes fraction", "data"), ha="right", va="bottom",
                    fontsize=6.5, color=f"C{(k + 3) % 8}", bbox=LABEL_BOX)


@styled
def plot_signal_vs_field(applied_field=None, *, signals=None, target_snr=1.0):
    """Paramagnetic signals of LixCoO2 and Li metal vs applied field, with the detection limits at
    ``target_snr`` and the ``signals`` (name → T) of the plan."""
    b = np.linspace(0.01, 1.0, 100) if applied_field is None else np.asarray(applied_field, float)
    fig, ax = _figure()
    ax.plot(b * 1e3, fz.paramagnetic_signal(b), label="LixCoO2 (Pollok et al. 2025)")
    ax.plot(b * 1e3, fz.paramagnetic_signal(b, fz.LI_METAL_SIGNAL), label="Li metal (Pollok et al. 2025)")
    _limits(ax, target_snr)
    _signal_lines(ax, signals)
    ax.set(xlabel="applied field (mT)", ylabel="stray field at 50 nm (T)", yscale="log")
    fig.legend(loc="outside lower center", ncols=2)
    return fig


@styled
def plot_signal_vs_current(current_density=None, *, signals=None, target_snr=1.0):
    """Ørsted signal band (1–5 nT at 23.5 mA/cm², Pollok et al. 2025) vs current density, with the
    detection limits at ``target_snr`` and the plan's ``signals``."""
    j = np.logspace(1, 6, 100) if current_density is None else np.asarray(current_density, float)
    fig, ax = _figure()
    lo, hi = (fz.oersted_signal(j, s) for s in fz.OERSTED_SIGNAL_RANGE)
    ax.fill_between(j / fz.MA_PER_CM2, lo, hi, alpha=0.5, label="Ørsted field at 50 nm")
    ax.axvspan(*(np.array(fz.LOCAL_J_RANGE) / fz.MA_PER_CM2), color="0.92", zorder=0, label="local J near dendrites")
    _limits(ax, target_snr)
    _signal_lines(ax, signals)
    ax.set(xlabel="current density (mA/cm²)", ylabel="field (T)", xscale="log", yscale="log")
    fig.legend(loc="outside lower center", ncols=2)
    return fig


@styled
def plot_integration_time(current_density=None, target_snr=1.0):
    """Integration time per pixel for the Ørsted signal vs local current density (Pollok et al. 2025)."""
    j = np.logspace(2, 6, 100) if current_density is None else np.asarray(current_density, float)
    fig, ax = _figure()
    for t in fz.TECHNIQUES[:2]:
        ax.plot(j / fz.MA_PER_CM2, integration_time(fz.oersted_signal(j), t.sensitivity, target_snr), label=t.name)
    ax.set(xlabel="local current density (mA/cm²)", ylabel=f"time per pixel to SNR {target_snr:g} (s)",
           xscale="log", yscale="log")
    ax.legend()
    return fig


@styled
def plot_signal_vs_standoff(standoff=None, feature_size=1e-6, *, signals=None, target_snr=1.0):
    """Each signal (T at 50 nm; default LixCoO2) vs NV–surface distance for a pattern of period
    ``feature_size`` (Fig. 4c), with the detection limits at ``target_snr``."""
    h = np.linspace(10e-9, 1e-6, 100) if standoff is None else np.asarray(standoff, float)
    fig, ax = _figure()
    for name, s in (signals or {"LixCoO2, 100 mT": fz.LCO_SIGNAL}).items():
        ax.plot(h * 1e9, abs(s) * fz.standoff_decay(h, feature_size), label=fz.signal_label(name))
    _limits(ax, target_snr)
    ax.set(xlabel="standoff (nm)", ylabel="stray field (T)", yscale="log",
           title=f"features of period {feature_size * 1e6:g} µm")
    fig.legend(loc="outside lower center", ncols=2)
    return fig


@styled
def plot_plan(signals=None, target_snr=1.0, n_pixels=100 * 100, feature_size=1e-6):
    """Time per image (per pixel for non-scanning techniques) to see each signal with each technique:
    the numbers of :func:`operando.nv.feasibility.plan` (and of ``operando plan``) as bars."""
    table = fz.plan(signals, target_snr, n_pixels, feature_size)
    names = list(dict.fromkeys(table.signal))
    techniques = [t.name for t in fz.TECHNIQUES]
    fig, ax = _figure(PAGE_WIDTH, 0.6 + 0.32 * len(names) * len(techniques) / 2)
    height = 0.8 / len(techniques)
    y = np.arange(len(names))
    for k, t in enumerate(techniques):
        rows = table[table.technique == t].set_index("signal").loc[names]
        yk = y + (k - (len(techniques) - 1) / 2) * height
        t_image = rows.t_image_s.to_numpy()
        reachable = t_image < TIME_AXIS_END
        ax.barh(yk[reachable], np.clip(t_image[reachable], 1e-7, None), height, label=t, color=f"C{k}")
        # longer or infinite times: a hatched bar to the axis end, an arrow and the words of the printed plan
        ax.barh(yk[~reachable], TIME_AXIS_END, height, color="none", edgecolor=f"C{k}", hatch="///", lw=0.6)
        for yy, tt in zip(yk[~reachable], t_image[~reachable], strict=True):
            ax.annotate(f"{fz.format_time(tt)} →", (TIME_AXIS_END, yy), ha="right", va="center", fontsize=5.5,
                        color=f"C{k}", bbox=LABEL_BOX, gid="unreachable")
    for sec, name in ((1.0, "1 s"), (3600.0, "1 h"), (86400.0, "1 day")):
        ax.axvline(sec, color="0.6", lw=0.6, ls=":")
        ax.annotate(name, (sec, 1.0), xycoords=("data", "axes fraction"), ha="left", va="top", fontsize=6.5,
                    color="0.4")
    ax.set_yticks(y, [fz.signal_label(n) for n in names])
    ax.invert_yaxis()
    ax.set(xscale="log", xlabel=f"time per image of {n_pixels} pixels (scanning) or per frame (s), SNR {target_snr:g}",
           title=f"features of period {feature_size * 1e6:g} µm, each technique at its own standoff")
    shortest = table.t_image_s[table.t_image_s < TIME_AXIS_END]
    ax.set_xlim(max(shortest.min() / 3, 1e-7) if len(shortest) else 1e-7, TIME_AXIS_END * 3)
    fig.legend(loc="outside right upper")
    return fig


@styled
def plot_techniques():
    """Resolution vs sensitivity of the imaging techniques (Pollok et al. 2025 Fig. 5b); circles: the
    sensor works at room temperature, squares: cryogenic."""
    fig, ax = _figure()
    for k, t in enumerate(fz.TECHNIQUES):
        cryogenic = t.temperature.startswith("cryo")  # NV: "room temperature (also cryogenic)"
        ax.scatter(t.resolution, t.sensitivity, marker="s" if cryogenic else "o", color=f"C{k}",
                   label=f"{t.name} ({'cryogenic' if cryogenic else 'room temperature'})")
    ax.set(xlabel="spatial resolution (m)", ylabel="sensitivity (T Hz$^{-1/2}$)", xscale="log", yscale="log")
    fig.legend(loc="outside right upper")
    fig.set_size_inches(PAGE_WIDTH, 2.6)
    return fig


def plan_figures(signals=None, target_snr=1.0, n_pixels=100 * 100, feature_size=1e-6) -> dict:
    """{file stem: Figure} of every planner figure for the plan's settings (as ``operando plan``)."""
    return {
        "plan_time_per_image": plot_plan(signals, target_snr, n_pixels, feature_size),
        "signal_vs_applied_field": plot_signal_vs_field(signals=signals, target_snr=target_snr),
        "oersted_signal_vs_current_density": plot_signal_vs_current(signals=signals, target_snr=target_snr),
        "oersted_integration_time_vs_current_density": plot_integration_time(target_snr=target_snr),
        "signal_vs_standoff": plot_signal_vs_standoff(feature_size=feature_size, signals=signals,
                                                      target_snr=target_snr),
        "techniques_resolution_vs_sensitivity": plot_techniques(),
    }


def save_all(folder, signals=None, target_snr=1.0, n_pixels=100 * 100, feature_size=1e-6) -> list:
    """Write every planner figure as PNG into ``folder``; returns the paths."""
    from pathlib import Path

    from ..report.style import DPI

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fig in plan_figures(signals, target_snr, n_pixels, feature_size).items():
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=DPI, bbox_inches="tight")
        paths.append(path)
    return paths
