"""SIRT and CGLS on the pylops projection operator, for few-view data."""

import numpy as np
import pytest
from pylops.utils import dottest

from operando.errors import InputError
from operando.xray.ct import fbp, phantoms
from operando.xray.ct.iterative import ParallelBeamOperator, cgls, sirt

N = 48
ELLIPSES = phantoms.shepp_logan(radius=0.45 * N)


@pytest.fixture(scope="module")
def few_view():
    angles = np.linspace(0, np.pi, 16, endpoint=False)
    op = ParallelBeamOperator((N, N), angles)
    truth = phantoms.ellipses_image(ELLIPSES, (N, N))
    sino = phantoms.ellipses_radon(ELLIPSES, angles, np.arange(op.n_det) - 0.5 * (op.n_det - 1))
    return angles, truth, sino


def test_operator_adjoint_is_exact():
    op = ParallelBeamOperator((13, 17), np.linspace(0, np.pi, 11, endpoint=False), pixel=2e-6)
    assert dottest(op, op.shape[0], op.shape[1], rtol=1e-10)


def test_iterative_beats_fbp_on_few_views(few_view):
    angles, truth, sino = few_view

    def rms(img):
        return np.sqrt(np.mean((img - truth) ** 2))

    e_fbp = rms(fbp(sino, angles, shape=(N, N)))
    e_sirt = rms(sirt(sino, angles, shape=(N, N), n_iter=100))
    e_cgls = rms(cgls(sino, angles, shape=(N, N), n_iter=15))
    assert e_sirt < 0.7 * e_fbp
    assert e_cgls < e_fbp
    assert e_sirt < 0.1 * truth.max()


def test_sirt_nonnegativity_and_iterations_matter(few_view):
    angles, _, sino = few_view
    x = sirt(sino, angles, shape=(N, N), n_iter=20)
    assert x.min() >= 0
    free = sirt(sino, angles, shape=(N, N), n_iter=20, nonnegative=False)
    assert free.min() < 0
    assert not np.allclose(sirt(sino, angles, shape=(N, N), n_iter=5), x)


def test_bad_input(few_view):
    angles, _, sino = few_view
    with pytest.raises(InputError, match="sinogram"):
        sirt(sino[:-1], angles)
    with pytest.raises(InputError, match="n_iter"):
        cgls(sino, angles, n_iter=0)
    with pytest.raises(InputError, match="angles"):
        sirt(sino, angles / 3)
