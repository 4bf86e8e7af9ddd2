import os

import numpy as np
import pytest

os.environ.setdefault("OPERANDO_PROGRESS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
