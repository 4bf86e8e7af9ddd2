"""NV spin physics: closed-form resonances vs an independent lab-frame Hamiltonian, paper facts
(seed 000 L79, L201–202; VALIDATION.md M13), Jacobian, orientations, and the field inversion."""

import numpy as np
import pytest

from operando.errors import InputError
from operando.nv.constants import D_ZERO_FIELD, DD_DT, GAMMA_E, MAGIC_ANGLE
from operando.nv.inversion import axial_transverse_field, field_from_resonances, projected_field
from operando.nv.orientations import nv_orientations
from operando.nv.spectra import line_parameters
from operando.nv.spin import (
    electric_field_terms,
    resonance_jacobian,
    resonances,
    spin_hamiltonian,
    spin_matrices,
)

AX100 = nv_orientations("100")


def _reference_resonances(B, axis, D=D_ZERO_FIELD, E=0.0):
    """eigh of the lab-frame matrices; m_s = 0 state picked by its overlap with the S·n = 0
    state."""
    evals, evecs = np.linalg.eigh(spin_hamiltonian(B, axis, D=D, E=E))
    sn = np.tensordot(
        np.asarray(axis, float) / np.linalg.norm(axis), np.stack(spin_matrices(1.0)), 1
    )
    w, v = np.linalg.eigh(sn)
    zero = v[:, np.argmin(np.abs(w))]
    weight = np.abs(np.einsum("i,...ik->...k", zero.conj(), evecs)) ** 2
    i0 = np.argmax(weight, axis=-1)
    e0 = np.take_along_axis(evals, i0[..., None], -1)
    others = np.sort(np.abs(evals - e0), axis=-1)[..., 1:]
    return others


def test_zero_field_lines_are_D_plus_minus_E():
    f = resonances(np.zeros(3), AX100, E=4.2e6)
    np.testing.assert_allclose(
        f, np.broadcast_to([D_ZERO_FIELD - 4.2e6, D_ZERO_FIELD + 4.2e6], (4, 2)), atol=1e-6
    )
    f = resonances(np.zeros(3), AX100)  # degenerate: both lines at D
    np.testing.assert_allclose(f, D_ZERO_FIELD, atol=1e-6)


@pytest.mark.parametrize("b", [1e-9, 1e-6, 1e-3, 50e-3])
def test_axial_field_splits_by_2_gamma_B(b):
    # seed 000 L79: ΔE = 2hγB with γ ≈ 28 GHz/T, i.e. 56 MHz per mT
    axis = AX100[2]
    f = resonances(b * axis, axis)[0]
    assert f[1] - f[0] == pytest.approx(2 * GAMMA_E * b, rel=1e-9, abs=1e-6)
    assert 2 * GAMMA_E * 1e-3 == pytest.approx(56e6, rel=0.01)


def test_temperature_shifts_both_lines_field_splits_them():
    # seed 000 L201–202 (M13): temperature / electric field shift m_s = ±1 together, B splits them
    B = np.array([0.0, 0.0, 2e-3])
    f300 = resonances(B, AX100)
    f310 = resonances(B, AX100, temperature=310.0)
    # both lines move by ΔD (to 1e-3: the transverse field part mixes in D weakly)
    np.testing.assert_allclose(f310 - f300, 10 * DD_DT, rtol=1e-3)
    dD, _ = electric_field_terms([0.0, 0.0, 1e8], AX100[0])  # 1 MV/cm along z
    f_e = resonances(B, AX100, D=D_ZERO_FIELD + dD)
    shift = f_e - f300
    assert np.all(shift > 0) and np.allclose(shift[..., 0], shift[..., 1], rtol=1e-3)
    f_b = resonances(2 * B, AX100)
    split = f_b - f300
    assert np.all(split[..., 0] < 0) and np.all(split[..., 1] > 0)


@pytest.mark.parametrize("E", [0.0, 3e6])
def test_closed_form_matches_independent_diagonalisation_to_1_Hz(rng, E):
    n = 2000
    direction = rng.normal(size=(3, n))
    B = direction / np.linalg.norm(direction, axis=0) * 10 ** rng.uniform(-9, -0.7, n)  # (3, n)
    f = resonances(B, AX100, E=E)
    for a in range(4):
        np.testing.assert_allclose(
            f[:, a], _reference_resonances(B, AX100[a], E=E), rtol=0, atol=1.0
        )


