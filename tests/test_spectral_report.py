"""Paper B's plan and report logic on small synthetic inputs: which runs are analysed, the null ratios behind the
claims, cross-task overlaps against seed pairs (the stability stage itself runs in the smoke DAG)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

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
