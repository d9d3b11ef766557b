"""Paper C: cached-feature head probing, fine-tuning from probed heads, feature measures, energy, linear model."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

PROBE = {"lr": 1e-2, "batch_size": 16, "head": "linear", "label_smoothing": 0.0, "converged_epochs": 5}
SPEC = {"model": "tiny-bert", "task": "keywords", "method": "full", "seed": 1, "epochs": 2, "batch_size": 16,
        "lr": 3e-3, "warmup_ratio": 0.1, "precision": "fp32"}


@pytest.fixture(scope="module")
def cache(keyword_task, tiny_model, tmp_path_factory):
    from ftgeom.head_probe.features import compute_features, save_features
    from ftgeom.models import model_info
    from ftgeom.train.data import load_task

    data = load_task(keyword_task, model_info(tiny_model))
    features, dropout = compute_features(tiny_model, data)
    out = tmp_path_factory.mktemp("features")
    save_features(out, features, data, dropout, {"config_hash": "test"})
    return out


def test_tau_zero_is_the_seeds_fresh_head(cache, keyword_task, tiny_model):
    from ftgeom.head_probe.probe import probe_heads, same_head
    from ftgeom.models import load_task_model, model_info
    from ftgeom.train.data import load_task

    heads, record = probe_heads(cache, model_info(tiny_model), 1, PROBE, [0, 2, "converged"])
    fresh = load_task_model(tiny_model, load_task(keyword_task, model_info(tiny_model)).info, seed=1).head
    assert same_head(heads[0], fresh.state_dict(), atol=0)
    assert not same_head(heads[2], heads[0]), "probing moves the head"
    energies = [record["energy"][str(t)]["energy"] for t in (0, 2, "converged")]
    assert energies[0] > energies[1] > energies[2], energies


def test_cached_probe_equals_probing_through_the_frozen_backbone(cache, keyword_task, tiny_model, tmp_path):
    from ftgeom.head_probe.probe import probe_config, probe_heads
    from ftgeom.methods import make_method
    from ftgeom.models import load_task_model, model_info
    from ftgeom.train.data import load_task
    from ftgeom.train.loop import fit

    cached, _ = probe_heads(cache, model_info(tiny_model), 0, PROBE, [3])
    data = load_task(keyword_task, model_info(tiny_model))
    model = load_task_model(tiny_model, data.info, seed=0)
    fit(model, make_method("head"), data, probe_config(0, PROBE, 3), tmp_path / "state", progress=False)
    for name, value in model.head.state_dict().items():
        torch.testing.assert_close(cached[3][name], value, atol=1e-5, rtol=1e-4)


def test_probe_snapshots_equal_shorter_probes(cache, tiny_model):
    from ftgeom.head_probe.probe import probe_heads, same_head
    from ftgeom.models import model_info

    long, _ = probe_heads(cache, model_info(tiny_model), 0, PROBE, [2, 4])
    short, _ = probe_heads(cache, model_info(tiny_model), 0, PROBE, [2])
    assert same_head(long[2], short[2], atol=0) and not same_head(long[2], long[4])


def test_early_stopped_head_is_the_best_validation_epoch(cache, tiny_model):
    from ftgeom.head_probe.probe import EARLY, probe_heads, same_head
    from ftgeom.models import model_info

    heads, record = probe_heads(cache, model_info(tiny_model), 0, PROBE, [0, "converged"], keep_every_epoch=True)
    best = record["early_stop_epoch"]
    scores = [c["validation"] for c in record["curve"][1:]]
    assert scores[best - 1] == max(scores) and scores.index(max(scores)) == best - 1
    if best == PROBE["converged_epochs"]:
        assert same_head(heads[EARLY], heads["converged"], atol=0)


def test_finetuning_from_the_tau0_head_is_the_plain_run_and_tracking_changes_no_number(
        cache, keyword_task, tiny_model, tmp_path):
    from ftgeom.head_probe.probe import probe_heads
    from ftgeom.models import model_info
    from ftgeom.registry import extensions
    from ftgeom.train.run import finetune

    found, _ = probe_heads(cache, model_info(tiny_model), 1, PROBE, [0, 3])
    torch.save({f"base/seed1/{t}": h for t, h in found.items()}, tmp_path / "heads.pt")
    plain = finetune(SPEC, keyword_task, tiny_model, tmp_path / "a.json", tmp_path / "sa", progress=False)

    def from_head(tau) -> dict:
        """The spec of a run from a probed head, as paper C's jobs name it (the shared stage loads it)."""
        return {**SPEC, "track_features": True,
                "head_probe": {"heads": {"file": str(tmp_path / "heads.pt"), "key": f"base/seed1/{tau}"}}}

    # the feature-drift hook and the start head come from paper C's registry entry, chosen by the spec (as the
    # shared finetune stage does)
    tracked = finetune(from_head(0), keyword_task, tiny_model, tmp_path / "b.json", tmp_path / "sb", progress=False,
                       extensions=extensions())
    probed = finetune(from_head(3), keyword_task, tiny_model, tmp_path / "c.json", tmp_path / "sc", progress=False,
                      extensions=extensions())
    assert plain["final"] == tracked["final"]
    assert [h["train_loss"] for h in plain["history"]] == [h["train_loss"] for h in tracked["history"]]
    drift = tracked["feature_drift"]
    assert [d["epoch"] for d in drift] == [0, 1, 2]
    assert drift[0]["distance"]["mean"] == 0 and math.isclose(drift[0]["cosine"]["mean"], 1, rel_tol=1e-9)
    assert drift[-1]["distance"]["mean"] > 0
    assert probed["final"] != plain["final"], "a probed head changes the run"


