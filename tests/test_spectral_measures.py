"""Spectral-stability measures and null models (paper B): exact special cases and checked statistical facts."""
import math

import pytest
import torch

from ftgeom.spectral.measures import (
    Svd, compare, energy_share, energy_share_random, intruders, matched_cosines, overlap, principal_cosines,
    random_overlap, relative_sv_change, stable_rank, svd, top_subspace,
)
from ftgeom.nulls import haar_orthonormal, perturbation, same_frobenius, same_spectrum


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def built(s, m, n, seed=0):
    """W = U diag(s) Vᵀ with Haar-random U (m×r), V (n×r): a matrix with a known, chosen spectrum."""
    g = gen(seed)
    u, v = haar_orthonormal(m, len(s), g), haar_orthonormal(n, len(s), g)
    s = torch.tensor(s, dtype=torch.float64)
    return u, s, v, (u * s) @ v.mT


def rotate_pair(x, i, j, theta):
    x = x.clone()
    c, s = math.cos(theta), math.sin(theta)
    x[:, i], x[:, j] = c * x[:, i] + s * x[:, j], -s * x[:, i] + c * x[:, j]
    return x


def test_svd_is_thin_float64_and_reconstructs():
    w = torch.randn(9, 5, generator=gen(), dtype=torch.float32)
    x = svd(w)
    assert x.u.shape == (9, 5) and x.s.shape == (5,) and x.v.shape == (5, 5) and x.s.dtype == torch.float64
    torch.testing.assert_close((x.u * x.s) @ x.v.mT, w.double(), rtol=1e-6, atol=1e-6)


def test_haar_orthonormal_has_orthonormal_columns():
    q = haar_orthonormal(30, 7, gen())
    torch.testing.assert_close(q.mT @ q, torch.eye(7, dtype=torch.float64), rtol=0, atol=1e-12)


def test_overlap_of_a_subspace_with_itself_is_one_and_with_its_complement_zero():
    q = haar_orthonormal(20, 10, gen())
    assert overlap(q[:, :5], q[:, :5]) == pytest.approx(1.0, abs=1e-12)
    assert overlap(q[:, :5], q[:, 5:]) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        overlap(q[:, :5], q[:, :4])


def test_random_subspaces_overlap_k_over_n_on_average():
    g, n, k = gen(1), 64, 8
    mean = sum(overlap(haar_orthonormal(n, k, g), haar_orthonormal(n, k, g)) for _ in range(200)) / 200
    assert random_overlap(k, n) == k / n
    assert mean == pytest.approx(k / n, rel=0.10)


def test_principal_cosines():
    q = haar_orthonormal(15, 6, gen())
    torch.testing.assert_close(principal_cosines(q[:, :3], q[:, :3]), torch.ones(3, dtype=torch.float64))
    # One shared direction, one orthogonal one: cosines (1, 0), descending.
    torch.testing.assert_close(principal_cosines(q[:, :2], q[:, [0, 4]]),
                               torch.tensor([1.0, 0.0], dtype=torch.float64), rtol=0, atol=1e-12)


def test_same_frobenius_has_the_exact_norm():
    dw = torch.randn(30, 20, generator=gen(), dtype=torch.float32) * 1e-3
    null = same_frobenius(dw, gen(1))
    assert null.dtype == torch.float64 and null.shape == dw.shape
    assert float(torch.linalg.matrix_norm(null)) == pytest.approx(float(torch.linalg.matrix_norm(dw.double())),
                                                                   rel=1e-12)


@pytest.mark.parametrize("shape", [(30, 20), (20, 30)])
def test_same_spectrum_keeps_singular_values_and_changes_directions(shape):
    dw = torch.randn(*shape, generator=gen(), dtype=torch.float64)
    null = same_spectrum(dw, gen(1))
    torch.testing.assert_close(torch.linalg.svdvals(null), torch.linalg.svdvals(dw), rtol=1e-10, atol=0)
    assert torch.linalg.matrix_norm(null - dw) > 0.5 * torch.linalg.matrix_norm(dw)


def test_same_spectrum_of_a_low_rank_update_stays_low_rank():
    _, s, _, dw = built([3.0, 1.0], 25, 12)
    got = torch.linalg.svdvals(same_spectrum(dw, gen(2)))
    torch.testing.assert_close(got[:2], s, rtol=1e-10, atol=0)
    assert float(got[2:].max()) < 1e-12


def test_perturbation_dispatches_and_names_a_bad_kind():
    dw = torch.randn(6, 4, generator=gen(), dtype=torch.float64)
    torch.testing.assert_close(perturbation("frobenius", dw, gen(3)), same_frobenius(dw, gen(3)))
    torch.testing.assert_close(perturbation("spectrum", dw, gen(3)), same_spectrum(dw, gen(3)))
    with pytest.raises(ValueError, match="'gaussian'"):
        perturbation("gaussian", dw, gen())


