"""The synthesis's measures on synthetic inputs with a known answer (ftgeom.synthesis, ftgeom.head_probe.weight_geometry).
The smoke DAG's synthesis outputs are checked with every stage's in test_workflow.py."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from ftgeom.spectral.measures import svd


def _orthonormal(m: int, r: int, seed: int) -> torch.Tensor:
    return torch.linalg.qr(torch.randn(m, r, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))[0]


def _matrix(m: int = 40, n: int = 30, seed: int = 0) -> torch.Tensor:
    """W0 = U diag(s) Vᵀ with a spread spectrum, so its top-k block is well defined."""
    r = min(m, n)
    return (_orthonormal(m, r, seed) * torch.linspace(10, 0.1, r, dtype=torch.float64)) @ _orthonormal(n, r, seed + 1).T


def test_block_share_finds_a_planted_direction_inside_and_outside_the_top_k_block():
    from ftgeom.synthesis.trajectory_measures import block_share

    w0, k = _matrix(), 4
    base = svd(w0)
    inside = base.u[:, :1] @ base.v[:, 1:2].T          # u1 v2ᵀ: in the top-4 block
    outside = base.u[:, 10:11] @ base.v[:, 20:21].T    # beyond it on both sides
    assert block_share(base, inside, k) == pytest.approx(1.0)
    assert block_share(base, outside, k) == pytest.approx(0.0, abs=1e-12)
    noise = [block_share(base, torch.randn(40, 30, generator=torch.Generator().manual_seed(s), dtype=torch.float64),
                         k) for s in range(200)]
    assert np.mean(noise) == pytest.approx(k * k / (40 * 30), rel=0.15)  # the random share k²/(mn)


def test_outlier_hits_count_a_planted_outlier_at_the_largest_entries():
    from ftgeom.synthesis.trajectory_measures import outlier_hits, top_entries

    w0, k = _matrix(), 4
    base = svd(w0)
    largest = top_entries(w0, 12)
    planted = outlier_hits(largest, w0, base, k)
    assert planted["hits_w0"] == 12 and planted["chance"] == pytest.approx(12 / w0.numel())
    rng = np.random.default_rng(0)
    hits = [outlier_hits(set(rng.choice(w0.numel(), 12, replace=False).tolist()), w0, base, k)["hits_w0"]
            for _ in range(300)]
    assert np.mean(hits) / 12 == pytest.approx(12 / w0.numel(), rel=0.3)  # random positions hit at chance


def _trajectory(tmp_path, w0: torch.Tensor, direction: torch.Tensor, points: int = 6):
    """A one-layer trajectory whose every update is a multiple of `direction` (plus a bias that never moves)."""
    from safetensors.torch import save_file

    theta0 = torch.cat([w0.reshape(-1), torch.zeros(w0.shape[0], dtype=torch.float64)]).float()
    steps = torch.stack([theta0 + torch.cat([(0.01 * (i + 1)) * direction.reshape(-1),
                                             torch.zeros(w0.shape[0], dtype=torch.float64)]).float()
                         for i in range(points)])
    save_file({"points": steps, "theta0": theta0}, str(tmp_path / "layer00.safetensors"))
    (tmp_path / "trajectory.json").write_text(json.dumps({"steps": list(range(points)), "layers": {"layer00": {
        "names": ["l.w.weight", "l.w.bias"], "shapes": [list(w0.shape), [w0.shape[0]]], "label": "l"}}}))
    return tmp_path


def test_trajectory_measures_place_a_planted_update_in_the_block(tmp_path):
    from ftgeom.synthesis.trajectory_measures import measure

    w0 = _matrix()
    base = svd(w0)
    direction = base.u[:, :1] @ base.v[:, :1].T
    record = {"positions": {"0": [0, 1, 2, 1200]}, "sigma": 3.0, "coordinates": {"0": [0.0, 1.0]}}
    rows, subspaces = measure(_trajectory(tmp_path, w0, direction), k=4, directions=2, outliers=record)
    (row,) = rows
    assert row["top_direction"] == pytest.approx(1.0, abs=1e-3) and row["update"] == pytest.approx(1.0, abs=1e-3)
    assert row["random"] == pytest.approx(16 / 1200) and row["outliers"] == 3  # position 1200 is the bias's
    assert row["outliers_perp"] > 0  # the second raw direction (the planted move) has outliers of its own
    # ΔW is rank one along u1: its leading left singular vector is ±u1
    assert abs(float(subspaces["l.w.weight"][:, 0].double() @ base.u[:, 0])) == pytest.approx(1.0, abs=1e-3)


def test_permutation_test_rejects_a_planted_correlation_and_accepts_none():
    from ftgeom.synthesis.transfer import cluster_interval, permutation_p

    rng = np.random.default_rng(3)
    tasks = [f"t{i}" for i in range(8)]
    raw = rng.uniform(size=(8, 8))
    overlaps = pd.DataFrame((raw + raw.T) / 2, index=tasks, columns=tasks)
    targets = [tasks[i] for i in range(8) for _ in (1, 2)]
    sources = [tasks[(i + j) % 8] for i in range(8) for j in (1, 2)]
    x = np.array([overlaps.loc[t, s] for t, s in zip(targets, sources)])
    planted = x + rng.normal(scale=0.05, size=len(x))
    rho, p = permutation_p(targets, sources, planted, overlaps, 2000)
    assert rho > 0.8 and p < 0.01
    low, high = cluster_interval(targets, sources, x, planted, resamples=2000)
    assert 0 < low <= rho <= high
    none = rng.normal(size=len(x))
    rho0, p0 = permutation_p(targets, sources, none, overlaps, 2000)
    assert p0 > 0.05 and abs(rho0) < 0.5


def test_effective_rank_and_weight_geometry_of_known_updates():
    from ftgeom.head_probe.weight_geometry import effective_rank, matrix_geometry

    assert effective_rank(torch.tensor([3.0, 0.0, 0.0])) == pytest.approx(1.0)
    assert effective_rank(torch.ones(5)) == pytest.approx(5.0)
    w0 = _matrix(40, 30).float()
    base = svd(w0)
    along = (0.5 * base.u[:, :1] @ base.v[:, :1].T).float()    # grows the top singular value: nothing rotates
    gen = torch.Generator().manual_seed(0)
    g = matrix_geometry(w0, w0 + along, 4, gen)
    assert g["relative_update"] == pytest.approx(0.5 / float(torch.linalg.matrix_norm(w0.double())), rel=1e-4)
    assert g["rotation"] == pytest.approx(0.0, abs=1e-6) and g["effective_rank"] == pytest.approx(1.0, abs=1e-2)
    across = (9.0 * base.u[:, 20:21] @ base.v[:, 20:21].T).float()   # lifts a tail direction into the top 4
    assert matrix_geometry(w0, w0 + across, 4, gen)["rotation"] > 0.2


def test_weight_geometry_hook_records_every_encoder_matrix_of_a_run(tiny_model, keyword_task, tmp_path):
    """A real (tiny) fine-tuning run whose spec asks for weight geometry: its record holds one row per encoder
    weight matrix; the same run without it trains to the same score (the hook only reads)."""
    from ftgeom.head_probe.runs import run_hooks
    from ftgeom.train.hooks import Extensions
    from ftgeom.train.run import finetune

    spec = {"model": "tiny-bert", "task": "keywords", "method": "full", "seed": 0, "epochs": 1, "batch_size": 32,
            "lr": 1e-3, "warmup_ratio": 0.1, "precision": "fp32"}
    plain = finetune(spec, keyword_task, tiny_model, tmp_path / "a.json", tmp_path / "a", progress=False)
    spec_g = {**spec, "weight_geometry": {"k": 2}}
    rec = finetune(spec_g, keyword_task, tiny_model, tmp_path / "b.json", tmp_path / "b",
                   progress=False, extensions=Extensions(hooks=run_hooks))
    rows = rec["weight_geometry"]["matrices"]
    assert len(rows) == 2 * 6  # 2 layers x (query, key, value, attention output, ffn in, ffn out)
    assert all(r["relative_update"] > 0 and 0 <= r["rotation"] <= 1 for r in rows)
    assert rec["test_score"] == plain["test_score"]


def test_frontier_counts_encoder_parameters_and_s1_units(tmp_path):
    from ftgeom.synthesis import frontier

    def record(name, method, seed, score, **extra):
        rec = {"model": "m", "task": "t", "method": method, "seed": seed, "test_score": score, "metric": "accuracy",
               "trainable_parameters": extra.pop("trainable", 1000), "spec": extra.pop("spec", {}), **extra}
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(rec))
        return path

    paths = [record("frozen", "frozen", 0, 0.5, trainable=1000), record("full", "full", 0, 0.8, trainable=5000),
             record("i1", "intrinsic", 1, 0.70, trainable=1016, coordinates={"0": [0] * 8, "1": [0] * 8}),
             record("i2", "intrinsic", 2, 0.74, trainable=1016, coordinates={"0": [0] * 8, "1": [0] * 8}),
             record("s0", "spectral", 0, 0.71, trainable=300, backbone_trainable=288,
                    spec={"spectral": {"run": "spectral"}})]
    runs = frontier.load(paths)
    params = dict(zip(runs["method"], runs["parameters"]))
    assert params == {"frozen": 0, "full": 4000, "intrinsic": 16, "spectral": 288}
    assert frontier.units(runs, 8).loc[("m", "t")] == pytest.approx(72.0 - 71.0)


def test_synthesis_config_needs_the_three_papers():
    from ftgeom.config import ConfigError
    from ftgeom.synthesis.checks import check

    with pytest.raises(ConfigError, match="synthesis: needs the head_probe section"):
        check({"synthesis": {"k": 4}, "intrinsic": {"models": {}}, "spectral": {"models": {}},
               "finetune": {"trajectory": {"seeds": [0]}}})


def test_the_update_less_theta0_removes_what_the_raw_basis_adds():
    """An update that is only a rescaling of θ0 has no outliers left once its θ0 component is removed."""
    from ftgeom.synthesis.trajectory_measures import without_start

    theta0 = torch.randn(1000, generator=torch.Generator().manual_seed(1))
    planted = torch.randn(1000, generator=torch.Generator().manual_seed(2))
    left = without_start(0.3 * theta0 + planted, theta0)
    assert float(left @ theta0) == pytest.approx(0.0, abs=1e-3)
    assert torch.allclose(without_start(0.3 * theta0, theta0), torch.zeros(1000), atol=1e-5)

