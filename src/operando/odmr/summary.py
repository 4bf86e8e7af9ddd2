"""What a fit found, in numbers a user checks first: pixels, converged fraction, the field's median
and spread, its uncertainty, the reduced χ², and what was masked and why."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .quality import reason_counts

PERCENTILES = (5, 50, 95)


def field_variable(result: xr.Dataset) -> str | None:
    """The main field map of a fit result: B_nv, the first B_nv_k, or Bz of a Hamiltonian fit."""
    for name in ("B_nv", "B_nv_0", "Bz"):
        if name in result:
            return name
    return None


def fit_summary(result: xr.Dataset) -> dict:
    """Numbers of a fit result, computed from its maps (so they agree with the file)."""
    conv = np.asarray(result["converged"].values, dtype=bool)
    reasons = reason_counts(result["reason"].values)
    out = {
        "pixels": int(conv.size),
        "converged": int(conv.sum()),
        "converged_fraction": float(conv.mean()) if conv.size else 0.0,
        "reasons": {k: v for k, v in reasons.items() if v and k != "converged"},
        "model": result.attrs.get("model_choice") or _model_label(result.attrs),
    }
    name = field_variable(result)
    if name is not None:
        b = np.asarray(result[name].values, dtype=np.float64)[conv]
        out["field"] = name
        out["field_percentiles_T"] = _percentiles(b)
        if f"{name}_err" in result:
            out["field_err_median_T"] = _median(np.asarray(result[f"{name}_err"].values)[conv])
    chi2 = np.asarray(result["reduced_chi2"].values, dtype=np.float64)[conv]
    out["reduced_chi2_percentiles"] = _percentiles(chi2)
    if "D" in result:
        out["D_median_Hz"] = _median(np.asarray(result["D"].values)[conv])
    return out


def _percentiles(v):
    v = v[np.isfinite(v)]
    return [float(x) for x in np.percentile(v, PERCENTILES)] if v.size else [float("nan")] * 3


def _median(v):
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else float("nan")


def _model_label(attrs) -> str:
    hf = attrs.get("hyperfine", "None")
    return f"{attrs.get('model_shape', '?')} {attrs.get('model', '')}" + ("" if hf == "None" else f", {hf}")


def _tesla(v: float) -> str:
    if not np.isfinite(v):
        return "nan"
    a = abs(v)
    unit, scale = ("mT", 1e3) if a >= 1e-3 else ("uT", 1e6) if a >= 1e-6 else ("nT", 1e9)
    return f"{v * scale:.4g} {unit}"


def format_summary(s: dict) -> str:
    """The summary as lines of text for the terminal."""
    lines = [
        f"model: {s['model']}",
        f"pixels: {s['pixels']}; converged: {s['converged']} ({100 * s['converged_fraction']:.2f} %)",
    ]
    if "field" in s:
        p5, p50, p95 = s["field_percentiles_T"]
        lines.append(f"{s['field']} (converged pixels): median {_tesla(p50)}; 5-95 %: {_tesla(p5)} .. "
                     f"{_tesla(p95)}")
        if "field_err_median_T" in s:
            lines.append(f"{s['field']} uncertainty: median {_tesla(s['field_err_median_T'])}")
    c5, c50, c95 = s["reduced_chi2_percentiles"]
    lines.append(f"reduced chi2: median {c50:.4g}; 5-95 %: {c5:.4g} .. {c95:.4g} (residual rms, the "
                 f"noise estimate: {np.sqrt(c50):.3g} signal units)")
    if "D_median_Hz" in s:
        lines.append(f"D (mean of the two lines): median {s['D_median_Hz'] / 1e9:.6f} GHz")
    masked = ", ".join(f"{k} {v}" for k, v in s["reasons"].items()) or "none"
    lines.append(f"not converged, by reason: {masked}")
    return "\n".join(lines)