def test_feature_measures_match_hand_computed_values():
    from ftgeom.head_probe.feature_drift import drift_summary, feature_measures

    z0 = torch.tensor([[3.0, 4.0], [1.0, 0.0]])
    z = torch.tensor([[6.0, 8.0], [0.0, 2.0]])
    m = feature_measures(z0, z)
    torch.testing.assert_close(m["distance"], torch.tensor([5.0, math.sqrt(5)], dtype=torch.float64))
    torch.testing.assert_close(m["cosine"], torch.tensor([1.0, 0.0], dtype=torch.float64))
    torch.testing.assert_close(m["dot"], torch.tensor([50.0, 0.0], dtype=torch.float64))
    torch.testing.assert_close(m["norm"], torch.tensor([10.0, 2.0], dtype=torch.float64))
    s = drift_summary(z0, z)
    assert s["norm"]["mean"] == 6.0 and s["norm0"]["mean"] == 3.0 and s["dot"]["q50"] == 25.0


def test_energy_matches_hand_computed_values():
    from ftgeom.head_probe.energy import energy

    logits = torch.tensor([[0.0, 0.0], [math.log(3.0), 0.0]], dtype=torch.float64)  # p = (.5, .5), (.75, .25)
    out = energy(logits, torch.tensor([0, 1]))
    expected = (math.sqrt(0.5 ** 2 * 2) + math.sqrt(0.75 ** 2 * 2)) / 2
    assert math.isclose(out["energy"], expected, rel_tol=1e-12)
    assert math.isclose(out["loss"], (math.log(2) - math.log(0.25)) / 2, rel_tol=1e-12)
    assert out["accuracy"] == 0.5


def test_linear_model_matches_its_closed_forms():
    from ftgeom.head_probe.linear_model import (
        LinearSetting,
        finetune,
        probe,
        probe_residual_closed_form,
        sample_problem,
    )

    s = LinearSetting(d=40, k=6, c=3, n=12)
    p = sample_problem(s, seed=0)
    z = p["B0"] @ p["X"]
    for tau in (0, 1, 7, 50):
        v = probe(p["V0"], z, p["Y"], s.probe_lr, tau)
        torch.testing.assert_close(p["Y"] - v @ z, probe_residual_closed_form(p["V0"], z, p["Y"], s.probe_lr, tau))
    v = probe(p["V0"], z, p["Y"], s.probe_lr, 3)
    _, b1 = finetune(v, p["B0"], p["X"], p["Y"], s.lr, 1)
    step = s.lr / s.n * v.T @ (p["Y"] - v @ z) @ p["X"].T
    torch.testing.assert_close(b1 - p["B0"], step)
    assert s.n < s.d and s.k * s.d + s.c * s.k > s.n, "overparameterised"


