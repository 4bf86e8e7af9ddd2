"""Electrochemistry: finite-volume conduction and the microstructure-resolved charge solver.

>>> from operando.cell.presets import pollok2025
>>> from operando.electrochem import Galvanostatic, charge
>>> ds = charge(pollok2025(), Galvanostatic(c_rate=5, duration=240))   # doctest: +SKIP
>>> from operando.electrochem import Experiment
>>> cycle = Experiment(["Charge at 1C until 4.3 V", "Rest for 5 minutes", "Hold at 4.3 V until C/20",
...                     "Discharge at 1C until 3.0 V"], cycles=2, output_interval=600)
>>> ds = charge(pollok2025(nz=1), cycle)   # doctest: +SKIP
"""

from .conduction import SteadyConduction, steady_conductivity
from .experiment import Condition, Experiment, Step
from .model import ChargeModel
from .protocol import Galvanostatic
from .solver import charge

__all__ = ["ChargeModel", "Condition", "Experiment", "Galvanostatic", "SteadyConduction", "Step", "charge",
           "steady_conductivity"]
