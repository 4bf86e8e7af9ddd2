"""Projection and back-projection kernels in pixel units (numba where installed, numpy otherwise).

Two forward projectors and one back-projector:

- Joseph's ray-driven projector (Joseph, IEEE Trans. Med. Imaging 1982): each ray steps one row
  (or column) at a time along its dominant axis, interpolating linearly across the other — line
  integrals accurate to second order, used to simulate the tomograph;
- the pixel-driven projector ("splatting"): each pixel deposits its value on the two nearest
  detector bins with linear weights — the exact adjoint of
- the pixel-driven back-projector with linear interpolation, used by filtered back-projection
  and, with the splatting projector, as a matched pair in the iterative solvers.

Written by hand because scikit-image's ``radon``/``iradon`` rotate or interpolate the whole image
per angle in Python (one slice at a time, one core) and ASTRA/tomopy are not dependencies; the
numpy versions loop over angles only and are the references the compiled ones are tested against.
Volumes are ``(nz, ny, nx)``; sinograms ``(nz, n_angles, n_det)``; ``det0`` is the detector index of
the rotation axis.
"""

from __future__ import annotations

import numpy as np

from ... import _numba
from ..._numba import jit, prange


@jit(inline=True)
def _valid_range(u0, du, n_steps, n_src):  # pragma: no cover - compiled
    """Steps m in [lo, hi) with 0 <= u0 + m·du <= n_src - 1 (u0, du in source-bin units)."""
    if abs(du) < 1e-12:
        if u0 < 0.0 or u0 > n_src - 1:
            return 0, 0
        return 0, n_steps
    ma = (0.0 - u0) / du
    mb = (n_src - 1 - u0) / du
    if ma > mb:
        ma, mb = mb, ma
    lo = max(0, int(np.ceil(ma)))
    hi = min(n_steps, int(np.floor(mb)) + 1)
    return lo, max(lo, hi)


@jit(parallel=True, fastmath=True)
def _joseph_nb(vol, cos, sin, det0, out):  # pragma: no cover - compiled
    # vol carries a zero border of one pixel, so linear interpolation never leaves the array
    nz, nyp, nxp = vol.shape
    ny, nx = nyp - 2, nxp - 2
    na, nd = out.shape[1], out.shape[2]
    cy = 0.5 * (ny - 1)
    cx = 0.5 * (nx - 1)
    for a in prange(na):
        c = cos[a]
        s = sin[a]
        along_y = abs(c) >= abs(s)
        w = 1.0 / abs(c) if along_y else 1.0 / abs(s)
        n_step = ny if along_y else nx
        n_across = nx + 2 if along_y else ny + 2
        c_step = cy if along_y else cx
        c_across = (cx if along_y else cy) + 1.0
        cc = c if along_y else s
        ss = s if along_y else c
        for z in range(nz):
            for k in range(nd):
                t = k - det0
                u0 = (t + c_step * ss) / cc + c_across
                du = -ss / cc
                lo, hi = _valid_range(u0, du, n_step, n_across)
                acc = 0.0
                for i in range(lo, hi):
                    u = u0 + i * du
                    j0 = min(int(u), n_across - 2)  # u = n_across - 1 exactly: f = 1
                    f = u - j0
                    if along_y:
                        acc += vol[z, i + 1, j0] + f * (vol[z, i + 1, j0 + 1] - vol[z, i + 1, j0])
                    else:
                        acc += vol[z, j0, i + 1] + f * (vol[z, j0 + 1, i + 1] - vol[z, j0, i + 1])
                out[z, a, k] = w * acc
    return out


def _joseph_np(vol, cos, sin, det0, out):
    nz, _ny, _nx = vol.shape
    nd = out.shape[2]
    t = np.arange(nd) - det0
    for a, (c, s) in enumerate(zip(cos, sin, strict=True)):
        along_y = abs(c) >= abs(s)
        img = vol if along_y else vol.transpose(0, 2, 1)  # rows stepped, columns interpolated
        n_step, n_across = img.shape[1], img.shape[2]
        cc, ss = (c, s) if along_y else (s, c)
        p = np.arange(n_step) - 0.5 * (n_step - 1)
        u = (t[None, :] - p[:, None] * ss) / cc + 0.5 * (n_across - 1)
        j0 = np.floor(u).astype(np.int64)
        f = u - j0
        rows = np.arange(n_step)[:, None]
        acc = np.zeros((nz, n_step, nd))
        for jj, wt in ((j0, 1.0 - f), (j0 + 1, f)):
            ok = (jj >= 0) & (jj < n_across)
            acc += np.where(ok, wt, 0.0) * img[:, rows, np.clip(jj, 0, n_across - 1)]
        out[:, a, :] = acc.sum(axis=1) / abs(cc)
    return out


