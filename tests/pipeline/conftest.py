import pytest


def _small_run(out, *, five_c: dict | None = None) -> dict:
    """A run of the 2-D section at 500 nm with short steps and no ODMR spectra: seconds, every stage.
    ``five_c`` replaces keys of the first step (a None value removes the key)."""
    step = {"name": "5C", "current_density": "4.70 mA/cm^2", "duration": "30 s", **(five_c or {})}
    return {
        "out": str(out),
        "cell": {"voxel": "500 nm", "nz": 1},
        "charge": [
            {k: v for k, v in step.items() if v is not None},
            {"name": "25C", "current_density": "23.5 mA/cm^2", "duration": "0.5 s", "dendrite": True},
        ],
        "imaging": {"nv_orientations": ["perpendicular"], "standoff_sweep": ["50 nm", "200 nm"]},
        "sensor": {"simulate_spectra": False},
    }


@pytest.fixture(scope="session")
def small_run():
    """Builder of the configuration mapping of a small run (``small_run(out, five_c={...})``)."""
    return _small_run
