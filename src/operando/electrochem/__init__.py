"""Electrochemistry: finite-volume conduction and the microstructure-resolved charge solver.

>>> from operando.cell.presets import pollok2025
>>> from operando.electrochem import Galvanostatic, charge
>>> ds = charge(pollok2025(), Galvanostatic(c_rate=5, duration=240))   # doctest: +SKIP
"""

from .conduction import SteadyConduction, steady_conductivity
from .model import ChargeModel
from .protocol import Galvanostatic
from .solver import charge

__all__ = ["ChargeModel", "Galvanostatic", "SteadyConduction", "charge", "steady_conductivity"]
