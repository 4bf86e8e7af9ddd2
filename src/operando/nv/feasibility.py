"""Feasibility planner: is a battery signal visible with a magnetometer, and how long to integrate?

Signals scale as Pollok et al., Nat. Commun. 2025 describes them: the paramagnetic stray field
linearly with the applied field (Fig. 4b), the Ørsted field linearly with current density, and every field decays
with the sensor–source distance (Fig. 4c). Integration time for a target SNR: t = (SNR η / S)².
Units: T, A/m², m, s; sensitivities η in T Hz^-1/2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._checks import as_float_array, check_positive
from ..errors import InputError
from .acquisition import ScanningNV, sensor_filter
from .sensitivity import echo_sensitivity

MA_PER_CM2 = 10.0  # 1 mA/cm² = 10 A/m²

# --- reference signals of seed 000 (VALIDATION.md M3, M6, M8) -----------------------------------
# LixCoO2 in 100 mT at 50 nm: stray field of order 10 µT for every field/axis orientation (L139).
LCO_SIGNAL, LCO_FIELD, REFERENCE_STANDOFF = 10e-6, 0.1, 50e-9
# Li metal in the same field: about one order of magnitude weaker than LixCoO2 (L164, L168).
LI_METAL_SIGNAL = LCO_SIGNAL / 10
# Ørsted field at 23.5 mA/cm² nominal, 50 nm: 1–5 nT, larger near the dendrite (L152).
OERSTED_J_REF = 23.5 * MA_PER_CM2
OERSTED_SIGNAL_RANGE = (1e-9, 5e-9)
# Local current densities near dendrites: 100–10,000 mA/cm² (L156).
LOCAL_J_RANGE = (100 * MA_PER_CM2, 10_000 * MA_PER_CM2)


@dataclass(frozen=True)
class Technique:
    name: str
    resolution: float  # m, typical lateral resolution
    sensitivity: float  # T Hz^-1/2, representative detection limit at 1 s
    standoff: float  # m, typical sensor–surface distance (the signal is attenuated to it)
    temperature: str
    source: str
    scanning: bool  # builds an image pixel by pixel


# Representative values; seed 000 Fig. 5b / L195 compares the same four techniques (its data are in
# its Supplementary Section S3, not reproduced here). Typical orders of magnitude, with sources.
TECHNIQUES = (
    Technique(
        "scanning NV (CW-ODMR)",
        50e-9,
        1e-6,
        50e-9,
        "room temperature (also cryogenic)",
        "Pollok et al., Nat. Commun. 2025 (~10–50 nm standoff, ~1 µT Hz^-1/2)",
        True,
    ),
    Technique(
        "scanning NV (pulsed)",
        50e-9,
        50e-9,
        50e-9,
        "room temperature (also cryogenic)",
        "Pollok et al., Nat. Commun. 2025 (~50 nT at 1 s); Barry et al., RMP 92, 015004 (2020)",
        True,
    ),
    Technique(
        "widefield NV (CW)",
        1e-6,
        1e-6,
        0.5e-6,
        "room temperature",
        "Pollok et al., Nat. Commun. 2025 (~1 µm resolution); Scholten et al., JAP 130, 150902 (2021)",
        False,
    ),
    Technique(
        "scanning SQUID",
        1e-6,
        10e-9,
        1e-6,
        "cryogenic (~4 K)",
        "Kirtley et al., RSI 87, 093702 (2016); Vasyukov et al., Nat. Nano. 8, 639 (2013)",
        True,
    ),
    Technique(
        "atomic magnetometer (OPM)",
        3e-3,
        15e-15,
        3e-3,
        "sample at room temperature",
        "Kominis et al., Nature 422, 596 (2003); Boto et al., Nature 555, 657 (2018)",
        False,
    ),
)


def technique_table() -> pd.DataFrame:
    """Comparison of magnetic imaging techniques (Pollok et al., Nat. Commun. 2025, Fig. 5b), one row each."""
    return pd.DataFrame([t.__dict__ for t in TECHNIQUES]).set_index("name")


def paramagnetic_signal(applied_field, signal_ref=LCO_SIGNAL, field_ref=LCO_FIELD):
    """Stray field (T) of a paramagnet, linear in the applied field (T) (Pollok et al., Nat. Commun. 2025, Fig. 4b)."""
    b = as_float_array("applied_field", applied_field)
    return (
        check_positive("signal_ref", signal_ref)
        * np.abs(b)
        / check_positive("field_ref", field_ref)
    )


def oersted_signal(current_density, signal_ref=OERSTED_SIGNAL_RANGE[1], j_ref=OERSTED_J_REF):
    """Ørsted field (T) linear in the (local) current density (A/m²) (Pollok et al., Nat. Commun. 2025); the default
    reference is the 5 nT near the dendrite at 23.5 mA/cm²."""
    j = as_float_array("current_density", current_density)
    return check_positive("signal_ref", signal_ref) * np.abs(j) / check_positive("j_ref", j_ref)


def standoff_decay(standoff, feature_size, standoff_ref=REFERENCE_STANDOFF):
    """Relative signal at ``standoff`` for a pattern of period ``feature_size`` (m): exactly
    e^{-k (h - h_ref)} with k = 2π / feature_size above the sources (Pollok et al., Nat. Commun. 2025, Fig. 4c)."""
    h = as_float_array("standoff", standoff)
    if np.any(h < 0):
        raise InputError(f"standoff: must be >= 0 m, got min {h.min()!r}")
    k = 2 * np.pi / check_positive("feature_size", feature_size, unit="m")
    return np.exp(-k * (h - check_positive("standoff_ref", standoff_ref, allow_zero=True)))


def signal_vs_standoff(field, spacing, standoffs, field_height=REFERENCE_STANDOFF):
    """Peak |B| (T) of a field map (3, ny, nx) given at ``field_height``, continued to each
    standoff."""
    from .acquisition import _field_plane

    B, dy, dx, _, _ = _field_plane(field, spacing)
    h = as_float_array("standoffs", standoffs, ndim=1)
    if np.any(h < field_height):
        raise InputError(f"standoffs: must be >= field_height = {field_height!r} m")
    return np.array([np.abs(sensor_filter(B, dy, dx, lift=x - field_height)).max() for x in h])


def field_map_signal(field, axis="111") -> float:
    """Signal magnitude (T) of a simulated field map (3, ...) for an NV along ``axis`` (a name of
    :func:`operando.magnetics.nv_axis` or a 3-vector): the largest |B·n|, e.g. of a cell state."""
    from ..magnetics import project

    return float(np.abs(project(as_float_array("field", field), axis)).max())


def seed_cases() -> dict[str, float]:
    """The signals Pollok et al., Nat. Commun. 2025 discusses, in T (applied field 100 mT, standoff 50 nm)."""
    cases = {
        "LixCoO2, 100 mT": LCO_SIGNAL,  # seed 000 L139
        "Li metal, 100 mT": LI_METAL_SIGNAL,  # seed 000 L164
        "Ørsted, 23.5 mA/cm² nominal": OERSTED_SIGNAL_RANGE[1],  # seed 000 L152
    }
    for j in (100, 1_000, 10_000):  # seed 000 L156
        cases[f"Ørsted, {j:,} mA/cm² local"] = float(oersted_signal(j * MA_PER_CM2))
    return cases


def model_sensitivities() -> dict[str, float]:
    """η (T Hz^-1/2) of scanning NV computed from instrument parameters, to check the quoted ones:
    CW from :class:`ScanningNV` defaults; Hahn echo at 10 kHz with T2 = 100 µs, readout 𝒞 = 0.04."""
    return {
        "scanning NV (CW-ODMR)": ScanningNV().sensitivity(),
        "scanning NV (pulsed)": echo_sensitivity(0.04, 100e-6, 10e3),
    }


def plan(
    signals=None, target_snr=1.0, n_pixels=100 * 100, feature_size=1e-6, techniques=TECHNIQUES
) -> pd.DataFrame:
    """Integration time per pixel and per image to see each signal with each technique.

    ``signals``: mapping name → field (T) at the 50 nm reference standoff (default
    :func:`seed_cases`); each technique sees it attenuated to its own standoff for a pattern of
    period ``feature_size`` (:func:`standoff_decay`). Scanning probes take n_pixels × t_pixel per
    image, the others t_pixel. Columns: signal, technique, signal_T, seen_T, sensitivity,
    snr_at_1s, t_pixel_s, t_image_s, detectable_in_1s.
    """
    signals = seed_cases() if signals is None else dict(signals)
    snr = check_positive("target_snr", target_snr)
    n = int(check_positive("n_pixels", n_pixels))
    rows = []
    for name, s in signals.items():
        s = check_positive(f"signal {name!r}", abs(s), unit="T")
        for t in techniques:
            seen = s * float(standoff_decay(max(t.standoff, REFERENCE_STANDOFF), feature_size))
            with np.errstate(divide="ignore", over="ignore"):
                t_pix = float((snr * t.sensitivity / seen) ** 2) if seen > 0 else np.inf
            rows.append(
                {
                    "signal": name,
                    "technique": t.name,
                    "signal_T": s,
                    "seen_T": seen,
                    "sensitivity": t.sensitivity,
                    "snr_at_1s": seen / t.sensitivity,
                    "t_pixel_s": t_pix,
                    "t_image_s": t_pix * n if t.scanning else t_pix,
                    "detectable_in_1s": seen / t.sensitivity >= snr,
                }
            )
    return pd.DataFrame(rows)


#: what the plan prints for a signal a technique never sees (its field decays to nothing at the standoff)
NOT_REACHABLE = "not reachable"

#: fields below this (T) are no signal for any magnetometer (the best, atomic ones, reach ~1 fT/√Hz)
NO_SIGNAL = 1e-21


def signal_label(name: str) -> str:
    """A signal's name as typed (``'10 uT'``) with the micro sign written out (``'10 µT'``)."""
    return re.sub(r"(?<=[\d\s])u(?=(T|m|s|A|V|G)\b)", "µ", str(name))


