"""Elemental make-up of the cell's materials for X-ray physics: mass fractions, density, electrons.

A :class:`Compound` is what every X-ray cross section needs: the mass fraction of each element and
the density. It is built from a chemical formula (parsed by ``xraydb.chemparse``), from a name in
the material registry (``operando.materials``: formula or ``mass_fractions`` of other materials,
and the density, each with its source), or from a lithiated family at any Li content x
(``"LixNi0.6Mn0.2Co0.2O2"`` with ``x=0.5``, or the formula ``"Li0.5Ni0.6Mn0.2Co0.2O2"``).

For an intercalation host the lattice is taken as fixed in x (the registry's molar volume per
formula unit at x = 1; the change is < 3 %), so the density follows the molar mass:
ρ(x) = M(x) / V_m. xraydb's own material table lacks the battery materials, hence this layer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import xraydb
from scipy.constants import N_A

from .._checks import check_positive, check_range
from ..errors import InputError, UnknownMaterialError

__all__ = ["Compound", "compound", "compound_names", "is_li_host", "lithiated", "number_densities"]

#: Registered materials the X-ray modality knows by name (all have a density and a composition).
_NAMED = (
    "NMC622",
    "NMC622_composite",
    "PEO_LiTFSI",
    "Li",
    "carbon_black",
    "PVDF",
    "stainless_steel",
    "Kapton",
    "LLZO",
    "LiCoO2",
    "Au",
    "Cu",
    "Al",
)


@dataclass(frozen=True)
class Compound:
    """Elemental mass fractions (sum 1) and density (kg m⁻³) of a material."""

    name: str
    mass_fractions: dict[str, float]
    density: float
    source: str = ""
    x: float | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def elements(self) -> tuple[str, ...]:
        return tuple(self.mass_fractions)

    @property
    def atomic_numbers(self) -> np.ndarray:
        return np.array([xraydb.atomic_number(e) for e in self.elements])

    def moles_per_kg(self) -> np.ndarray:
        """Moles of each element per kg of material (order of :attr:`elements`)."""
        w = np.array(list(self.mass_fractions.values()))
        m = np.array([xraydb.atomic_mass(e) for e in self.elements]) * 1e-3
        return w / m

    def electron_density(self) -> float:
        """Electrons per m³ (all shells)."""
        return float(self.density * N_A * np.sum(self.moles_per_kg() * self.atomic_numbers))

    def electron_fractions(self) -> dict[str, float]:
        """Share of the electrons carried by each element (sums to 1)."""
        ne = self.moles_per_kg() * self.atomic_numbers
        return dict(zip(self.elements, ne / ne.sum(), strict=True))

    def with_density(self, density_kg_m3: float) -> Compound:
        rho = check_positive("density_kg_m3", density_kg_m3, unit="kg/m^3")
        return Compound(self.name, self.mass_fractions, rho, self.source, self.x, self.notes)


def _parse_formula(formula: str) -> dict[str, float]:
    """Atoms per formula unit; InputError naming ``formula`` on unknown elements or bad syntax."""
    if not isinstance(formula, str) or not formula.strip():
        raise InputError(f"formula: expected a chemical formula such as 'LiCoO2', got {formula!r}")
    try:
        atoms = xraydb.chemparse(formula.replace(" ", ""))
    except (ValueError, KeyError) as exc:
        msg = str(exc).splitlines()[0]
        raise InputError(f"formula: cannot parse {formula!r} ({msg}); write e.g. 'Li0.5Ni0.6Mn0.2Co0.2O2'") from exc
    if not atoms or any(n < 0 for n in atoms.values()):
        raise InputError(f"formula: {formula!r} has no elements or a negative count")
    return {el: float(n) for el, n in atoms.items() if n > 0}


def _mass_fractions(atoms: dict[str, float]) -> dict[str, float]:
    mass = {el: n * xraydb.atomic_mass(el) for el, n in atoms.items()}
    total = sum(mass.values())
    return {el: m / total for el, m in mass.items()}


def _molar_mass(atoms: dict[str, float]) -> float:
    """kg per mole of formula units."""
    return 1e-3 * sum(n * xraydb.atomic_mass(el) for el, n in atoms.items())


def _registry_material(name: str):
    from .. import materials

    return materials.get(name)


def _lix_family(formula: str) -> tuple[str, float] | None:
    """('LixNi0.6Mn0.2Co0.2O2', 0.5) for 'Li0.5Ni0.6Mn0.2Co0.2O2' when such a family is registered."""
    m = re.fullmatch(r"Li(\d*\.?\d*)([A-Z].*)", formula.replace(" ", ""))
    if not m:
        return None
    host = m.group(2)
    for name in _NAMED:
        mat = _registry_material(name)
        if mat.formula == f"Lix{host}":
            return name, float(m.group(1)) if m.group(1) else 1.0
    return None


def lithiated(name: str, x: float) -> Compound:
    """A registered Li-intercalation host (formula ``Lix...``) at Li content ``x`` (0 ≤ x ≤ 1.2)."""
    x = check_range("x", x, 0.0, 1.2)
    mat = _registry_material(name)
    if not mat.formula.startswith("Lix"):
        raise InputError(f"name: {name!r} is not a Li-intercalation host (formula {mat.formula!r} lacks 'Lix')")
    atoms_full = _parse_formula("Li" + mat.formula[3:])
    atoms = {**atoms_full, "Li": x}
    if x == 0:
        atoms.pop("Li")
    vm = mat.value("molar_volume")
    notes = ("lattice (molar volume) taken constant in x: " + mat.property("molar_volume").source,)
    return Compound(
        f"{name}(x={x:g})",
        _mass_fractions(atoms),
        _molar_mass(atoms) / vm,
        f"{mat.formula} at x = {x:g}; density M(x)/V_m",
        x=x,
        notes=notes,
    )


def _split_mixture(text: str) -> list[tuple[str, float]]:
    parts = []
    for item in text.split(","):
        key, _, frac = item.partition(":")
        parts.append((key.strip(), float(frac)))
    return parts


@lru_cache(maxsize=256)
def _named(name: str) -> Compound:
    mat = _registry_material(name)
    notes = tuple(f"{p.name}: {p.note or p.source}" for p in mat.properties.values() if p.assumption)
    if "mass_fractions" in mat.info:
        total: dict[str, float] = {}
        for part, w in _split_mixture(str(mat.info["mass_fractions"])):
            try:
                sub = _named(part).mass_fractions
            except (UnknownMaterialError, InputError):
                sub = {part: 1.0}  # an element symbol
                _parse_formula(part)
            for el, f in sub.items():
                total[el] = total.get(el, 0.0) + w * f
        s = sum(total.values())
        fractions = {el: f / s for el, f in total.items()}
    elif mat.formula.startswith("Lix"):
        return lithiated(mat.name, 1.0)
    else:
        fractions = _mass_fractions(_parse_formula(mat.formula))
    return Compound(mat.name, fractions, mat.value("density"), mat.property("density").source, notes=notes)


def compound_names() -> list[str]:
    """Names of the registered materials with an X-ray composition."""
    return list(_NAMED)


def compound(formula_or_material, density_kg_m3: float | None = None, *, x: float | None = None) -> Compound:
    """The :class:`Compound` for a registered name, a ``Lix`` host at ``x``, or a chemical formula.

    A plain formula needs ``density_kg_m3`` unless it is a single element (xraydb's density) or a
    lithiated family member (``"Li0.5Ni0.6Mn0.2Co0.2O2"``). ``density_kg_m3`` overrides any density.
    """
    if isinstance(formula_or_material, Compound):
        c = formula_or_material
    else:
        key = str(formula_or_material)
        c = None
        try:
            mat = _registry_material(key)
        except UnknownMaterialError:
            mat = None
        if mat is not None and (mat.has("density") or "mass_fractions" in mat.info):
            if x is None:
                c = _named(mat.name)
            elif "mass_fractions" in mat.info:
                c = _from_number_densities(f"{mat.name}(x={x:g})", number_densities(mat.name, x), x)
            else:
                c = lithiated(mat.name, x)
        elif x is not None:
            raise InputError(f"x: given for {key!r}, which is not a registered Li host ('NMC622', 'LiCoO2')")
        if c is None:
            fam = _lix_family(key)
            if fam is not None:
                c = lithiated(*fam)
        if c is None:
            atoms = _parse_formula(key)
            if density_kg_m3 is None:
                if len(atoms) != 1:
                    raise InputError(
                        f"density_kg_m3: needed for the formula {key!r} (not a registered material; "
                        f"known: {', '.join(_NAMED)})"
                    )
                el = next(iter(atoms))
                density_kg_m3 = 1e3 * xraydb.atomic_density(el)
            c = Compound(key, _mass_fractions(atoms), 1.0, "formula")
            return c.with_density(density_kg_m3)
    if density_kg_m3 is not None:
        c = c.with_density(density_kg_m3)
    return c


def _host_parts(name: str) -> list[tuple[str, float]] | None:
    """Mass-fraction parts of a registered mixture, or None when ``name`` is not a mixture."""
    try:
        mat = _registry_material(name)
    except UnknownMaterialError:
        return None
    if "mass_fractions" not in mat.info:
        return None
    return _split_mixture(str(mat.info["mass_fractions"]))


def _is_host_name(name: str) -> bool:
    try:
        return _registry_material(name).formula.startswith("Lix")
    except UnknownMaterialError:
        return False


def is_li_host(material) -> bool:
    """True for a registered ``Lix`` host or a registered mixture that contains one."""
    if isinstance(material, Compound):
        return False
    parts = _host_parts(str(material))
    return _is_host_name(str(material)) or bool(parts and any(_is_host_name(p) for p, _ in parts))


def number_densities(material, x: float | None = None) -> dict[str, float]:
    """Atoms per m³ of each element; ``x`` sets the Li content of a host or of a mixture's host.

    In a mixture the volume fraction of each part is fixed at its as-made value (x = 1):
    φ_i = ρ_mix w_i / ρ_i, and the host's lattice does not change with x.
    """
    if x is not None and not is_li_host(material):
        raise InputError(f"x: given for {material!r}, which holds no Li-intercalation host")
    parts = _host_parts(str(material)) if not isinstance(material, Compound) else None
    if x is not None and parts:
        rho_mix = compound(material).density
        total: dict[str, float] = {}
        for part, w in parts:
            phi = rho_mix * w / compound(part).density
            sub = number_densities(part, x if _is_host_name(part) else None)
            for el, n in sub.items():
                total[el] = total.get(el, 0.0) + phi * n
        return total
    c = compound(material, x=x)
    return {el: c.density * N_A * m for el, m in zip(c.elements, c.moles_per_kg(), strict=True)}


def _from_number_densities(name: str, n: dict[str, float], x: float | None) -> Compound:
    """The Compound with atoms per m³ ``n`` (mass fractions and density follow)."""
    mass = {el: v * xraydb.atomic_mass(el) * 1e-3 / N_A for el, v in n.items()}
    rho = sum(mass.values())
    return Compound(name, {el: m / rho for el, m in mass.items()}, rho, "from number densities", x=x)
