"""Choose the line model of a stack from the data: single Lorentzian lines, ¹⁴N triplets or ¹⁵N
doublets.

Criterion (stated to the user with the numbers): the Bayesian information criterion summed over a
sample of pixels (a regular grid of up to :data:`SAMPLE_SIDE`² pixels, spread over the image and
over every sweep), ``BIC = Σ_pixels [m·ln(χ²/m) + p·ln m]`` for Gaussian noise. The three
candidates have the same parameters (centre, width, contrast per line, baseline) and differ only in
the line shape, so the BIC difference is the log-likelihood ratio. A multiplet model is taken only
when it beats single lines by more than :data:`DELTA_BIC` (Kass & Raftery, J. Am. Stat. Assoc.
90, 773 (1995): "very strong" evidence); otherwise single lines, which assume nothing about the
nitrogen isotope. Pixels that any candidate could not fit (no finite χ²) are left out of every sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dataset import SIGNAL, VALID
from .models import DipModel

SAMPLE_SIDE = 16
DELTA_BIC = 10.0
CANDIDATES = (None, "14N", "15N")
_LABEL = {None: "single Lorentzian lines", "14N": "14N hyperfine triplets", "15N": "15N doublets"}


@dataclass(frozen=True)
class ModelChoice:
    model: DipModel
    explanation: str
    bic: dict


def sample_pixels(ds, side: int = SAMPLE_SIDE) -> np.ndarray:
    """Spectra (k, m) of a regular grid of at most side × side pixels (valid ones only)."""
    ny, nx = ds.sizes["y"], ds.sizes["x"]
    iy = np.unique(np.linspace(0, ny - 1, min(side, ny)).round().astype(int))
    ix = np.unique(np.linspace(0, nx - 1, min(side, nx)).round().astype(int))
    y = np.asarray(ds[SIGNAL].isel(y=iy, x=ix).values, dtype=np.float64).reshape(-1, ds.sizes["frequency"])
    if VALID in ds:
        y = y[np.asarray(ds[VALID].isel(y=iy, x=ix).values).ravel()]
    return y


def choose_model(datasets, *, n_dips: int = 2, shared_width: bool = False, hyperfine=None,
                 engine: str = "auto") -> ModelChoice:
    """Pick the Lorentzian line model for one or more sweeps ``datasets`` (each fitted with
    ``n_dips`` lines); ``hyperfine`` given: that multiplet, no test."""
    from .fit import fit_spectra

    candidates = CANDIDATES if hyperfine is None else (hyperfine,)
    samples = [(ds["frequency"].values.astype(np.float64), sample_pixels(ds)) for ds in datasets]
    chi2, ok = {}, None
    for hf in candidates:
        model = DipModel(n_dips, "lorentzian", shared_width, hf)
        p = len(model.names)
        per = []
        for f, y in samples:
            res = fit_spectra(f, y, model, engine=engine)
            red = res[:, -4]
            per.append(red * max(f.size - p, 1))
            good = np.isfinite(red)
            ok = good if ok is None or ok.shape != good.shape else ok & good
        chi2[hf] = per
    n_pix = int(ok.sum()) if ok is not None else 0
    bic = {}
    for hf in candidates:
        total = 0.0
        for (f, _), c2 in zip(samples, chi2[hf], strict=True):
            m = f.size
            total += float(np.sum(m * np.log(np.maximum(c2[ok], 1e-300) / m)))
        bic[hf] = total
    plain = bic.get(None, np.inf)
    best = min(bic, key=bic.get)
    if hyperfine is None and best is not None and plain - bic[best] <= DELTA_BIC:
        best = None
    model = DipModel(n_dips, "lorentzian", shared_width, best)
    if len(candidates) == 1:
        why = f"{_LABEL[best]} (given)"
    elif n_pix == 0:
        why = (f"{_LABEL[best]}: no sample pixel was fitted by every candidate, so no evidence "
               "for a multiplet")
    else:
        others = ", ".join(f"{_LABEL[h]} {bic[h] - bic[best]:+.0f}" for h in candidates if h != best)
        why = (f"{_LABEL[best]}: lowest BIC over {n_pix} sample pixels (ΔBIC of the others: "
               f"{others}; a multiplet is taken only when it beats single lines by > "
               f"{DELTA_BIC:g}); --model lorentzian --hyperfine ... overrides")
    return ModelChoice(model, why, {str(k): v for k, v in bic.items()})


#: line counts tried when a stack does not say how many resonances it holds (per sweep)
LINE_COUNTS = (1, 2, 4, 8)


def _bic(samples, model, engine) -> tuple[float, int]:
    """BIC summed over the sample spectra, ``Σ_pixels [m·ln(χ²/m) + p·ln m]``; an unfitted pixel
    counts as the worst fitted one (a model no pixel fits loses); with the number of pixels."""
    from .fit import fit_spectra

    p, total, pixels = len(model.names), 0.0, 0
    for f, y in samples:
        m = f.size
        if m < max(2 * p, p + 2):
            return np.inf, 0
        red = fit_spectra(f, y, model, engine=engine)[:, -4]
        good = np.isfinite(red)
        c2 = red[good] * max(m - p, 1)
        worst = np.max(c2) if c2.size else np.inf
        c2 = np.concatenate([c2, np.full(np.count_nonzero(~good), worst)])
        total += float(np.sum(m * np.log(np.maximum(c2, 1e-300) / m)) + c2.size * p * np.log(m))
        pixels = max(pixels, c2.size)
    return total, pixels


def count_lines(datasets, *, candidates=LINE_COUNTS, hyperfine=None, engine: str = "auto") -> tuple[int, str]:
    """The number of lines per sweep of ``datasets`` (one or more sweeps) with the lowest BIC over
    the sample pixels, each count fitted as single Lorentzian lines and as the multiplets of
    :data:`CANDIDATES` (a ¹⁴N triplet is one line, not three; the counts differ in parameters, so
    the penalty p·ln m matters here); with the explanation."""
    samples = [(ds["frequency"].values.astype(np.float64), sample_pixels(ds)) for ds in datasets]
    shapes = CANDIDATES if hyperfine is None else (hyperfine,)
    bic, pixels = {}, 0
    for n in candidates:
        for hf in shapes:
            bic[n, hf], k = _bic(samples, DipModel(n, "lorentzian", False, hf), engine)
            pixels = max(pixels, k)
    per_count = {n: min(bic[n, hf] for hf in shapes) for n in candidates}
    best = min(per_count, key=per_count.get)
    others = ", ".join(f"{n}: {per_count[n] - per_count[best]:+.0f}" for n in candidates if n != best)
    return best, (f"{best} line(s) per sweep: lowest BIC over {pixels} sample pixels (ΔBIC of the other "
                  f"counts {others}); the file does not say; --n-dips overrides")