def format_time(seconds: float) -> str:
    """Human-readable duration: µs … days; :data:`NOT_REACHABLE` for an infinite time."""
    s = float(seconds)
    if not np.isfinite(s):
        return NOT_REACHABLE
    if s > 100 * 3.156e7:
        return "> 100 years"
    if s < 1e-6:
        return "< 1 µs"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1e-3)):
        if s >= 0.9995 * size:  # so that 0.99996 s prints as "1 s"
            return f"{s / size:.3g} {unit}"
    return f"{s / 1e-6:.3g} µs"


def _format_length(metres: float) -> str:
    m = float(metres)
    unit, size = next(((u, f) for u, f in (("m", 1.0), ("mm", 1e-3), ("µm", 1e-6)) if m >= f), ("nm", 1e-9))
    return f"{m / size:.3g} {unit}"


def format_field(tesla: float) -> str:
    t = abs(float(tesla))
    for unit, size in (("T", 1.0), ("mT", 1e-3), ("µT", 1e-6), ("nT", 1e-9), ("pT", 1e-12)):
        if t >= size:
            return f"{tesla / size:.3g} {unit}"
    return f"{tesla / 1e-15:.3g} fT"


def plan_report(signals=None, target_snr=1.0, n_pixels=100 * 100, feature_size=1e-6) -> str:
    """Plain-text tables: techniques, model sensitivities, and the plan for each signal."""
    lines = ["Techniques (Pollok et al., Nat. Commun. 2025, Fig. 5b; representative values):"]
    for t in TECHNIQUES:
        lines.append(
            f"  {t.name:28s} resolution {t.resolution * 1e6:>7.3g} µm  standoff "
            f"{t.standoff * 1e6:>6.3g} µm  η {format_field(t.sensitivity):>8s}/√Hz  {t.temperature}"
        )
        lines.append(f"{'':32s}source: {t.source}")
    lines.append("Model check (from count rate, contrast, linewidth, T2):")
    for name, eta in model_sensitivities().items():
        lines.append(f"  {name:28s} η = {format_field(eta)}/√Hz")
    table = plan(signals, target_snr, n_pixels, feature_size)
    lines.append(
        f"Integration to SNR {target_snr:g}; signals at 50 nm, attenuated to each standoff for "
        f"features of {feature_size * 1e6:g} µm; image = {n_pixels} pixels for scanning probes:"
    )
    standoffs = {t.name: max(t.standoff, REFERENCE_STANDOFF) for t in TECHNIQUES}
    for name, group in table.groupby("signal", sort=False):
        lines.append(f"  {signal_label(name)}: {format_field(group.signal_T.iloc[0])}")
        for _, r in group.iterrows():
            if r.seen_T < NO_SIGNAL:  # the pattern's field decays as e^(-k h): nothing left at this standoff
                decay = 2 * np.pi / feature_size * (standoffs[r.technique] - REFERENCE_STANDOFF)
                lines.append(f"    {r.technique:28s} sees nothing: the field of {feature_size * 1e6:g} µm features "
                             f"falls by e^-{decay:.3g} at its {_format_length(standoffs[r.technique])} standoff "
                             f"({NOT_REACHABLE})")
                continue
            lines.append(
                f"    {r.technique:28s} sees {format_field(r.seen_T):>9s}"
                f"  SNR(1 s) {r.snr_at_1s:9.3g}"
                f"   per pixel "
                f"{format_time(r.t_pixel_s):>10s}   per image {format_time(r.t_image_s):>10s}"
            )
    return "\n".join(lines)