def test_linear_model_energy_falls_with_probing():
    from ftgeom.head_probe.linear_model import LinearSetting, simulate

    rows = simulate(LinearSetting(d=60, k=8, n=20, steps=20), seed=1, taus=[0, 4, 64])
    assert rows[0]["energy"] > rows[1]["energy"] > rows[2]["energy"]


def test_interior_peak_sees_rise_then_fall_only():
    from ftgeom.head_probe.analysis import interior_peak

    x = np.array([0.1, 0.4, 0.7, 1.0])
    assert interior_peak(x, 5 - (x - 0.5) ** 2) > 0                       # rises, then falls
    assert interior_peak(x, np.sqrt(x)) < 0 and interior_peak(x, 3 * x + 1) < 0  # concave but monotone: no
    assert interior_peak(x[::-1], (5 - (x - 0.5) ** 2)[::-1]) > 0           # order of the points does not matter


def test_plan_lists_variants_on_their_seeds():
    from ftgeom.head_probe.plan import finetune_runs, settings_for

    hp = {"seeds": [0, 1, 2], "variant_seeds": [0], "taus": {"m": [0, 4, "converged"]}, "lr": 0.01,
          "converged_epochs": 10, "label_smoothing": 0.1, "variants": {"m": ["smooth", "mlp", "early"]}}
    s = settings_for(hp, "m")
    assert finetune_runs(s, 0) == [("base", 4), ("base", "converged"), ("smooth", "converged"),
                                   ("mlp", "converged"), ("early", "early")]
    assert finetune_runs(s, 2) == [("base", 4), ("base", "converged")]
    per_model = settings_for({**hp, "converged_epochs": {"m": 40, "n": 7}}, "m")
    assert per_model["converged_epochs"] == 40


def test_trend_rows_read_every_fine_tuning_epoch_and_count_the_row_over_all_units():
    import pandas as pd

    from ftgeom.claims import counted
    from ftgeom.head_probe.analysis import _over_epochs, _settings, _spearman, epoch_measures

    keys = {"model": "m", "task": "t", "seed": 0, "variant": "base"}
    taus, energy = ["0", "4", "converged"], [0.9, 0.5, 0.1]
    runs = pd.DataFrame([{**keys, "tau": t, "energy": e} for t, e in zip(taus, energy)])
    # epoch 1: distance grows with energy; epoch 2: it falls; epoch 0 (z0 against itself) is not a trend
    distance = {0: [0, 0, 0], 1: [3.0, 2.0, 1.0], 2: [1.0, 2.0, 3.0]}
    epochs = pd.DataFrame([{**keys, "tau": t, "epoch": ep, "distance_mean": distance[ep][i], "cosine_mean": 0.9,
                            "dot_mean": 1.0, "norm_mean": 1.0} for ep in distance for i, t in enumerate(taus)])
    per_epoch = epoch_measures(runs, epochs)
    assert sorted(per_epoch["epoch"].unique()) == [1, 2] and per_epoch["cosine_distance"].round(6).eq(0.1).all()
    trend = _over_epochs(per_epoch, lambda g: _spearman(g["energy"], g["distance"]))
    assert trend[("m", "t", 0)] == pytest.approx(0.0)  # +1 after epoch 1, −1 after epoch 2
    both = pd.DataFrame([{"backbone": b, "model": m, "task": "t"} for b, m in (("vision", "v"), ("language", "l"))])
    labels = [label for label, _ in _settings(both)]
    assert labels == ["all backbones: l on t; v on t", "part, vision: v on t", "part, language: l on t"]
    claims = pd.DataFrame({"kind": "paper", "setting": labels})
    assert counted(claims).tolist() == [True, False, False]
    assert [label for label, _ in _settings(both[both["model"] == "v"])] == ["vision: v on t"]