def degenerate_case():
    """W0 with σ1 == σ2 (0-based), and W1 = W0 + ε u'1 v'1ᵀ where u'1, v'1 are that pair rotated by 0.7 rad.

    W1 therefore picks the rotated basis for the pair (σ'1 = 3 + ε > σ'2 = 3); every other singular triplet is
    untouched. Per-index |cos| for the pair is cos 0.7 ≈ 0.76 although nothing left the degenerate plane.
    """
    u, s, v, w0 = built([5.0, 3.0, 3.0, 2.0, 1.5, 1.0, 0.5, 0.2], 12, 8)
    ur, vr = rotate_pair(u, 1, 2, 0.7), rotate_pair(v, 1, 2, 0.7)
    eps = 1e-6
    w1 = w0 + eps * torch.outer(ur[:, 1], vr[:, 1])
    return Svd(u, s, v), svd(w1), eps


def test_matched_cosines_are_one_under_rotation_in_a_degenerate_pair_and_sign_flips():
    base, tuned, eps = degenerate_case()
    naive = (base.u.mT @ tuned.u).diagonal().abs()
    assert float(naive[1]) < 0.9 and float(naive[2]) < 0.9
    flipped = Svd(tuned.u * torch.tensor([-1.0, 1, -1, -1, 1, 1, -1, 1], dtype=torch.float64), tuned.s, tuned.v)
    for t in (tuned, flipped):
        for side in ("left", "right"):
            cos, window = matched_cosines(base, t, 8, eps, side=side)
            torch.testing.assert_close(cos, torch.ones(8, dtype=torch.float64), rtol=0, atol=1e-9)
            assert window.tolist() == [1, 2, 2, 1, 1, 1, 1, 1]
    cos, window = matched_cosines(base, tuned, 3, eps, end="tail")
    assert window.tolist() == [1, 1, 1] and cos.shape == (3,)


def test_matched_cosines_drop_when_vectors_leave_their_window():
    u, s, v, _ = built([5.0, 4.0, 3.0, 2.0], 10, 6)
    tuned = Svd(rotate_pair(u, 0, 3, 0.5), s, v)  # mixes σ=5 with σ=2, far outside tol
    cos, window = matched_cosines(Svd(u, s, v), tuned, 4, 0.1)
    assert window.tolist() == [1, 1, 1, 1]
    torch.testing.assert_close(cos, torch.tensor([math.cos(0.5), 1, 1, math.cos(0.5)], dtype=torch.float64))
    # A tolerance wide enough to join σ=5 and σ=2 puts the mixing back inside the window.
    cos, window = matched_cosines(Svd(u, s, v), tuned, 4, 3.0)
    torch.testing.assert_close(cos, torch.ones(4, dtype=torch.float64))


def test_intruders_appear_for_a_large_spike_off_the_pretrained_top_vectors():
    u, s, v, w0 = built([float(30 - i) for i in range(30)], 40, 30)
    base = svd(w0)
    count, max_cos = intruders(base, base, k=10)
    assert count == 0 and torch.allclose(max_cos, torch.ones(10, dtype=torch.float64))
    x = u[:, 10:].sum(dim=1) / math.sqrt(20)  # |cos| = 1/√20 ≈ 0.22 with every pretrained left vector
    y = haar_orthonormal(30, 1, gen(5))[:, 0]
    count, max_cos = intruders(base, svd(w0 + 20 * 30 * torch.outer(x, y)), k=10)
    assert count >= 1 and float(max_cos[0]) < 0.5
    assert intruders(base, svd(w0), k=10)[0] == 0


def test_energy_share_is_one_inside_the_block_and_k2_over_mn_for_gaussian_updates():
    m, n, k = 20, 15, 5
    base = svd(torch.randn(m, n, generator=gen(), dtype=torch.float64))
    inside = base.u[:, :k] @ torch.randn(k, k, generator=gen(1), dtype=torch.float64) @ base.v[:, :k].mT
    assert energy_share(base, inside, k) == pytest.approx(1.0, abs=1e-12)
    assert energy_share(base, inside, k, end="tail") == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(energy_share(base, torch.zeros(m, n), k))
    g = gen(2)
    mean = sum(energy_share(base, torch.randn(m, n, generator=g, dtype=torch.float64), k) for _ in range(400)) / 400
    assert energy_share_random(k, m, n) == k * k / (m * n)
    assert mean == pytest.approx(k * k / (m * n), rel=0.10)


def test_relative_sv_change_and_stable_rank():
    got = relative_sv_change(torch.tensor([2.0, 1.0, 0.0]), torch.tensor([3.0, 0.5, 1.0]))
    assert got[:2].tolist() == [0.5, -0.5] and math.isnan(float(got[2]))
    _, _, _, rank1 = built([4.0], 7, 5)
    assert stable_rank(rank1) == pytest.approx(1.0, rel=1e-12)
    assert stable_rank(torch.eye(6)) == pytest.approx(6.0, rel=1e-12)
    w = torch.randn(9, 7, generator=gen(), dtype=torch.float64)
    s = torch.linalg.svdvals(w)
    assert stable_rank(w) == pytest.approx(float((s ** 2).sum() / s[0] ** 2), rel=1e-10)
    assert math.isnan(stable_rank(torch.zeros(3, 3)))


