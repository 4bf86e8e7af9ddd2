"""NMR feasibility planner and the `operando nmr plan` command."""

import numpy as np
import pytest
from typer.testing import CliRunner

from operando import nmr
from operando.cli import app
from operando.errors import InputError
from operando.nmr import feasibility


def test_skin_fraction_limits():
    delta = 10e-6
    assert feasibility.skin_fraction(10e-9, delta) == pytest.approx(1.0, abs=2e-3)  # by volume
    thick = 1e-3
    # thick film from two faces: 2 * delta / (2 sqrt 2) per thickness (area x skin depth)
    assert feasibility.skin_fraction(thick, delta) == pytest.approx(2 * delta / (2 * np.sqrt(2)) / thick, rel=1e-6)
    assert feasibility.skin_fraction(thick, delta, faces=1) == pytest.approx(
        feasibility.skin_fraction(thick, delta) / 2, rel=1e-6)


def test_plan_scalings():
    base = feasibility.plan(1e-12, 1e-6, spectrometer=600e6)
    double = feasibility.plan(2e-12, 1e-6, spectrometer=600e6)
    assert double.snr_per_scan == pytest.approx(2 * base.snr_per_scan)
    assert double.averages == pytest.approx(np.ceil(base.averages / 4), abs=1)
    li6 = feasibility.plan(1e-12, 1e-6, nucleus_name="6Li", spectrometer=600e6)
    assert li6.snr_per_scan < base.snr_per_scan / 100
    enriched = feasibility.plan(1e-12, 1e-6, nucleus_name="6Li", spectrometer=600e6, abundance=0.95)
    assert enriched.snr_per_scan > 10 * li6.snr_per_scan
    bag = feasibility.plan(1e-12, 1e-6, spectrometer=600e6, foil_thickness=10e-6)
    assert bag.snr_per_scan == pytest.approx(base.snr_per_scan * (1 - bag.foil_loss))
    slow = feasibility.plan(1e-12, 1e-6, spectrometer=600e6, recycle_delay=10.0)
    assert slow.time == pytest.approx(10 * base.time)
    high = feasibility.plan(1e-12, 1e-6, field=28.2)
    assert high.snr_per_scan > base.snr_per_scan


def test_plan_bad_input():
    with pytest.raises(InputError, match="thickness: must be > 0"):
        feasibility.plan(1e-12, -1e-6, spectrometer=600e6)
    with pytest.raises(InputError, match="field: must be > 0"):
        feasibility.plan(1e-12, 1e-6, field=0.0)
    with pytest.raises(InputError, match="nucleus: unknown"):
        feasibility.plan(1e-12, 1e-6, nucleus_name="X", spectrometer=600e6)


def test_cli_nmr_plan():
    out = CliRunner().invoke(app, ["nmr", "plan", "--volume", "1e-3 mm^3", "--thickness", "1 um"])
    assert out.exit_code == 0, out.output
    assert "7Li at 14.09 T" in out.output and "skin depth" in out.output
    more = CliRunner().invoke(app, ["nmr", "plan", "--volume", "4e-3 mm^3", "--thickness", "1 um"])
    assert more.output != out.output
    assert nmr.feasibility.plan(1e-12, 1e-6, spectrometer=600e6).spins > 0