def test_hyperfine_hamiltonian_lines():
    # 14N: each electron line splits into three, |A_par| = 2.16 MHz apart (quadrupole P cancels in
    # the nuclear-spin-conserving transitions); axial bias field 5 mT
    axis = AX100[0]
    h = spin_hamiltonian(5e-3 * axis, axis, nucleus="14N")
    assert h.shape == (9, 9)
    ev, vec = np.linalg.eigh(h)
    sx, sy, sz = spin_matrices(1.0)
    s_n = np.kron(np.tensordot(axis, np.stack([sx, sy, sz]), 1), np.eye(3))
    i_n = np.kron(np.eye(3), np.tensordot(axis, np.stack([sx, sy, sz]), 1))
    ms = np.real(np.einsum("ik,ij,jk->k", vec.conj(), s_n, vec)).round()
    mi = np.real(np.einsum("ik,ij,jk->k", vec.conj(), i_n, vec)).round()
    lines = [ev[(ms == 1) & (mi == m)][0] - ev[(ms == 0) & (mi == m)][0] for m in (-1, 0, 1)]
    expected = D_ZERO_FIELD + GAMMA_E * 5e-3 - 2.16e6 * np.array([-1, 0, 1])
    np.testing.assert_allclose(lines, expected, rtol=0, atol=0.02e6)
    assert spin_hamiltonian(np.zeros((3, 2)), axis, nucleus="15N").shape == (2, 6, 6)


def test_jacobian_matches_finite_differences(rng):
    B = rng.normal(size=(3, 50)) * 20e-3
    _, jac = resonance_jacobian(B, AX100, E=1e6, with_D=True)
    assert jac.shape == (4, 50, 4, 2)  # (∂/∂Bx, ∂/∂By, ∂/∂Bz, ∂/∂D) first, like the field
    h = 1e-9
    for k in range(3):
        dB = np.zeros((3, 1))
        dB[k] = h
        num = (resonances(B + dB, AX100, E=1e6) - resonances(B - dB, AX100, E=1e6)) / (2 * h)
        np.testing.assert_allclose(jac[k], num, rtol=1e-5, atol=1e-6 * GAMMA_E)
    num_d = (
        resonances(B, AX100, D=D_ZERO_FIELD + 100, E=1e6)
        - resonances(B, AX100, D=D_ZERO_FIELD - 100, E=1e6)
    ) / 200
    np.testing.assert_allclose(jac[3], num_d, atol=1e-5)


def test_orientations():
    ax = nv_orientations("100", azimuth=0.3)
    np.testing.assert_allclose(np.degrees(np.arccos(ax[:, 2])), MAGIC_ANGLE)
    np.testing.assert_allclose(np.linalg.norm(ax, axis=1), 1.0)
    ax111 = nv_orientations("111")
    np.testing.assert_allclose(ax111[0], [0, 0, 1], atol=1e-15)
    np.testing.assert_allclose(np.degrees(np.arccos(ax111[1:, 2])), 180 - 109.4712206, atol=1e-6)
    with pytest.raises(InputError, match="cut"):
        nv_orientations("110")


def test_field_recovered_from_noiseless_resonances(rng):
    n = 500
    B = rng.normal(size=(n, 3))
    B *= 10 ** rng.uniform(-6, -1.5, (n, 1)) / np.linalg.norm(B, axis=1, keepdims=True)
    B[:, 2] = np.abs(B[:, 2])  # sign convention B·z >= 0 without a reference field
    # E > 0 makes weak axial fields enter quadratically ((γB)²/E), so test it above 0.1 mT
    for E, strong in ((0.0, 1e-6), (2e6, 1e-4)):
        B = np.where(np.linalg.norm(B, axis=1, keepdims=True) < strong, B * 1e2, B)
        f = resonances(B.T.reshape(3, 20, 25), AX100, E=E)  # a (3, ny, nx) map
        fit = field_from_resonances(f, AX100, E=E)
        assert fit.shape == (3, 20, 25)
        err = np.linalg.norm(fit.reshape(3, n).T - B, axis=1) / np.linalg.norm(B, axis=1)
        assert err.max() < 1e-9
    # projected approximation: exact only for the axial part, worse in transverse fields
    proj = field_from_resonances(f, AX100, E=2e6, method="projected").reshape(3, n).T
    assert np.max(np.linalg.norm(proj - B, axis=1) / np.linalg.norm(B, axis=1)) > 1e-6
    # a reference field fixes the overall sign
    fit = field_from_resonances(resonances(-B.T, AX100), AX100, B0=[0, 0, -1e-3])
    np.testing.assert_allclose(fit, -B.T, rtol=1e-9, atol=1e-15)


