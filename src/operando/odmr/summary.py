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
    if "line_count" in result.attrs:
        out["lines"] = result.attrs["line_count"]
    name = field_variable(result)
    if name is not None:
        out["field"] = name
        if "bias_subtracted_T" in result[name].attrs:
            out["bias_subtracted_T"] = float(result[name].attrs["bias_subtracted_T"])
            out["nv_axis"] = [round(float(v), 4) for v in np.ravel(result.attrs.get("nv_axis", []))]
        out["field_percentiles_T"] = _percentiles(_converged_values(result, name, conv))
        if f"{name}_err" in result:
            out["field_err_median_T"] = _percentiles(_converged_values(result, f"{name}_err", conv), (50,))[0]
    out["reduced_chi2_percentiles"] = _percentiles(_converged_values(result, "reduced_chi2", conv))
    if "residual_variance" in result:
        out["residual_rms_median"] = float(np.sqrt(_percentiles(_converged_values(result, "residual_variance", conv),
                                                                (50,))[0]))
    if "D" in result:
        out["D_median_Hz"] = _percentiles(_converged_values(result, "D", conv), (50,))[0]
    return out


def _converged_values(result, name: str, conv) -> np.ndarray:
    """The finite values of map ``name`` at converged pixels. A map on disk (an out-of-core fit's
    result, dask-backed) is read one band of chunks at a time into that array: the map is never
    held whole as well."""
    var = result[name]
    if var.chunks is None:
        v = np.asarray(var.values, dtype=np.float64)
        return v[conv & np.isfinite(v)]
    out, n, y0 = np.empty(int(conv.sum())), 0, 0
    for rows in var.chunksizes["y"]:
        v = np.asarray(var.isel(y=slice(y0, y0 + rows)).values, dtype=np.float64)
        keep = conv[y0 : y0 + rows] & np.isfinite(v)
        k = int(keep.sum())
        out[n : n + k] = v[keep]
        n, y0 = n + k, y0 + rows
    return out[:n]


def _percentiles(v, q=PERCENTILES):
    """Percentiles ``q`` of ``v`` (partitioned in place: no second copy)."""
    return [float(x) for x in np.percentile(v, q, overwrite_input=True)] if v.size else [float("nan")] * len(q)


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
    if "lines" in s:
        lines.insert(1, f"lines: {s['lines']}")
    if "field" in s:
        p5, p50, p95 = s["field_percentiles_T"]
        bias = s.get("bias_subtracted_T")
        if bias:
            lines.append(f"{s['field']}: the field along the NV axis {s.get('nv_axis')}, "
                         f"bias {_tesla(bias)} subtracted")
        lines.append(f"{s['field']} (converged pixels): median {_tesla(p50)}; 5-95 %: {_tesla(p5)} .. "
                     f"{_tesla(p95)}")
        if "field_err_median_T" in s:
            lines.append(f"{s['field']} uncertainty: median {_tesla(s['field_err_median_T'])}")
    c5, c50, c95 = s["reduced_chi2_percentiles"]
    lines.append(f"reduced chi2 (residual variance / each spectrum's noise variance; 1 = fits to the noise): "
                 f"median {c50:.3g}; 5-95 %: {c5:.3g} .. {c95:.3g}")
    if "residual_rms_median" in s:
        lines.append(f"residual rms: median {s['residual_rms_median']:.3g} signal units")
    if "D_median_Hz" in s:
        lines.append(f"D (mean of the two lines): median {s['D_median_Hz'] / 1e9:.6f} GHz")
    masked = ", ".join(f"{k} {v}" for k, v in s["reasons"].items()) or "none"
    lines.append(f"not converged, by reason: {masked}")
    return "\n".join(lines)
