"""Every bad input of the magnetics stage raises InputError naming the parameter."""

import numpy as np
import pytest

from operando import Grid, InputError
from operando.magnetics import (
    molar_to_volume_susceptibility,
    nv_axis,
    oersted_field_from_current,
    paramagnetic_magnetization,
    project,
    stray_field_from_magnetization,
)

GRID = Grid((2, 4, 5), 10e-9)
GOOD = np.ones((3, 2, 4, 5))
ENGINES = [(stray_field_from_magnetization, "M"), (oersted_field_from_current, "J")]


@pytest.mark.parametrize(("fn", "name"), ENGINES)
def test_source_wrong_shape(fn, name):
    with pytest.raises(InputError, match=rf"^{name}: expected shape"):
        fn(np.ones((2, 4, 5)), GRID, 1e-8)  # scalar field instead of a vector field
    with pytest.raises(InputError, match=rf"^{name}: expected shape"):
        fn(np.ones((2, 2, 4, 5)), GRID, 1e-8)  # two components


@pytest.mark.parametrize(("fn", "name"), ENGINES)
def test_source_mismatched_grid(fn, name):
    other = Grid((2, 5, 4), 10e-9)
    with pytest.raises(InputError, match=rf"^{name}: .*match the grid"):
        fn(GOOD, other, 1e-8)


@pytest.mark.parametrize(("fn", "name"), ENGINES)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_source_non_finite(fn, name, bad):
    src = GOOD.copy()
    src[1, 0, 2, 3] = bad
    with pytest.raises(InputError, match=rf"^{name}: contains 1 non-finite"):
        fn(src, GRID, 1e-8)


@pytest.mark.parametrize(("fn", "name"), ENGINES)
@pytest.mark.parametrize("heights", [0.0, -5e-9, [1e-8, 0.0], [1e-8, np.nan], [[1e-8]], []])
def test_heights_outside_or_malformed(fn, name, heights):
    with pytest.raises(InputError, match=r"^heights"):
        fn(GOOD, GRID, heights)


def test_heights_relative_to_a_shifted_sample_top():
    shifted = Grid((2, 4, 5), 10e-9, origin=(5e-9, 0, 0))  # top face at z = 20 nm
    with pytest.raises(InputError, match=r"heights.*above the sample top"):
        stray_field_from_magnetization(GOOD, shifted, 15e-9)
    assert stray_field_from_magnetization(GOOD, shifted, 25e-9).shape == (3, 1, 4, 5)


@pytest.mark.parametrize(("fn", "name"), ENGINES)
def test_grid_not_a_grid(fn, name):
    with pytest.raises(InputError, match=r"^grid"):
        fn(GOOD, (2, 4, 5), 1e-8)


def test_paramagnetic_bad_inputs():
    with pytest.raises(InputError, match=r"^chi"):
        paramagnetic_magnetization(np.full((2, 2, 2), np.nan), [0, 0, 1])
    with pytest.raises(InputError, match=r"^chi"):
        paramagnetic_magnetization(np.full((2, 2, 2), -1.5), [0, 0, 1])
    with pytest.raises(InputError, match=r"^B_ext"):
        paramagnetic_magnetization(np.ones((2, 2, 2)), [0, 1])
    with pytest.raises(InputError, match=r"^B_ext"):
        paramagnetic_magnetization(np.ones((2, 2, 2)), [0, np.inf, 1])


def test_susceptibility_bad_inputs():
    with pytest.raises(InputError, match=r"^molar_volume"):
        molar_to_volume_susceptibility(1e-9, 0.0)
    with pytest.raises(InputError, match=r"^chi_molar"):
        molar_to_volume_susceptibility(np.nan, 1e-5)


def test_projection_bad_inputs():
    with pytest.raises(InputError, match=r"^kind"):
        nv_axis("110")
    with pytest.raises(InputError, match=r"^azimuth"):
        nv_axis("111", np.nan)
    with pytest.raises(InputError, match=r"^axis"):
        project(np.ones((3, 2)), [0, 0, 0])
    with pytest.raises(InputError, match=r"^B"):
        project(np.ones((2, 5)), [0, 0, 1])
