import numpy as np
import pytest


@pytest.fixture
def rel_l2():
    """Relative L2 error ‖a - b‖ / ‖b‖."""

    def _rel_l2(a, b):
        return float(np.linalg.norm(np.asarray(a) - b) / np.linalg.norm(b))

    return _rel_l2
