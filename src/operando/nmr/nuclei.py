"""NMR nuclei and spectrometers as data: spin, γ, abundance, quadrupole moment; Larmor frequencies,
receptivities, and the isotropic Knight/chemical shifts of battery species.

Data live in ``nmr/data/nuclei.toml`` and ``nmr/data/shifts.toml`` (every number with its
source). Why not a library: nmrglue and mrsimulator carry no nuclear-property table with sources
(mrsimulator has γ and spin internally, but no abundances, receptivities or battery shifts).

Liu et al. (Nat. Mater. 2025) print 394.7 MHz for ⁷Li at 21.1 T; γ gives 349.2 MHz (a typo
in the paper; the tests check the computed value and the paper's 194.4 / 322.57 / 122.14 MHz).

>>> from operando import nmr
>>> nmr.larmor_frequency("7Li", spectrometer=600e6) / 1e6   # MHz at a "600 MHz" magnet
233.2...
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from .._checks import check_positive
from ..errors import DataFileError, InputError

__all__ = [
    "Nucleus",
    "Shift",
    "field_of_spectrometer",
    "larmor_frequency",
    "nucleus",
    "nucleus_names",
    "receptivity",
    "shift",
    "shift_names",
]

#: Fundamental Larmor frequency unit: γ in the data file is in 1e7 rad s⁻¹ T⁻¹.
_GAMMA_UNIT = 1e7


def _read(name: str) -> dict:
    try:
        text = resources.files("operando.nmr").joinpath("data", name).read_text(encoding="utf-8")
        return tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:  # a broken install, not a user error
        raise DataFileError(f"nmr/data/{name}: cannot read the packaged NMR data ({exc})") from exc


@dataclass(frozen=True)
class Nucleus:
    """One NMR isotope. ``gamma`` in rad s⁻¹ T⁻¹ (signed), ``abundance`` as a fraction (0–1),
    ``quadrupole_moment`` in m², ``spin`` I."""

    name: str
    spin: float
    gamma: float
    abundance: float
    quadrupole_moment: float
    source: str

    @property
    def gyromagnetic_hz(self) -> float:
        """|γ|/2π in Hz/T."""
        return abs(self.gamma) / (2 * np.pi)

    @property
    def element(self) -> str:
        return self.name.lstrip("0123456789")


@lru_cache(maxsize=1)
def _nuclei() -> dict[str, Nucleus]:
    data = _read("nuclei.toml")
    refs = data.pop("_references", {})
    out = {}
    for name, row in data.items():
        src = "; ".join(refs.get(k.split()[0], k) for k in row["source"].split("; "))
        out[name] = Nucleus(
            name=name,
            spin=float(row["spin"]),
            gamma=float(row["gamma"]) * _GAMMA_UNIT,
            abundance=float(row["abundance"]) / 100.0,
            quadrupole_moment=float(row["quadrupole_moment"]) * 1e-30,
            source=src,
        )
    return out


def nucleus_names() -> list[str]:
    """Names of the tabulated nuclei (e.g. ``"7Li"``)."""
    return list(_nuclei())


def nucleus(name) -> Nucleus:
    """The :class:`Nucleus` called ``name`` (``"7Li"``, ``"Li7"`` or ``"7-Li"``); a Nucleus passes
    through."""
    if isinstance(name, Nucleus):
        return name
    table = _nuclei()
    key = str(name).replace("-", "").strip()
    if key not in table:  # accept "Li7" as well as "7Li"
        digits = "".join(c for c in key if c.isdigit())
        key = digits + key.replace(digits, "")
    if key not in table:
        raise InputError(f"nucleus: unknown nucleus {name!r}; expected one of {', '.join(table)}")
    return table[key]


def field_of_spectrometer(spectrometer: float) -> float:
    """Field B0 (T) of a magnet named by its ¹H frequency (Hz), e.g. 600e6 → 14.09 T."""
    f = check_positive("spectrometer", spectrometer, unit="Hz (the 1H frequency)")
    return f / nucleus("1H").gyromagnetic_hz


def _field(field, spectrometer) -> float:
    if (field is None) == (spectrometer is None):
        raise InputError("field, spectrometer: give exactly one (B0 in T, or the 1H frequency in Hz)")
    if field is not None:
        return check_positive("field", field, unit="T")
    return field_of_spectrometer(spectrometer)


def larmor_frequency(name, field: float | None = None, *, spectrometer: float | None = None) -> float:
    """Larmor frequency |γ| B0 / 2π (Hz) of ``name`` at ``field`` (T) or in the magnet whose ¹H
    frequency is ``spectrometer`` (Hz). Shielding of the reference compound is neglected (≲ 30 ppm
    for the nuclei tabulated here)."""
    return nucleus(name).gyromagnetic_hz * _field(field, spectrometer)


def receptivity(name, *, relative_to: str = "1H", absolute: bool = False) -> float:
    """NMR receptivity relative to ``relative_to`` at equal field: ``|γ|³ I(I+1)``, per nucleus
    (``absolute=False``, "equal number of nuclei") or times natural abundance (``absolute=True``,
    the reference nucleus at its own natural abundance when it is 1H, ~0.99989)."""
    n, ref = nucleus(name), nucleus(relative_to)

    def per_nucleus(x: Nucleus) -> float:
        return abs(x.gamma) ** 3 * x.spin * (x.spin + 1)

    r = per_nucleus(n) / per_nucleus(ref)
    return r * n.abundance / ref.abundance if absolute else r


@dataclass(frozen=True)
class Shift:
    """An isotropic shift (ppm) of a species for one element's nuclei, with its source."""

    species: str
    element: str
    value: float
    kind: str  # "knight" or "chemical"
    source: str
    values: tuple[float, ...] = ()
    approximate: bool = False


@lru_cache(maxsize=1)
def _shifts() -> dict[tuple[str, str], Shift]:
    data = _read("shifts.toml")
    data.pop("_references", None)
    out = {}
    for species, by_element in data.items():
        for element, row in by_element.items():
            out[(species, element)] = Shift(
                species=species,
                element=element,
                value=float(row["value"]),
                kind=row["kind"],
                source=row["source"],
                values=tuple(float(v) for v in row.get("values", [row["value"]])),
                approximate=bool(row.get("approximate", False)),
            )
    return out


def shift_names(element: str | None = None) -> list[str]:
    """Species with a tabulated shift (for one element, e.g. ``"Li"``, or all)."""
    return sorted({s for s, e in _shifts() if element is None or e == element})


def shift(species: str, name="7Li") -> Shift:
    """The tabulated isotropic shift of ``species`` (e.g. ``"Li_metal"``, ``"LLZO"``, ``"LiF"``)
    seen by nucleus ``name`` (its element selects the row: 6Li and 7Li share Li shifts)."""
    element = nucleus(name).element
    table = _shifts()
    if (species, element) not in table:
        raise InputError(
            f"species: no {element} shift tabulated for {species!r}; known: {', '.join(shift_names(element))}"
        )
    return table[(species, element)]