@jit(parallel=True, fastmath=True)
def _backproject_nb(sino, cos, sin, weights, det0, out):  # pragma: no cover - compiled
    # sino carries one zero bin on each side (det0 shifted by 1): no bounds test per pixel
    nz, ny, nx = out.shape
    na, ndp = sino.shape[1], sino.shape[2]
    cy = 0.5 * (ny - 1)
    cx = 0.5 * (nx - 1)
    for zi in prange(nz * ny):
        z = zi // ny
        i = zi - z * ny
        y = i - cy
        row = np.zeros(nx)
        for a in range(na):
            c = cos[a]
            w = weights[a]
            u0 = -cx * c + y * sin[a] + det0
            lo, hi = _valid_range(u0, c, nx, ndp)
            for j in range(lo, hi):
                u = u0 + j * c
                k0 = min(int(u), ndp - 2)
                f = u - k0
                row[j] += w * (sino[z, a, k0] + f * (sino[z, a, k0 + 1] - sino[z, a, k0]))
        out[z, i, :] += row
    return out


def _backproject_np(sino, cos, sin, weights, det0, out):
    _nz, ny, nx = out.shape
    nd = sino.shape[2]
    x = np.arange(nx) - 0.5 * (nx - 1)
    y = np.arange(ny) - 0.5 * (ny - 1)
    for a, (c, s, w) in enumerate(zip(cos, sin, weights, strict=True)):
        u = x[None, :] * c + y[:, None] * s + det0
        k0 = np.floor(u).astype(np.int64)
        f = u - k0
        for kk, wt in ((k0, 1.0 - f), (k0 + 1, f)):
            ok = (kk >= 0) & (kk < nd)
            out += w * np.where(ok, wt, 0.0) * sino[:, a, np.clip(kk, 0, nd - 1)]
    return out


@jit(parallel=True)
def _splat_nb(vol, cos, sin, det0, out):  # pragma: no cover - compiled
    nz, ny, nx = vol.shape
    na, nd = out.shape[1], out.shape[2]
    cy = 0.5 * (ny - 1)
    cx = 0.5 * (nx - 1)
    for a in prange(na):
        c = cos[a]
        s = sin[a]
        for z in range(nz):
            for i in range(ny):
                u0 = -cx * c + (i - cy) * s + det0
                for j in range(nx):
                    u = u0 + j * c
                    k0 = int(np.floor(u))
                    f = u - k0
                    v = vol[z, i, j]
                    if k0 >= 0 and k0 < nd:
                        out[z, a, k0] += (1.0 - f) * v
                    if k0 + 1 >= 0 and k0 + 1 < nd:
                        out[z, a, k0 + 1] += f * v
    return out


def _splat_np(vol, cos, sin, det0, out):
    nz, ny, nx = vol.shape
    nd = out.shape[2]
    x = np.arange(nx) - 0.5 * (nx - 1)
    y = np.arange(ny) - 0.5 * (ny - 1)
    offset = (np.arange(nz) * nd)[:, None, None]
    for a, (c, s) in enumerate(zip(cos, sin, strict=True)):
        u = x[None, :] * c + y[:, None] * s + det0
        k0 = np.floor(u).astype(np.int64)
        f = u - k0
        for kk, wt in ((k0, 1.0 - f), (k0 + 1, f)):
            ok = np.broadcast_to((kk >= 0) & (kk < nd), vol.shape)
            idx = np.broadcast_to(offset + kk, vol.shape)
            val = vol * wt
            out[:, a, :] += np.bincount(idx[ok], val[ok], minlength=nz * nd).reshape(nz, nd)
    return out


def joseph(vol, cos, sin, det0, n_det, *, compiled: bool | None = None):
    """Line integrals (pixel units) of ``vol`` (nz, ny, nx) → (nz, n_angles, n_det)."""
    out = np.zeros((vol.shape[0], len(cos), n_det))
    if _use_numba(compiled):
        return _joseph_nb(np.pad(np.asarray(vol, dtype=float), ((0, 0), (1, 1), (1, 1))), cos, sin, float(det0), out)
    return _joseph_np(np.ascontiguousarray(vol, dtype=float), cos, sin, float(det0), out)


def splat(vol, cos, sin, det0, n_det, *, compiled: bool | None = None):
    """Pixel-driven projection (adjoint of :func:`backproject` with unit weights)."""
    out = np.zeros((vol.shape[0], len(cos), n_det))
    fn = _splat_nb if _use_numba(compiled) else _splat_np
    return fn(np.ascontiguousarray(vol, dtype=float), cos, sin, float(det0), out)


def backproject(sino, cos, sin, weights, det0, shape, *, compiled: bool | None = None):
    """Σ_a weights[a] · sino[:, a, t(x, y)] with linear interpolation → (nz, ny, nx)."""
    out = np.zeros((sino.shape[0], int(shape[0]), int(shape[1])))
    w = np.asarray(weights, float)
    if _use_numba(compiled):
        padded = np.pad(np.asarray(sino, dtype=float), ((0, 0), (0, 0), (1, 1)))
        return _backproject_nb(padded, cos, sin, w, float(det0) + 1.0, out)
    return _backproject_np(np.ascontiguousarray(sino, dtype=float), cos, sin, w, float(det0), out)


def _use_numba(compiled):
    return _numba.available() if compiled is None else bool(compiled) and _numba.available()
