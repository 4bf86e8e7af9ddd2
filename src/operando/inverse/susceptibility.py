"""Paramagnetic susceptibility of a layer and the state-of-charge map of LixCoO2.

In an applied field B_ext the paramagnetic moments of the positive electrode are unidirectional,
M = χ B_ext / μ0 (χ ≪ 1, Pollok et al., Nat. Commun. 2025), and their magnitude rises monotonically on delithiation
over the reversible window (Pollok et al., Nat. Commun. 2025, Fig. 3b). So a field map taken in a known B_ext gives
χ(x, y) of a layer of known thickness (:func:`magnetization_from_field` along B_ext), and χ gives
the lithium content x through the materials library's χ(x) — only where χ(x) is invertible
(0.6 ≤ x ≤ 1; below, χ is flat and x cannot be told). Where the microstructure is known in depth,
:func:`susceptibility_by_region` fits one χ per particle instead, buried particles included.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.constants import mu_0

from .._checks import as_float_array, check_positive
from ..errors import InputError
from ._input import sensing_axis
from .fourier import magnetization_from_field

#: reason codes of :func:`state_of_charge_map`
SOC_OK, SOC_OUTSIDE_MASK, SOC_NOT_INVERTIBLE, SOC_MISSING, SOC_AMBIGUOUS = 0, 1, 2, 3, 4
SOC_REASONS = {
    SOC_OK: "x recovered",
    SOC_OUTSIDE_MASK: "outside the electrode mask",
    SOC_NOT_INVERTIBLE: "chi outside the invertible branch of chi(x) (0.6 <= x <= 1)",
    SOC_MISSING: "chi not finite (missing data)",
    SOC_AMBIGUOUS: "chi also reached on the non-invertible branch (x < 0.6): x is ambiguous",
}


def susceptibility_from_field(B_map, dy=None, dx=None, *, B_ext, standoff: float,
                              thickness: float, depth: float = 0.0, component="z",
                              noise_sigma: float | None = None, **filter_kw) -> xr.Dataset:
    """Volume susceptibility χ (SI, dimensionless) of a layer from its stray field in ``B_ext``.

    ``B_ext``: applied field, 3-vector (T) or a number (T, along +z). ``thickness`` (> 0, m):
    layer thickness, assumed uniformly magnetized through it. Other arguments and ``filter_kw`` as
    in :func:`magnetization_from_field` (``reference_mask`` marks pixels known to be
    non-magnetic, which sets the unmeasurable mean). Returns a Dataset with ``chi`` (and
    ``chi_std``), the magnetization ``M`` (A/m) and ``missing``.
    """
    B_ext = np.asarray(B_ext, dtype=float)
    if B_ext.ndim == 0:
        B_ext = np.array([0.0, 0.0, float(B_ext)])
    B_ext = as_float_array("B_ext", B_ext, shape=(3,))
    b = float(np.linalg.norm(B_ext))
    check_positive("|B_ext|", b, unit="T")
    check_positive("thickness", thickness, unit="m")
    ds = magnetization_from_field(B_map, dy, dx, standoff=standoff, thickness=thickness,
                                  depth=depth, direction=B_ext / b, component=component,
                                  noise_sigma=noise_sigma, **filter_kw)
    ds["chi"] = (ds["M"] * (mu_0 / b)).assign_attrs(units="1", long_name="volume susceptibility")
    if "M_std" in ds:
        ds["chi_std"] = (ds["M_std"] * (mu_0 / b)).assign_attrs(units="1", long_name="std of chi")
    ds.attrs["B_ext_T"] = B_ext.tolist()
    return ds


def _lixcoo2_inverse():
    """x_from_chi and the ambiguity threshold of LixCoO2: the smallest χ reached for x < 0.6."""
    from ..materials import lixcoo2

    def x_from_chi(c):
        return lixcoo2.x_from_chi_volume(c, return_flag=True)

    plateau = lixcoo2.chi_volume(np.linspace(0.0, 0.6, 601)[:-1])
    return x_from_chi, float(plateau.min())


def state_of_charge_map(chi_map, mask=None, x_from_chi=None,
                        ambiguous_above: float | None = None, chi_tolerance=0.0) -> xr.Dataset:
    """Lithium content x of LixCoO2 from a susceptibility map, with a reason code per pixel.

    chi_map : (ny, nx) SI volume susceptibility (array or DataArray).
    mask : (ny, nx) bool, True on the positive electrode (default: everywhere).
    x_from_chi : inverse χ → x returning (x, invertible) arrays; default
        :func:`operando.materials.lixcoo2.x_from_chi_volume`.
    ambiguous_above : χ at and above which the value is also reached on the non-invertible branch
        (LixCoO2: the plateau χ below x = 0.6, Pollok et al., Nat. Commun. 2025, Fig. 3b); such pixels are flagged
        ambiguous. Default: from LixCoO2 when ``x_from_chi`` is the default, else none.
    chi_tolerance : uncertainty of χ (scalar or (ny, nx) map, e.g. ``chi_std`` times 2): a pixel
        is ambiguous when χ + tolerance reaches ``ambiguous_above``; a χ within the tolerance
        outside the invertible range takes the x of the nearer end.

    Returns a Dataset with ``x_li`` (NaN where not recovered), ``reason`` (int codes, see
    ``SOC_REASONS``, also listed in its attrs) and counts per reason in the attrs.
    """
    coords = {c: chi_map[c] for c in ("y", "x") if c in getattr(chi_map, "coords", {})}
    chi = as_float_array("chi_map", getattr(chi_map, "values", chi_map), ndim=2, finite=False)
    if mask is None:
        mask = np.ones(chi.shape, dtype=bool)
    mask = np.asarray(getattr(mask, "values", mask), dtype=bool)
    if mask.shape != chi.shape:
        raise InputError(f"mask: expected shape {chi.shape} to match chi_map, got {mask.shape}")
    if x_from_chi is None:
        x_from_chi, auto_threshold = _lixcoo2_inverse()
        ambiguous_above = auto_threshold if ambiguous_above is None else ambiguous_above
    tol = np.broadcast_to(np.asarray(getattr(chi_tolerance, "values", chi_tolerance),
                                     dtype=float), chi.shape)
    x, ok = (np.array(a) for a in x_from_chi(chi))
    ok = ok.astype(bool)
    # within the tolerance of an end of the invertible range: the end's x (noise at x ≈ 1)
    for shifted in (chi + tol, chi - tol):
        xs, oks = x_from_chi(shifted)
        take = ~ok & np.asarray(oks, dtype=bool)
        x[take], ok[take] = np.asarray(xs)[take], True
    reason = np.full(chi.shape, SOC_OK, dtype=np.int8)
    reason[~ok] = SOC_NOT_INVERTIBLE
    if ambiguous_above is not None:
        with np.errstate(invalid="ignore"):
            reason[(reason == SOC_OK) & (chi + tol >= ambiguous_above)] = SOC_AMBIGUOUS
            # so wide an uncertainty that it spans both branches: ambiguous, not impossible
            spans = (chi - tol <= ambiguous_above) & (chi + tol >= ambiguous_above)
            reason[(reason == SOC_NOT_INVERTIBLE) & spans] = SOC_AMBIGUOUS
    reason[~np.isfinite(chi)] = SOC_MISSING
    reason[~mask] = SOC_OUTSIDE_MASK
    x = np.where(reason == SOC_OK, x, np.nan)
    names = {SOC_OK: "n_recovered", SOC_OUTSIDE_MASK: "n_outside_mask",
             SOC_NOT_INVERTIBLE: "n_not_invertible", SOC_MISSING: "n_missing",
             SOC_AMBIGUOUS: "n_ambiguous"}
    attrs = {names[code]: int((reason == code).sum()) for code in SOC_REASONS}
    return xr.Dataset(
        {
            "x_li": xr.DataArray(x, dims=("y", "x"),
                                 attrs={"units": "1", "long_name": "Li content x of LixCoO2"}),
            "reason": xr.DataArray(reason, dims=("y", "x"), attrs={
                "units": "", "codes": "; ".join(f"{k}: {v}" for k, v in SOC_REASONS.items())}),
        },
        coords=coords,
        attrs=attrs,
    )


def state_of_charge_by_region(chi_map, labels, mask=None, **soc_kw) -> xr.Dataset:
    """Lithium content x of each labelled region (particle) from a susceptibility map.

    χ is averaged over each region's pixels first and the mean inverted: the map is linear in the
    field, so its region mean is unbiased, whereas x of single noisy pixels is not (pixels pushed
    outside the invertible range are dropped, which pulls the mean of x toward the middle).

    chi_map : (ny, nx) SI volume susceptibility. labels : (ny, nx) int, region id ≥ 0 (−1: none).
    mask : (ny, nx) bool, pixels to use (default: all labelled). ``soc_kw`` as in
    :func:`state_of_charge_map`; by default the tolerance is twice the standard error of each
    region's mean χ. Returns a Dataset over ``region`` with ``x_li``, ``x_li_sem`` (the standard error
    carried through χ → x), ``chi``, ``chi_sem``, ``n_pixels`` and ``reason``.
    """
    chi = as_float_array("chi_map", getattr(chi_map, "values", chi_map), ndim=2, finite=False)
    labels = np.asarray(getattr(labels, "values", labels))
    if labels.shape != chi.shape or not np.issubdtype(labels.dtype, np.integer):
        raise InputError(f"labels: expected an integer array of shape {chi.shape}, got "
                         f"{labels.dtype} {labels.shape}")
    use = (labels >= 0) & np.isfinite(chi)
    if mask is not None:
        use &= np.asarray(getattr(mask, "values", mask), dtype=bool)
    ids = np.unique(labels[use])
    if ids.size == 0:
        raise InputError("labels: no labelled pixel with a finite chi inside the mask")
    lab = labels[use]
    n = np.bincount(lab)[ids]
    mean = np.bincount(lab, chi[use])[ids] / n
    second = np.bincount(lab, chi[use] ** 2)[ids] / n
    sem = np.sqrt(np.maximum(second - mean**2, 0.0) / np.maximum(n - 1, 1))
    regions = xr.Dataset({"chi": ("region", mean), "chi_sem": ("region", sem), "n_pixels": ("region", n)},
                         coords={"region": ids})
    return state_of_charge_of_regions(regions, **soc_kw)


def region_unit_fields(regions, grid, *, B_ext, standoff: float, component="z") -> xr.DataArray:
    """Field along the sensing axis (T) of each region of a 3-D microstructure at χ = 1, in the
    applied field ``B_ext``: the columns of :func:`susceptibility_by_region`'s least squares.

    regions : (nz, ny, nx) int on ``grid``, region id ≥ 0, −1 outside every region.
    B_ext : applied field, 3-vector (T) or a number (T, along +z). ``standoff`` (m): height of the
    map above the grid's top. ``component``: sensing axis, "x", "y", "z" or a 3-vector.

    Returns a DataArray (region, y, x) with the coordinate ``n_pixels`` (pixels above each region).
    """
    from ..magnetics import paramagnetic_magnetization, stray_field_from_magnetization

    regions = np.asarray(regions)
    if regions.shape != grid.shape or not np.issubdtype(regions.dtype, np.integer):
        raise InputError(f"regions: expected an integer array of the grid's shape {grid.shape}, "
                         f"got {regions.dtype} {regions.shape}")
    ids = np.unique(regions[regions >= 0])
    if ids.size == 0:
        raise InputError("regions: no region id >= 0")
    B_ext = np.array([0.0, 0.0, float(B_ext)]) if np.ndim(B_ext) == 0 else as_float_array("B_ext", B_ext, shape=(3,))
    check_positive("|B_ext|", float(np.linalg.norm(B_ext)), unit="T")
    axis = sensing_axis(component)
    fields, footprint = [], []
    for i in ids:
        inside = regions == i
        B = stray_field_from_magnetization(paramagnetic_magnetization(inside.astype(float), B_ext), grid, [standoff])
        fields.append(np.einsum("c,cyx->yx", axis, B[:, 0]))
        footprint.append(int(inside.any(axis=0).sum()))
    return xr.DataArray(np.stack(fields), dims=("region", "y", "x"),
                        coords={"region": ids, "n_pixels": ("region", footprint)},
                        attrs={"units": "T", "long_name": "field along the sensing axis at chi = 1"})


def susceptibility_by_region(B_map, unit_fields: xr.DataArray, *, mask=None,
                             noise_sigma: float | None = None) -> xr.Dataset:
    """Susceptibility χ of each region of a known 3-D microstructure from one field map.

    Where the geometry is known in depth (tomography of the same cell, or a simulated one) and χ
    is uniform inside each region (x is nearly uniform inside a particle, Pollok et al., Nat. Commun. 2025), the map
    is linear in the region susceptibilities: B = Σ_i χ_i G_i + c, with G_i the field of region i
    at χ = 1 (:func:`region_unit_fields`, the voxel engine, exact for voxels) and c an unknown
    offset. Least squares gives χ_i and their standard errors σ sqrt(diag((AᵀA)⁻¹)). Unlike the
    layer inversion of :func:`susceptibility_from_field` this holds for buried regions and for
    sources of any depth.

    B_map : (ny, nx) field along the sensing axis of ``unit_fields`` (T).
    mask : (ny, nx) bool, pixels to fit (default: every finite pixel).
    noise_sigma : std of the map's noise (T); default: estimated from the fit residual.

    Returns a Dataset over ``region`` with ``chi``, ``chi_sem`` and ``n_pixels`` (pixels above the
    region), and the attrs ``offset`` (T) and ``noise_sigma`` (T).
    """
    B = as_float_array("B_map", B_map, ndim=2, finite=False)
    if B.shape != unit_fields.shape[1:]:
        raise InputError(f"B_map: expected shape {unit_fields.shape[1:]} (the grid's y, x), got {B.shape}")
    use = np.isfinite(B) if mask is None else np.isfinite(B) & np.asarray(mask, dtype=bool)
    A = np.column_stack([np.ones(int(use.sum())), unit_fields.values[:, use].T])
    coef, *_ = np.linalg.lstsq(A, B[use], rcond=None)
    dof = A.shape[0] - A.shape[1]
    if noise_sigma is None:
        if dof <= 0:
            raise InputError(f"B_map: {A.shape[0]} pixels cannot fit {A.shape[1] - 1} regions and an offset")
        noise_sigma = float(np.linalg.norm(B[use] - A @ coef) / np.sqrt(dof))
    sem = noise_sigma * np.sqrt(np.maximum(np.diag(np.linalg.pinv(A.T @ A))[1:], 0.0))
    return xr.Dataset(
        {"chi": ("region", coef[1:], {"units": "1", "long_name": "region volume susceptibility"}),
         "chi_sem": ("region", sem, {"units": "1", "long_name": "standard error of chi"}),
         "n_pixels": ("region", unit_fields["n_pixels"].values, {"long_name": "pixels above the region"})},
        coords={"region": unit_fields["region"].values},
        attrs={"offset": float(coef[0]), "noise_sigma": float(noise_sigma)})


def state_of_charge_of_regions(regions: xr.Dataset, **soc_kw) -> xr.Dataset:
    """Lithium content x of regions of known χ: ``regions`` has ``chi`` and ``chi_sem`` over
    ``region`` (from :func:`susceptibility_by_region` or the region means of a χ map). ``soc_kw``
    as in :func:`state_of_charge_map`; by default the tolerance is twice ``chi_sem``. Adds ``x_li``,
    ``x_li_sem`` (the standard error carried through χ → x) and ``reason``."""
    mean, sem = regions["chi"].values, regions["chi_sem"].values
    soc_kw.setdefault("chi_tolerance", 2 * sem[None, :])
    soc = state_of_charge_map(mean[None, :], **soc_kw)
    x_from_chi = soc_kw.get("x_from_chi") or _lixcoo2_inverse()[0]
    x_li_sem = np.abs([_local_slope(x_from_chi, c) for c in mean]) * sem
    x_li_sem[np.isnan(soc["x_li"].values[0])] = np.nan
    out = regions.copy()
    out["chi"].attrs.setdefault("units", "1")
    out["x_li"] = ("region", soc["x_li"].values[0], {"units": "1", "long_name": "Li content x"})
    out["x_li_sem"] = ("region", x_li_sem, {"units": "1", "long_name": "standard error of x_li"})
    out["reason"] = ("region", soc["reason"].values[0], soc["reason"].attrs)
    return out


def _local_slope(x_from_chi, chi: float) -> float:
    """dx/dχ of the inverse at ``chi`` (central difference, one-sided at the ends of its range)."""
    step = max(abs(chi), 1e-12) * 1e-4
    for a, b in ((chi - step, chi + step), (chi, chi + step), (chi - step, chi)):
        xa, xb = np.asarray(x_from_chi(np.array([a, b]))[0], dtype=float)
        if np.isfinite(xa) and np.isfinite(xb):
            return float((xb - xa) / (b - a))
    return np.nan
