"""Splits, batching and metrics: the pieces every run depends on."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workflow_runs import split_sizes, task_entry

from ftgeom.assets.task_data import make_splits, synthetic_frames
from ftgeom.train.data import epoch_batches
from ftgeom.train.metrics import compute


def test_splits_are_disjoint_fixed_and_capped():
    df = pd.DataFrame({"text": [f"t{i}" for i in range(1000)], "label": np.arange(1000) % 3})
    sizes = split_sizes({"max_train": 300, "max_validation": 50, "max_test": 60})
    a = make_splits({"train": df}, "multiclass", sizes, seed=5)
    b = make_splits({"train": df}, "multiclass", sizes, seed=5)
    c = make_splits({"train": df}, "multiclass", sizes, seed=6)
    assert {k: len(v) for k, v in a.items()} == {"train": 300, "validation": 50, "test": 60}
    assert all(a[k].equals(b[k]) for k in a)
    assert not a["train"].equals(c["train"])
    texts = [set(a[k]["text"]) for k in a]
    assert not (texts[0] & texts[1] or texts[0] & texts[2] or texts[1] & texts[2])
    for k in a:  # membership is by hash (not stratified); caps are stratified: shares stay near 1/3 each
        assert (a[k]["label"].value_counts(normalize=True) - 1 / 3).abs().max() < 0.05, k


def test_split_membership_follows_the_example_not_the_task():
    """Two tasks built from the same sentences (other labels, other sizes) put each shared sentence in the same
    split, so a cross-task experiment cannot train on another task's test sentence."""
    rng = np.random.default_rng(0)
    sentences = [f"Sentence number {i} about a film" for i in range(3000)]
    scores = rng.normal(size=3000)
    polarity = pd.DataFrame({"text": sentences, "label": (scores > 0).astype(int)})
    # the second task: a subset, other casing/whitespace, a regression label, another order
    subset = rng.permutation(3000)[:2000]
    regression = pd.DataFrame({"text": ["  " + sentences[i].upper() for i in subset], "label": scores[subset]})
    caps = split_sizes({"max_train": 500, "max_validation": 200, "max_test": 400})
    a = make_splits({"train": polarity}, "binary", caps, seed=9)
    b = make_splits({"train": regression}, "regression", caps, seed=9)
    norm = lambda texts: {" ".join(t.lower().split()) for t in texts}  # noqa: E731
    for x in a:
        for y in b:
            if x != y:
                assert not norm(a[x]["text"]) & norm(b[y]["text"]), f"{x} of one task shares text with {y} of the other"
    assert norm(a["test"]["text"]) & norm(b["test"]["text"]), "shared sentences do meet, in the same split"


def test_official_test_split_is_kept():
    train = pd.DataFrame({"text": [f"a{i}" for i in range(100)], "label": [i % 2 for i in range(100)]})
    test = pd.DataFrame({"text": [f"b{i}" for i in range(30)], "label": [i % 2 for i in range(30)]})
    out = make_splits({"train": train, "test": test}, "binary", split_sizes({}), seed=0)
    assert set(out["test"]["text"]) == set(test["text"])
    assert len(out["train"]) + len(out["validation"]) == 100


@pytest.mark.parametrize("bucket", [True, False])
def test_epoch_batches_cover_each_example_once_and_depend_on_seed_and_epoch(bucket):
    lengths = np.random.default_rng(0).integers(5, 60, size=1000)
    b = epoch_batches(lengths, 32, seed=1, epoch=0, bucket=bucket)
    assert sorted(np.concatenate(b).tolist()) == list(range(1000))
    # 1000 = 31 x 32 + 8: one short batch (last without buckets; anywhere once buckets are shuffled)
    assert sorted(len(x) for x in b) == [8] + [32] * 31
    assert bucket or len(b[-1]) == 8
    same = epoch_batches(lengths, 32, seed=1, epoch=0, bucket=bucket)
    assert all(np.array_equal(x, y) for x, y in zip(b, same))
    assert not np.array_equal(np.concatenate(b), np.concatenate(epoch_batches(lengths, 32, 1, 1, bucket)))


def test_length_buckets_reduce_padding():
    lengths = np.random.default_rng(0).integers(5, 80, size=3200)
    pad = {bk: sum(lengths[i].max() * len(i) for i in epoch_batches(lengths, 32, 0, 0, bk)) for bk in (True, False)}
    assert pad[True] < 0.6 * pad[False]


def test_metrics_match_hand_computed_values():
    logits = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 3.0]])
    m = compute("binary", logits, np.array([0, 1, 1, 1]))
    assert m["accuracy"] == 0.75
    assert m["f1"] == pytest.approx(0.8)
    assert m["mcc"] == pytest.approx(0.5773502691896258)
    r = compute("regression", np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 4.0, 6.0, 9.0]))
    assert r["pearson"] == pytest.approx(11.5 / np.sqrt(5 * 26.75)) and r["spearman"] == 1.0
    assert compute("regression", np.zeros(4), np.arange(4.0))["pearson"] == 0.0


def test_synthetic_labels_are_carried_by_keywords():
    kind, names, frames = synthetic_frames(task_entry({"source": "synthetic", "synthetic": {"kind": "multiclass", "num_labels": 3, "size": 60}})["synthetic"], seed=0)
    df = frames["train"]
    assert kind == "multiclass" and names == ("class0", "class1", "class2")
    for text, y in zip(df["text"], df["label"]):
        assert ["good", "bad", "sport"][y] in text.split()
