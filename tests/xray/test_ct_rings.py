"""Ring-artefact removal: a synthetic ring reduced ≥ 10× without biasing the phantom; the sorting
method against its authors' implementation (algotom)."""

import numpy as np
import pytest

from operando.errors import InputError
from operando.xray.ct import acquire, fbp, phantoms, remove_stripes
from operando.xray.ct.rings import algotom_available, stripe_offsets

N = 129
ELLIPSES = ((0.004, 55, 55, 0, 0, 0), (0.003, 15, 25, 10, -10, 20), (-0.002, 10, 10, -20, 15, 0))
ANGLES = np.linspace(0, np.pi, 360, endpoint=False)
COLUMNS = np.array([30, 50, 70, 85, 100])
GAINS = np.array([1.02, 1.05, 0.95, 1.04, 0.96])


@pytest.fixture(scope="module")
def data():
    nd = N
    p = phantoms.ellipses_radon(ELLIPSES, ANGLES, np.arange(nd) - 0.5 * (nd - 1))
    gain = np.ones(nd)
    gain[COLUMNS] = GAINS
    ringed = acquire(p, gain=gain, noise=False).line_integrals()
    yy, xx = np.mgrid[:N, :N] - 0.5 * (N - 1)
    r = np.hypot(yy, xx)
    on_ring = np.zeros((N, N), bool)
    for c in COLUMNS:
        on_ring |= np.abs(r - abs(c - 0.5 * (nd - 1))) < 1.0
    return p, ringed, on_ring, r < 50


def _rec(sino):
    return fbp(sino, ANGLES, shape=(N, N))


def test_ring_reduced_tenfold_without_bias(data):
    p, ringed, on_ring, inside = data
    clean = _rec(p)
    before = np.abs(_rec(ringed) - clean)[on_ring].mean()
    after = np.abs(_rec(remove_stripes(ringed, method="detect")) - clean)[on_ring].mean()
    assert before > 0.02 * clean.max()  # the rings are visible
    assert before / after >= 10.0
    # no bias: the filter leaves a stripe-free sinogram's reconstruction unchanged
    untouched = _rec(remove_stripes(p, method="detect"))
    assert abs((untouched - clean)[inside].mean()) < 1e-3 * clean.max()
    assert np.abs(untouched - clean)[inside].mean() < 1e-3 * clean.max()


def test_ring_reduced_under_photon_noise(data):
    p, _, _on_ring, _ = data
    gain = np.ones(N)
    gain[COLUMNS] = GAINS
    noisy = acquire(p, gain=gain, photons=1e6, seed=1).line_integrals()
    offsets = stripe_offsets(noisy)
    found = set(np.flatnonzero(offsets).tolist())
    assert set(COLUMNS.tolist()) <= found
    false = sorted(found - set(COLUMNS.tolist()))  # at snr = 3 a rare noise column may pass: small
    assert len(false) <= 2 and np.all(np.abs(offsets[false]) < 0.005)
    np.testing.assert_allclose(offsets[COLUMNS], -np.log(GAINS), atol=3e-3)  # 6 % of the offsets


def test_sorting_method_reduces_rings_and_keeps_the_phantom(data):
    p, ringed, on_ring, inside = data
    clean = _rec(p)
    before = np.abs(_rec(ringed) - clean)[on_ring].mean()
    after = np.abs(_rec(remove_stripes(ringed, 21, method="sorting")) - clean)[on_ring].mean()
    # algorithm 3's median is biased on steep profiles: it removes part of a small stripe only
    assert before / after > 2.0
    assert abs((_rec(remove_stripes(p, method="sorting")) - clean)[inside].mean()) < 2e-3 * clean.max()


def test_size_setting_changes_the_filter(data):
    _, ringed, _, _ = data
    assert not np.allclose(remove_stripes(ringed, 5), remove_stripes(ringed, 31))


@pytest.mark.skipif(not algotom_available(), reason="algotom (optional extra 'ct') not installed")
def test_sorting_matches_algotom(data):
    _, ringed, _, _ = data
    ours = remove_stripes(ringed, 21, method="sorting")
    theirs = remove_stripes(ringed, 21, method="algotom")
    # equal values (ties) may be ordered differently by the two sorts, which moves a few smoothed
    # values between angles; the sinograms and their reconstructions agree otherwise
    assert np.mean(np.abs(ours - theirs) > 1e-6) < 0.1
    a, b = _rec(ours), _rec(theirs)
    assert np.sqrt(np.mean((a - b) ** 2)) < 0.01 * np.abs(a).max()


def test_volume_of_sinograms_and_bad_input(data):
    _, ringed, _, _ = data
    stack = np.stack([ringed, ringed])
    np.testing.assert_allclose(remove_stripes(stack, method="detect")[1], remove_stripes(ringed, method="detect"))
    with pytest.raises(InputError, match="size"):
        remove_stripes(ringed, 1)
    with pytest.raises(InputError, match="method"):
        remove_stripes(ringed, method="wavelet")
    with pytest.raises(InputError, match="sinogram"):
        remove_stripes(np.ones(5))
