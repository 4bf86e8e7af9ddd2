"""Materials library: every property as data with its value, unit and source.

>>> from operando import materials
>>> materials.get("LiCoO2").value("chi_molar")        # m³/mol, Pollok et al., Nat. Commun. 2025, Table 1
1.3e-09
>>> materials.lixcoo2.chi_volume([1.0, 0.6])          # SI volume susceptibility of LixCoO2

Packaged data: ``materials/data/*.toml`` (Pollok et al., Nat. Commun. 2025, Table 1, the cell materials, interfaces).
:func:`load_toml` adds or overrides materials (and ``[_interfaces."A|B"]`` kinetics) from a file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from . import lixcoo2
from .interfaces import (
    InterfaceKinetics,
    exchange_current_density,
    interface,
    interface_names,
    register_interfaces,
    transfer_coefficient,
)
from .registry import PROPERTY_UNITS, Material, Property, get, names
from .registry import load_toml as _load_materials_toml
from .registry import reset as _reset_registry


def load_toml(path) -> list[str]:
    """Add or override materials (and interfaces) from a user TOML file; returns their names."""
    defined = _load_materials_toml(path)
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    if "_interfaces" in data:
        defined += register_interfaces(data["_interfaces"], str(path))
    return defined


def reset() -> None:
    """Drop user overrides; the packaged data are reloaded on next use."""
    from .interfaces import reset_interfaces

    _reset_registry()
    reset_interfaces()


__all__ = [
    "PROPERTY_UNITS",
    "InterfaceKinetics",
    "Material",
    "Property",
    "exchange_current_density",
    "get",
    "interface",
    "interface_names",
    "lixcoo2",
    "load_toml",
    "names",
    "reset",
    "transfer_coefficient",
]
