"""Electrode|electrolyte interface kinetics: exchange-current densities with their sources.

Values live in ``materials/data/interfaces.toml`` under ``[_interfaces."A|B"]``; a user TOML file
loaded with :func:`operando.materials.load_toml` may add or override them with the same layout.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

from ..errors import DataFileError, UnknownMaterialError

_INTERFACES: dict[str, InterfaceKinetics] = {}
_PACKAGED_LOADED: list[bool] = []  # a flag the functions below can set without `global`


@dataclass(frozen=True)
class InterfaceKinetics:
    """Butler-Volmer parameters of one interface (i0 in A/m², per unit contact area)."""

    name: str
    exchange_current_density: float
    transfer_coefficient: float
    source: str
    note: str = ""
    range: tuple[float, float] | None = None
    assumption: bool = False


def _canonical(name: str) -> str:
    return "|".join(part.strip() for part in str(name).split("|"))


def register_interfaces(table: dict, where: str) -> list[str]:
    """Add interfaces from a parsed ``_interfaces`` TOML table; returns their names. The packaged
    interfaces are loaded first, so a user file overrides them one by one instead of replacing all."""
    _ensure_loaded()
    return _register(table, where)


def _register(table: dict, where: str) -> list[str]:
    out = []
    for name, spec in table.items():
        try:
            kin = InterfaceKinetics(
                _canonical(name),
                float(spec["exchange_current_density"]),
                float(spec.get("transfer_coefficient", 0.5)),
                str(spec["source"]),
                str(spec.get("note", "")),
                tuple(float(v) for v in spec["range"]) if "range" in spec else None,
                bool(spec.get("assumption", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFileError(
                f"{where}: interface {name!r} needs exchange_current_density and source: {exc}"
            ) from exc
        if not 0 < kin.transfer_coefficient < 1 or kin.exchange_current_density <= 0:
            raise DataFileError(f"{where}: interface {name!r}: need i0 > 0 and 0 < alpha < 1")
        _INTERFACES[kin.name] = kin
        out.append(kin.name)
    return out


def _ensure_loaded() -> None:
    if _PACKAGED_LOADED:
        return
    _PACKAGED_LOADED.append(True)
    with resources.files("operando.materials").joinpath("data/interfaces.toml").open("rb") as fh:
        _register(tomllib.load(fh)["_interfaces"], "materials/data/interfaces.toml")


def interface_names() -> list[str]:
    _ensure_loaded()
    return sorted(_INTERFACES)


def interface(name: str) -> InterfaceKinetics:
    """Kinetic parameters of ``name`` ("LiCoO2|LLZO" or "Li|LLZO"; order of the sides is free)."""
    _ensure_loaded()
    key = _canonical(name)
    if key not in _INTERFACES:
        flipped = "|".join(reversed(key.split("|")))
        if flipped in _INTERFACES:
            return _INTERFACES[flipped]
        aliases = {"LCO|LLZO": "LiCoO2|LLZO", "LixCoO2|LLZO": "LiCoO2|LLZO"}
        if key in aliases:
            return _INTERFACES[aliases[key]]
        raise UnknownMaterialError(
            f"interface: unknown name {name!r}; known interfaces: {', '.join(interface_names())}"
        )
    return _INTERFACES[key]


def exchange_current_density(name: str) -> float:
    """Exchange-current density of the interface ``name``, A/m²."""
    return interface(name).exchange_current_density


def transfer_coefficient(name: str) -> float:
    """Anodic transfer coefficient of the interface (default 0.5; cathodic = 1 - alpha)."""
    return interface(name).transfer_coefficient


def reset_interfaces() -> None:
    _INTERFACES.clear()
    _PACKAGED_LOADED.clear()
