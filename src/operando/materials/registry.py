"""The material registry: properties as data (value, unit, source) read from TOML files.

Every numeric property is stored in SI (``Property.value``) together with the value and unit as
written in its source (``raw_value``, ``raw_unit``) and a citation (``source``). Properties are
read from ``materials/data/*.toml`` at first use; :func:`load_toml` adds or overrides materials
from a user's file.

TOML layout (one table per material, one sub-table per property)::

    [LiCoO2]
    formula = "LiCoO2"
    [LiCoO2.diffusivity]
    value = 1e-9
    unit = "cm^2/s"
    source = "Pollok et al., Nat. Commun. 2025, Table 1"
    refs = [134]            # optional: expanded from the file's [_references] table
    range = [1e-10, 1e-9]   # optional: reported span, same unit as value
    at_x = 0.6              # optional: the lithium content the value refers to
    assumption = true       # optional: marks a modelling choice rather than a measurement
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources

from ..errors import DataFileError, InputError, UnknownMaterialError
from ..units import registry as unit_registry

#: SI unit of each standard property name (others are converted to SI base units).
PROPERTY_UNITS = {
    "ionic_conductivity": "S/m",
    "electronic_conductivity": "S/m",
    "diffusivity": "m^2/s",
    "chi_molar": "m^3/mol",
    "chi_molar_delithiated": "m^3/mol",
    "chi_molar_lithiated": "m^3/mol",
    "chi_molar_plateau": "m^3/mol",
    "chi_volume": "",
    "molar_volume": "m^3/mol",
    "density": "kg/m^3",
    "molar_mass": "kg/mol",
    "resistivity": "ohm*m",
    "lattice_a": "m",
    "lattice_c": "m",
}

#: CGS-emu molar susceptibility (cm³/mol, "emu/mol") to SI molar susceptibility (m³/mol): 4π·10⁻⁶.
EMU_PER_MOL_TO_SI = 4.0 * math.pi * 1e-6

_TEXT_KEYS = ("formula", "description", "role", "structure", "aliases", "phase")


@dataclass(frozen=True)
class Property:
    """One sourced property. ``value`` is in SI (``unit``) or a string for qualitative ones."""

    name: str
    value: float | str
    unit: str
    source: str
    raw_value: float | str | None = None
    raw_unit: str = ""
    note: str = ""
    range: tuple[float, float] | None = None
    at_x: float | None = None
    assumption: bool = False

    @property
    def is_numeric(self) -> bool:
        return not isinstance(self.value, str)


@dataclass
class Material:
    """A named material: metadata plus a dict of :class:`Property` by name."""

    name: str
    properties: dict[str, Property] = field(default_factory=dict)
    info: dict[str, object] = field(default_factory=dict)

    @property
    def formula(self) -> str:
        return str(self.info.get("formula", self.name))

    def has(self, prop: str) -> bool:
        try:
            self.property(prop)
        except InputError:
            return False
        return True

    def property(self, prop: str) -> Property:
        """The property ``prop``, stored or derived (chi_volume, molar_volume, density, 1/rho)."""
        if prop in self.properties:
            return self.properties[prop]
        derived = self._derive(prop)
        if derived is None:
            have = ", ".join(sorted(self.properties)) or "none"
            raise InputError(
                f"prop: material {self.name!r} has no property {prop!r}; available: {have} "
                "(derivable from these: chi_volume, molar_volume, density, resistivity, "
                "electronic_conductivity)"
            )
        return derived

    def value(self, prop: str) -> float:
        """The SI value of a numeric property (float)."""
        p = self.property(prop)
        if not p.is_numeric:
            raise InputError(
                f"prop: {prop!r} of {self.name!r} is qualitative ({p.value!r}), not a number"
            )
        return float(p.value)

    def _derive(self, prop: str) -> Property | None:
        have = self.properties
        num = {k: float(v.value) for k, v in have.items() if v.is_numeric}
        if prop == "molar_volume" and {"molar_mass", "density"} <= num.keys():
            return Property(
                prop, num["molar_mass"] / num["density"], "m^3/mol", "derived: molar_mass / density"
            )
        if prop == "density" and {"molar_mass", "molar_volume"} <= num.keys():
            return Property(
                prop,
                num["molar_mass"] / num["molar_volume"],
                "kg/m^3",
                "derived: molar_mass / molar_volume",
            )
        if prop == "chi_volume" and "chi_molar" in num:
            vm = self._derive("molar_volume") if "molar_volume" not in num else have["molar_volume"]
            if vm is None:
                return None
            return Property(
                prop,
                num["chi_molar"] / float(vm.value),
                "",
                "derived: chi_molar / molar_volume (SI volume susceptibility)",
            )
        if prop == "electronic_conductivity" and "resistivity" in num:
            return Property(
                prop,
                1.0 / num["resistivity"],
                "S/m",
                f"derived: 1 / resistivity ({have['resistivity'].source})",
            )
        if prop == "resistivity" and "electronic_conductivity" in num:
            return Property(
                prop,
                1.0 / num["electronic_conductivity"],
                "ohm*m",
                "derived: 1 / electronic_conductivity",
            )
        return None

    def summary(self) -> str:
        lines = [f"{self.name} ({self.formula})"]
        for p in self.properties.values():
            v = p.value if isinstance(p.value, str) else f"{p.value:.4g} {p.unit}"
            lines.append(f"  {p.name}: {v}  [{p.source}]")
        return "\n".join(lines)


# --- parsing -------------------------------------------------------------------------------------
def _to_si(prop: str, value: float, unit: str, where: str) -> tuple[float, str]:
    target = PROPERTY_UNITS.get(prop)
    if prop.startswith("chi_molar") and unit.replace(" ", "") in ("emu/mol", "cm^3/mol(cgs)"):
        return value * EMU_PER_MOL_TO_SI, "m^3/mol"
    ureg = unit_registry()
    try:
        q = ureg.Quantity(value, unit or "dimensionless")
        if target is None:
            q = q.to_base_units()
            return float(q.magnitude), f"{q.units:~}"
        return float(q.to(target or "dimensionless").magnitude), target
    except Exception as exc:  # pint raises several unrelated types
        raise DataFileError(
            f"{where}: cannot convert {value!r} {unit!r} of {prop!r} to SI: {exc}"
        ) from exc


def _parse_property(prop: str, spec: dict, refs: dict, where: str) -> Property:
    if "value" not in spec or "source" not in spec:
        raise DataFileError(
            f"{where}: property {prop!r} needs 'value' and 'source' keys, got {sorted(spec)}"
        )
    source = str(spec["source"])
    ref_nums = spec.get("refs", [])
    if ref_nums:
        cites = [f"ref. {n}: {refs.get(str(n), '(citation not listed)')}" for n in ref_nums]
        source = f"{source}; " + "; ".join(cites)
    raw, unit = spec["value"], str(spec.get("unit", ""))
    if isinstance(raw, str):
        return Property(
            prop,
            raw,
            "",
            source,
            raw_value=raw,
            note=str(spec.get("note", "")),
            assumption=bool(spec.get("assumption", False)),
        )
    value, si_unit = _to_si(prop, float(raw), unit, where)
    rng = None
    if "range" in spec:
        lo, hi = (float(r) for r in spec["range"])
        rng = (_to_si(prop, lo, unit, where)[0], _to_si(prop, hi, unit, where)[0])
    return Property(
        prop,
        value,
        si_unit,
        source,
        raw_value=float(raw),
        raw_unit=unit,
        note=str(spec.get("note", "")),
        range=rng,
        at_x=float(spec["at_x"]) if "at_x" in spec else None,
        assumption=bool(spec.get("assumption", False)),
    )


def parse_materials(data: dict, where: str) -> dict[str, Material]:
    """Materials from a parsed TOML document (``where`` names the file in error messages)."""
    refs = {str(k): str(v) for k, v in data.get("_references", {}).items()}
    out: dict[str, Material] = {}
    for name, entry in data.items():
        if name.startswith("_"):
            continue
        if not isinstance(entry, dict):
            raise DataFileError(f"{where}: top-level key {name!r} must be a table of properties")
        mat = Material(name)
        for key, val in entry.items():
            if isinstance(val, dict):
                mat.properties[key] = _parse_property(key, val, refs, f"{where} [{name}]")
            else:
                mat.info[key] = val
        out[name] = mat
    return out


# --- the registry --------------------------------------------------------------------------------
_REGISTRY: dict[str, Material] = {}
_ALIASES: dict[str, str] = {}


def _register(mats: dict[str, Material], *, override: bool) -> None:
    for name, mat in mats.items():
        if name in _REGISTRY and override:
            merged = Material(
                name,
                {**_REGISTRY[name].properties, **mat.properties},
                {**_REGISTRY[name].info, **mat.info},
            )
            _REGISTRY[name] = merged
        else:
            _REGISTRY[name] = mat
        for alias in mat.info.get("aliases", []) or []:
            _ALIASES[str(alias).lower()] = name


def _ensure_loaded() -> None:
    if _REGISTRY:
        return
    files = sorted(
        (
            f
            for f in resources.files("operando.materials").joinpath("data").iterdir()
            if f.name.endswith(".toml")
        ),
        key=lambda f: f.name,
    )
    for f in files:
        with f.open("rb") as fh:
            _register(parse_materials(tomllib.load(fh), f"materials/data/{f.name}"), override=True)


def names() -> list[str]:
    """Sorted names of every registered material."""
    _ensure_loaded()
    return sorted(_REGISTRY)


def get(name: str) -> Material:
    """The material called ``name`` (exact, or a listed alias, case-insensitive)."""
    _ensure_loaded()
    if isinstance(name, Material):
        return name
    if name in _REGISTRY:
        return _REGISTRY[name]
    key = str(name).lower()
    exact = {n.lower(): n for n in _REGISTRY}
    if key in exact:
        return _REGISTRY[exact[key]]
    if key in _ALIASES:
        return _REGISTRY[_ALIASES[key]]
    raise UnknownMaterialError(
        f"material: unknown name {name!r}; known materials: {', '.join(names())}"
    )


def load_toml(path) -> list[str]:
    """Add or override materials from a user TOML file; returns the names it defined.

    Properties of an existing material are replaced one by one (others are kept).
    """
    from ..io import read_toml

    _ensure_loaded()
    data = read_toml(path, "materials file")
    mats = parse_materials(data, str(path))
    _register(mats, override=True)
    return sorted(mats)


def reset() -> None:
    """Forget user overrides: the next call reloads the packaged data files."""
    _REGISTRY.clear()
    _ALIASES.clear()