def test_top_subspace_picks_lead_and_tail_columns():
    w = torch.randn(9, 6, generator=gen(), dtype=torch.float64)
    x = svd(w)
    torch.testing.assert_close(top_subspace(w, 2), x.u[:, :2])
    torch.testing.assert_close(top_subspace(x, 2, "tail", "right"), x.v[:, 4:])
    torch.testing.assert_close(top_subspace(x, 6, "tail", "left"), x.u)
    for bad in (dict(k=7), dict(k=0), dict(k=2, end="middle"), dict(k=2, side="up")):
        with pytest.raises(ValueError):
            top_subspace(x, **bad)


KEYS = {"source", "k", "end", "overlap_left", "overlap_right", "overlap", "one_minus", "max_angle", "random",
        "matched_cos_left", "matched_cos_right", "matched_cos", "sv_change", "energy_share", "energy_random",
        "intruders", "rel_update", "stable_rank", "top_sv_change"}


def test_compare_structure_and_the_identity_update():
    w0 = torch.randn(12, 8, generator=gen(), dtype=torch.float32)
    rows = compare(w0, w0.clone(), ks=(1, 3, 8, 9), intruder_k=3, generator=gen(1))
    sources = ("real", "null-frobenius", "null-spectrum")
    assert [(r["source"], r["k"], r["end"]) for r in rows] == [
        (src, k, end) for src in sources for k in (1, 3, 8) for end in ("lead", "tail")]
    assert all(set(r) == KEYS for r in rows)
    for r in rows:  # ΔW = 0, so every null is 0 as well: nothing moves
        assert r["one_minus"] == pytest.approx(0.0, abs=1e-12) and r["intruders"] == 0 and r["rel_update"] == 0
        assert r["matched_cos"] == pytest.approx(1.0, abs=1e-12) and r["sv_change"] == pytest.approx(0.0, abs=1e-12)
        assert math.isnan(r["stable_rank"]) and math.isnan(r["energy_share"])
        assert r["random"] == pytest.approx((r["k"] / 12 + r["k"] / 8) / 2)
    assert compare(w0, w0, ks=(2,), intruder_k=9, nulls=())[0]["intruders"] is None


def test_compare_aligned_low_rank_update_against_nulls():
    m, n, k = 12, 8, 3
    u, s, v, w0 = built([8.0, 7.0, 6.0, 3.0, 2.5, 2.0, 1.5, 1.0], m, n)
    m_ = 0.2 * torch.randn(k, k, generator=gen(7), dtype=torch.float64)
    w1 = w0 + u[:, :k] @ m_ @ v[:, :k].mT  # stays inside the top-k block, far smaller than the gap 6 − 3
    rows = {(r["source"], r["k"], r["end"]): r for r in compare(w0, w1, ks=(k,), generator=gen(3))}
    real, frob, spec = (rows[(src, k, "lead")] for src in ("real", "null-frobenius", "null-spectrum"))
    # Block-diagonal update: the top-k and the bottom-k singular subspaces are exactly invariant.
    assert real["one_minus"] < 1e-12 and rows[("real", k, "tail")]["one_minus"] < 1e-12
    assert real["energy_share"] == pytest.approx(1.0, abs=1e-12) and real["energy_random"] == k * k / (m * n)
    # A same-size Gaussian update moves the subspace and puts energy outside it.
    assert frob["one_minus"] > 1e-6 and frob["energy_share"] < 0.99
    # Nulls keep the size (and, for "spectrum", the whole spectrum) of the real update.
    assert frob["rel_update"] == pytest.approx(real["rel_update"], rel=1e-12)
    assert spec["rel_update"] == pytest.approx(real["rel_update"], rel=1e-10)
    assert spec["stable_rank"] == pytest.approx(real["stable_rank"], rel=1e-10)
    assert real["top_sv_change"] == pytest.approx(float(torch.linalg.svdvals(w1)[0] / 8.0 - 1.0), rel=1e-10)
    again = compare(w0, w1, ks=(k,), generator=gen(3))
    assert [r["one_minus"] for r in again] == [r["one_minus"] for r in rows.values()]


def test_largest_principal_angle_is_the_turn_of_the_worst_direction():
    import math

    s = torch.tensor([10.0, 5, 4, 3, 2, 1, 0.5, 0.1], dtype=torch.float64)
    w0 = torch.diag(s)
    turn = torch.eye(8, dtype=torch.float64)
    c, sn = math.cos(math.radians(30)), math.sin(math.radians(30))
    turn[0, 0], turn[0, 7], turn[7, 0], turn[7, 7] = c, -sn, sn, c  # the top left vector turns 30° towards e7
    w1 = turn @ w0
    rows = {(r["source"], r["k"], r["end"]): r for r in compare(w0, w1, [1], nulls=())}
    assert rows[("real", 1, "lead")]["max_angle"] == pytest.approx(15.0, abs=1e-6)  # left 30°, right 0°
    same = compare(w0, w0.clone(), [1, 4], nulls=())
    assert all(r["max_angle"] == pytest.approx(0.0, abs=1e-5) for r in same)
