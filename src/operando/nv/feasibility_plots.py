"""Figures of the feasibility planner (seed 000 Fig. 4b, 4c, 5b); each function returns a Figure."""

from __future__ import annotations

import numpy as np

from . import feasibility as fz
from .sensitivity import field_noise, integration_time


def _figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 4.0), layout="constrained")
    return fig, fig.add_subplot()


def _limits(ax, time=1.0):
    for t in fz.TECHNIQUES[:2]:
        ax.axhline(float(field_noise(t.sensitivity, time)), ls="--", lw=1, color="0.4")
        ax.annotate(
            f"{t.name}, {time:g} s",
            (0.02, float(field_noise(t.sensitivity, time))),
            xycoords=("axes fraction", "data"),
            va="bottom",
            fontsize=7,
            color="0.3",
        )


def plot_signal_vs_field(applied_field=None):
    """Paramagnetic signals of LixCoO2 and Li metal vs applied field, with detection limits."""
    b = np.linspace(0.01, 1.0, 100) if applied_field is None else np.asarray(applied_field, float)
    fig, ax = _figure()
    ax.plot(b * 1e3, fz.paramagnetic_signal(b), label="LixCoO2 (seed 000 L139)")
    ax.plot(b * 1e3, fz.paramagnetic_signal(b, fz.LI_METAL_SIGNAL), label="Li metal (L164)")
    _limits(ax)
    ax.set(xlabel="applied field (mT)", ylabel="stray field at 50 nm (T)", yscale="log")
    ax.legend(fontsize=8)
    return fig


def plot_signal_vs_current(current_density=None):
    """Ørsted signal band (1–5 nT at 23.5 mA/cm², seed 000 L152) vs current density."""
    j = np.logspace(1, 6, 100) if current_density is None else np.asarray(current_density, float)
    fig, ax = _figure()
    lo, hi = (fz.oersted_signal(j, s) for s in fz.OERSTED_SIGNAL_RANGE)
    ax.fill_between(j / fz.MA_PER_CM2, lo, hi, alpha=0.4, label="Ørsted field, 50 nm")
    ax.axvspan(*(np.array(fz.LOCAL_J_RANGE) / fz.MA_PER_CM2), color="0.9", label="local J (L156)")
    _limits(ax)
    ax.set(xlabel="current density (mA/cm²)", ylabel="field (T)", xscale="log", yscale="log")
    ax.legend(fontsize=8)
    return fig


def plot_integration_time(current_density=None, target_snr=1.0):
    """Integration time per pixel for the Ørsted signal vs local current density (seed 000 L156)."""
    j = np.logspace(2, 6, 100) if current_density is None else np.asarray(current_density, float)
    fig, ax = _figure()
    for t in fz.TECHNIQUES[:2]:
        ax.plot(
            j / fz.MA_PER_CM2,
            integration_time(fz.oersted_signal(j), t.sensitivity, target_snr),
            label=t.name,
        )
    ax.set(
        xlabel="local current density (mA/cm²)",
        ylabel=f"time per pixel to SNR {target_snr:g} (s)",
        xscale="log",
        yscale="log",
    )
    ax.legend(fontsize=8)
    return fig


def plot_signal_vs_standoff(standoff=None, feature_size=1e-6):
    """LixCoO2 signal vs NV–surface distance for a pattern of period ``feature_size`` (Fig. 4c)."""
    h = np.linspace(10e-9, 1e-6, 100) if standoff is None else np.asarray(standoff, float)
    fig, ax = _figure()
    ax.plot(
        h * 1e9,
        fz.LCO_SIGNAL * fz.standoff_decay(h, feature_size),
        label=f"LixCoO2, period {feature_size * 1e6:g} µm",
    )
    _limits(ax)
    ax.set(xlabel="standoff (nm)", ylabel="stray field (T)", yscale="log")
    ax.legend(fontsize=8)
    return fig


def plot_techniques():
    """Resolution vs sensitivity of the imaging techniques (seed 000 Fig. 5b)."""
    fig, ax = _figure()
    for t in fz.TECHNIQUES:
        ax.scatter(t.resolution, t.sensitivity, marker="s" if "cryo" in t.temperature else "o")
        ax.annotate(
            t.name,
            (t.resolution, t.sensitivity),
            fontsize=7,
            xytext=(4, 4),
            textcoords="offset points",
        )
    ax.set(
        xlabel="spatial resolution (m)",
        ylabel="sensitivity (T Hz$^{-1/2}$)",
        xscale="log",
        yscale="log",
        title="squares: cryogenic; circles: room temperature",
    )
    return fig


def save_all(folder) -> list:
    """Write every planner figure as PNG into ``folder``; returns the paths."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    makers = {
        "signal_vs_field": plot_signal_vs_field,
        "signal_vs_current": plot_signal_vs_current,
        "integration_time": plot_integration_time,
        "signal_vs_standoff": plot_signal_vs_standoff,
        "techniques": plot_techniques,
    }
    paths = []
    for name, make in makers.items():
        path = folder / f"{name}.png"
        make().savefig(path, dpi=120)
        paths.append(path)
    return paths