def test_single_axis_closed_form(rng):
    B = rng.normal(size=(3, 100)) * 10e-3
    f = resonances(B, AX100)
    b_par, b_perp = axial_transverse_field(f)
    proj = (AX100 @ B).T  # (100, n_axes)
    np.testing.assert_allclose(b_par, np.abs(proj), atol=1e-12)
    np.testing.assert_allclose(b_perp, np.sqrt(np.sum(B**2, 0)[:, None] - proj**2), atol=1e-12)
    assert np.all(
        np.abs(projected_field(f) - np.abs(proj)) < 0.2 * np.linalg.norm(B, axis=0)[:, None]
    )


def test_a_field_map_components_first_gives_the_lines_of_the_old_components_last_layout(rng):
    # the public API takes (3, ny, nx); the kernel (the public function before, taking (ny, nx, 3))
    # must give the same lines for the transposed array, and both the lab-frame diagonalisation's
    from operando.nv.spin import _resonances

    B = rng.normal(size=(3, 6, 7)) * 5e-3 + np.array([0.0, 0.0, 10e-3])[:, None, None]
    ours = resonances(B, AX100, E=1e6)
    assert ours.shape == (6, 7, 4, 2)
    old = _resonances(np.moveaxis(B, 0, -1), AX100, E=1e6)
    np.testing.assert_array_equal(ours, old)
    for a in range(4):
        np.testing.assert_allclose(ours[..., a, :], _reference_resonances(B, AX100[a], E=1e6), rtol=0, atol=1.0)
    # a (3, 3) array is three fields side by side, components down the first axis
    three = B[:, 0, :3]
    np.testing.assert_array_equal(resonances(three, AX100), [resonances(three[:, j], AX100) for j in range(3)])
    # line_parameters and field_from_resonances follow the same layout
    centers = line_parameters(B, AX100, 5e6, 0.02)[0]
    np.testing.assert_array_equal(centers, resonances(B, AX100).reshape(6, 7, 8))
    np.testing.assert_allclose(field_from_resonances(ours, AX100, E=1e6, B0=[0, 0, 1e-3]), B, rtol=1e-9)


@pytest.mark.parametrize("call, name", [
    (lambda v: resonances(v, AX100), "B"),
    (lambda v: resonance_jacobian(v, AX100), "B"),
    (lambda v: spin_hamiltonian(v, AX100[0]), "B"),
    (lambda v: electric_field_terms(v, AX100[0]), "efield"),
    (lambda v: line_parameters(v, AX100, 5e6, 0.02), "B"),
    (lambda v: field_from_resonances(np.full((5, 4, 2), 2.9e9), AX100, B0=v), "B0"),
])
def test_components_last_is_refused_naming_the_parameter(call, name):
    with pytest.raises(InputError, match=rf"^{name}: .*components first: shape \(3, \.\.\.\).*moveaxis"):
        call(np.zeros((5, 3)))  # five vectors, components last: the old layout


def test_bad_input():
    with pytest.raises(InputError, match="B: vectors are components first"):
        resonances(np.zeros((4, 2)), AX100)
    with pytest.raises(InputError, match="axes"):
        resonances(np.zeros(3), [[0, 0, 0]])
    with pytest.raises(InputError, match="temperature"):
        resonances(np.zeros(3), AX100, temperature=-5)
    with pytest.raises(InputError, match="non-coplanar"):
        field_from_resonances(np.full((2, 2), 2.9e9), AX100[:2])
    with pytest.raises(InputError, match="freqs"):
        field_from_resonances(np.full((3, 2), 2.9e9), AX100)


def test_eigenvalues_agree_with_qutip_to_1_Hz(rng):
    qutip = pytest.importorskip("qutip")
    # Hamiltonian built by QuTiP in the NV frame (z' = axis), fields rotated into that frame
    from operando.nv.orientations import nv_frames

    sx, sy, sz = (qutip.jmat(1, c) for c in "xyz")
    E = 2.5e6
    B = rng.normal(size=(3, 20)) * 30e-3
    ours = resonances(B, AX100, E=E)
    frames = nv_frames(AX100)
    for a in range(4):
        for i in range(B.shape[1]):
            bx, by, bz = GAMMA_E * frames[a] @ B[:, i]
            h = D_ZERO_FIELD * sz * sz + E * (sx * sx - sy * sy) + bx * sx + by * sy + bz * sz
            evals, states = h.eigenstates()
            zero = qutip.basis(3, 1)  # |m_s = 0⟩
            i0 = int(np.argmax([abs(zero.overlap(s)) ** 2 for s in states]))
            lines = np.sort(np.abs(np.delete(evals, i0) - evals[i0]))
            np.testing.assert_allclose(ours[i, a], lines, rtol=0, atol=1.0)
