"""Paper B's plan and report logic on small synthetic inputs: which runs are analysed, the null ratios behind the
claims, cross-task overlaps against seed pairs (the stability stage itself runs in the smoke DAG)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from workflow_runs import with_defaults

from ftgeom.spectral import analysis, cross, plan

SB = {
    "models": {"bert": ["a", "b"]},
    "seeds": [0, 1],
    "scale": [{"models": ["bert-scratch", "bert"], "tasks": ["a"], "seeds": [0, 3],
               "examples": {"bert-scratch": 0, "bert": 1e9}}],
    "peft": {"models": {"bert": ["a"]}, "seeds": [0, 1, 2], "keep_seed": 1,
             "methods": {"spectral": {"method": "spectral", "options": {"k": 4}, "lr": 0.01},
                         "lora": {"method": "lora", "lr": 0.001}},
             "variants": {"spectral-diag-all": {"method": "spectral", "options": {"variant": "diag-all"}, "lr": 0.01}},
             "variant_seeds": [0]},
}


def test_plan_lists_each_run_once_and_keeps_one_peft_seed():
    assert plan.full_runs(SB) == [("bert", "a", 0), ("bert", "a", 1), ("bert", "b", 0), ("bert", "b", 1),
                                  ("bert-scratch", "a", 0), ("bert-scratch", "a", 3), ("bert", "a", 3)]
    members = plan.peft_members(SB, "bert", "a")
    assert [m["name"] for m in members] == ["lora-seed0", "lora-seed1", "lora-seed2", "spectral-diag-all-seed0",
                                            "spectral-seed0", "spectral-seed1", "spectral-seed2"]
    # the table's methods keep the keep_seed's weights; the variants keep none
    assert [m["name"] for m in members if m["keep"]] == ["lora-seed1", "spectral-seed1"]
    assert plan.peft_members(SB, "bert", "b") == []
    runs = plan.analysed(SB, "bert", "a")
    assert {"task": "a", "run": "lora", "seed": 1} in runs and len(runs) == 3 + 2
    assert plan.stability_pairs(SB) == [("bert", "a"), ("bert", "b"), ("bert-scratch", "a")]


def _rows(one_minus_real: float, one_minus_null: float, task="a", seed=0, model="bert", m=64, n=64):
    base = {"model": model, "task": task, "run": "full", "seed": seed, "name": "w", "layer": 0, "label": "layer 0",
            "kind": "query", "m": m, "n": n, "k": 4}
    return [{**base, "source": s, "end": e, "one_minus": v}
            for s, v in (("real", one_minus_real), ("null-spectrum", one_minus_null)) for e in ("lead", "tail")]


def test_null_ratio_is_positive_when_the_real_update_moves_less():
    df = pd.DataFrame(_rows(1e-4, 1e-2) + _rows(1e-2, 1e-4, task="b")
                      + _rows(1e-3, 1e-1, m=8))  # a matrix with fewer than 4k singular values: left out
    ratios = analysis.null_ratios(df, 4, "spectrum")
    units = analysis.per_unit(ratios)
    assert units[("bert", "a", 0)] == pytest.approx(2.0) and units[("bert", "b", 0)] == pytest.approx(-2.0)
    assert len(ratios) == 4  # 2 matrices x 2 ends: the small one is not eligible
    # an unmoved matrix (1 − overlap at rounding level) has no ratio
    assert analysis.null_ratios(pd.DataFrame(_rows(0.0, 1e-3)), 4, "spectrum").empty


def _orthonormal(m: int, k: int, seed: int) -> torch.Tensor:
    return torch.linalg.qr(torch.randn(m, k, generator=torch.Generator().manual_seed(seed)))[0]


def test_cross_task_overlaps_against_seed_pairs():
    shared = _orthonormal(32, 4, 0)
    subspaces = {("a", 0, "real", "dw"): {"w": shared}, ("a", 1, "real", "dw"): {"w": shared},
                 ("b", 0, "real", "dw"): {"w": _orthonormal(32, 4, 1)}, ("b", 1, "real", "dw"): {"w": shared}}
    pairs = cross.pair_overlaps(subspaces, "bert", [["a", "b"]])
    assert set(pairs["kind"]) == {"seed pair", "unrelated tasks"}
    seed_a = pairs[(pairs["kind"] == "seed pair") & (pairs["task_a"] == "a")]["overlap"].item()
    assert seed_a == pytest.approx(1.0)
    assert pairs["random"].eq(4 / 32).all()
    units = cross.cross_units(pairs)
    # seed 1: b's update equals a's (overlap 1) against seed pairs of mean (1 + overlap(b0, b1)) / 2
    b_seeds = pairs[(pairs["kind"] == "seed pair") & (pairs["task_a"] == "b")]["overlap"].item()
    assert units[("bert", "a~b", 1)] == pytest.approx(1 / np.mean([1.0, b_seeds]))
    assert units[("bert", "a~b", 0)] < units[("bert", "a~b", 1)]


def test_b2b_units_are_tasks_each_the_mean_of_its_pairs():
    units = pd.Series({("m", "a~x", 0): 1.0, ("m", "a~x", 1): 0.8, ("m", "b~x", 0): 0.4, ("m", "b~y", 0): 0.6,
                       ("v", "p~q", 0): 0.5})
    shares = analysis.task_shares(units)
    assert shares[("m", "a")] == pytest.approx(0.9) and shares[("m", "x")] == pytest.approx((1.0 + 0.8 + 0.4) / 3)
    assert shares[("m", "b")] == pytest.approx(0.5) and shares[("v", "p")] == shares[("v", "q")] == 0.5
    with pytest.raises(ValueError, match="B2b"):
        analysis.task_shares(units.replace(0.4, np.nan))


def test_twin_differences_pair_the_most_pretrained_model_with_its_random_twin_by_task_and_seed():
    sb = {"scale": [{"models": ["v-scratch", "v-small", "v"], "tasks": ["a", "b"], "seeds": [0, 1],
                     "examples": {"v-scratch": 0, "v-small": 10, "v": 1000}},
                    {"models": ["t-scratch", "t"], "tasks": ["c"], "seeds": [0], "examples": {"t-scratch": 0, "t": 5}}]}
    values = {(m, t, s): base + s for m, base in (("v", 3.0), ("v-small", 9.0), ("v-scratch", 1.0), ("t", 2.0),
                                                   ("t-scratch", 2.5)) for t in "abc" for s in (0, 1)}
    units, pairs = analysis.twin_units(pd.Series(values), sb, "B3b")
    assert pairs == ["v minus v-scratch", "t minus t-scratch"]
    assert units.to_dict() == {("v", "a"): 2.0, ("v", "b"): 2.0, ("t", "c"): -0.5}
    with pytest.raises(ValueError, match="B3b"):  # a missing run is an error naming the unit, not a dropped unit
        analysis.twin_units(pd.Series(values).drop(("t-scratch", "c", 0)), sb, "B3b")


def test_absolute_stability_is_the_real_top_k_one_minus_overlap_of_eligible_matrices():
    df = pd.DataFrame(_rows(0.02, 0.5) + _rows(0.04, 0.5, seed=1) + _rows(0.9, 0.9, m=8))
    units = analysis.stability_units(df, 4)
    assert units.to_dict() == {("bert", "a", 0): 0.02, ("bert", "a", 1): 0.04}


def test_stability_jobs_read_only_what_changes_their_numbers():
    sb = with_defaults({"models": {"bert": ["a", "b"]}, "ks": [1, 4], "claim_k": 4, "cross_k": 4,
                        "nulls": ["spectrum"], "trajectory_points": [0, 3], "trajectory_tasks": ["a"],
                        "unrelated": {"bert": [["a", "b"]]}, "verdict_null": "spectrum"}, at="spectral")
    more = {**sb, "models": {"bert": ["a", "b", "c"]}, "unrelated": {"bert": [["a", "b"], ["a", "c"]]},
            "verdict_null": "frobenius"}
    settings = [plan.stability_settings(s, task) for s in (sb, more) for task in ("a", "b")]
    assert settings[0] == settings[2] and settings[1] == settings[3]
    assert settings[0]["trajectory_tasks"] == ["a"] and settings[1]["trajectory_tasks"] == []
    assert plan.stability_settings({**sb, "ks": [1, 4, 16]}, "a") != settings[0]


def test_a_config_without_scale_groups_has_no_twin_rows():
    units, pairs = analysis.twin_units(pd.Series(dtype=float), {"scale": []}, "B2a")
    assert pairs == [] and units.empty
