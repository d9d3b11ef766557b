"""Paper A's subspaces: the Gram-trick SVD, the intrinsic/random methods, the ensemble's equivalence to its mean."""
from __future__ import annotations

import pytest
import torch

from ftgeom.intrinsic.gram import VARIANTS, basis, gram_svd


def explicit(points, theta0, variant):
    delta = points.double() - theta0.double()
    return {"raw": points.double(), "updates": delta, "centred": delta - delta.mean(0)}[variant]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("t,numel", [(6, 3000), (16, 70_000)])  # the second spans two streamed chunks
def test_gram_trick_matches_dense_svd(variant, t, numel):
    gen = torch.Generator().manual_seed(t)
    theta0 = torch.randn(numel, generator=gen)
    # a trajectory: small moves from θ₀ with a decaying spectrum, as fine-tuning makes
    points = theta0 + 0.01 * torch.randn(t, 40, generator=gen) @ torch.randn(40, numel, generator=gen) \
        * torch.logspace(0, -1, t)[:, None]
    _, s, vh = torch.linalg.svd(explicit(points, theta0, variant), full_matrices=False)
    svd = gram_svd(points, theta0, variant)
    assert len(svd.sigma) == (t - 1 if variant == "centred" else t)
    assert torch.allclose(svd.sigma, s[:len(svd.sigma)], rtol=1e-5)
    d = 4
    vt = basis(points, theta0, svd, d).double()
    assert torch.allclose(vt @ vt.T, torch.eye(d, dtype=torch.float64), atol=1e-4)
    cosines = torch.linalg.svdvals(vt @ vh[:d].T)  # cosines of the principal angles between the two subspaces
    assert cosines.min() > 1 - 1e-4, cosines
    assert torch.allclose(svd.explained[-1], torch.tensor(1.0, dtype=torch.float64))


def test_basis_written_over_the_points_is_the_same():
    gen = torch.Generator().manual_seed(0)
    theta0 = torch.randn(5000, generator=gen)
    points = theta0 + 0.1 * torch.randn(8, 5000, generator=gen)
    svd = gram_svd(points, theta0, "updates")
    expected = basis(points, theta0, svd, 8)
    inplace = basis(points, theta0, svd, 8, chunk=1024, out=points)
    assert inplace.data_ptr() == points.data_ptr() and torch.equal(inplace, expected)


def test_random_basis_is_orthonormal_and_a_function_of_its_seed():
    from ftgeom.methods.projected import random_basis

    a = random_basis(20_000, 8, seed=3, layer=1)
    assert torch.allclose(a @ a.T, torch.eye(8), atol=1e-5)
    assert torch.equal(a, random_basis(20_000, 8, seed=3, layer=1))
    assert not torch.allclose(a, random_basis(20_000, 8, seed=4, layer=1))
    assert not torch.allclose(a, random_basis(20_000, 8, seed=3, layer=2))


def _setup(task_dir, model_dir):
    from ftgeom.models import load_task_model, model_info
    from ftgeom.train.data import collate, load_task

    data = load_task(task_dir, model_info(model_dir))
    model = load_task_model(model_dir, data.info, seed=0)
    model.precision = "fp32"
    batch = collate(data.validation, list(range(8)), data.pad_id, data.kind, torch.device("cpu"))
    return data, model, batch


def test_zero_coordinates_reproduce_the_start_exactly(keyword_task, tiny_model):
    from ftgeom.methods import make_method
    from ftgeom.train.loop import logits_of

    data, model, batch = _setup(keyword_task, tiny_model)
    model.eval()
    with torch.no_grad():
        start = model({k: v for k, v in batch.items() if k != "labels"})
        method = make_method("random", seed=0, d=4, init_scale=0.0)
        trained = method.prepare(model)
        assert torch.equal(logits_of(trained, method, batch), start)
        # and the coordinates really drive the weights: a non-zero z changes the logits
        for z in method.z.values():
            z.fill_(0.5)
        assert not torch.allclose(logits_of(trained, method, batch), start)


def _train_subspace(task_dir, model_dir, form, steps=6, clip=1e9, lr=0.05):
    from ftgeom.methods import make_method
    from ftgeom.train.data import collate
    from ftgeom.train.loop import logits_of, loss_of

    data, model, batch = _setup(task_dir, model_dir)
    torch.manual_seed(0)
    method = make_method("random", seed=5, d=4, init_scale=0.1, copies=16, form=form, lr=lr)
    trained = method.prepare(model)
    opt = torch.optim.AdamW(method.parameter_groups(trained, 1e-3, 0.01), fused=True)
    params = [p for g in opt.param_groups for p in g["params"]]
    for step in range(steps):
        idx = [(step * 16 + i) % len(data.train.labels) for i in range(16)]
        b = collate(data.train, idx, data.pad_id, data.kind, torch.device("cpu"))
        loss_of(logits_of(trained, method, b), b["labels"], data.kind).backward()
        torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        opt.zero_grad()
    trained.eval()
    with torch.no_grad():
        return logits_of(trained, method, batch), torch.stack([method.coordinates(i) for i in method.layers])


def test_ensemble_of_copies_equals_one_coordinate_vector_started_at_their_mean(keyword_task, tiny_model):
    """Paper A's Eq. 4 under Adam: each copy gets 1/h of the gradient, Adam ignores the scale, so every copy takes
    the same step and the mean moves as one z would, with Adam's ε scaled by h (the `mean` form does that)."""
    copies_logits, copies_z = _train_subspace(keyword_task, tiny_model, "copies")
    mean_logits, mean_z = _train_subspace(keyword_task, tiny_model, "mean")
    assert (copies_z - mean_z).abs().max() < 1e-5
    assert torch.allclose(copies_logits, mean_logits, atol=1e-4)
    moved, _ = _train_subspace(keyword_task, tiny_model, "mean", steps=0)
    assert not torch.allclose(moved, mean_logits, atol=1e-3), "the runs compared above did learn something"


def test_outlier_rule_finds_planted_spikes_and_only_gaussian_tails_in_noise():
    from ftgeom.intrinsic.outliers import detect, gaussian_expectation

    gen = torch.Generator().manual_seed(0)
    noise = torch.randn(200_000, generator=gen)
    found = detect(noise, 3.0)
    expected = gaussian_expectation(noise.numel(), 3.0)  # 540: the 3σ rule flags noise's own tails
    assert abs(len(found) - expected) < 4 * expected ** 0.5
    small = 0.01 * torch.randn(200_000, generator=gen)
    spikes = torch.tensor([17, 4242, 199_999])
    small[spikes] = torch.tensor([1.0, -2.0, 0.5])
    assert set(spikes.tolist()) <= set(detect(small, 3.0).tolist())
    assert len(detect(small, 3.0)) - len(spikes) < 2 * gaussian_expectation(small.numel(), 3.0)
    assert len(detect(torch.zeros(100), 3.0)) == 0


def test_outlier_positions_are_located_in_their_tensor_and_hidden_index():
    from ftgeom.intrinsic.outliers import locate

    prefix = "backbone.encoder.layer.0."
    names = [prefix + n for n in ("attention.self.query.weight", "output.dense.weight", "output.LayerNorm.weight")]
    shapes = {names[0]: (4, 4), names[1]: (4, 8), names[2]: (4,)}
    # query reads the residual stream (column); output.dense writes it (row); LayerNorm is indexed by it
    where = locate(torch.tensor([6, 16 + 13, 48 + 2]), names, shapes, prefix, hidden=4)
    assert [w["kind"] for w in where] == ["query", "ffn_out", "layernorm"]
    assert [w["hidden_index"] for w in where] == [2, 1, 2]


def test_zeroed_positions_stay_zero_while_training(keyword_task, tiny_model, tmp_path):
    from ftgeom.intrinsic.entry import method_inputs
    from ftgeom.methods import make_method
    from ftgeom.provenance import write_json
    from ftgeom.train.data import collate
    from ftgeom.train.loop import logits_of, loss_of

    source = tmp_path / "run.json"
    write_json(source, {"outliers": {"positions": {"0": [0, 5, 100], "1": [3]}}})
    for positions in ("outliers", "random"):
        data, model, _ = _setup(keyword_task, tiny_model)
        options = {"source": str(source), "positions": positions, "draw": 1}
        # the positions reach the method as data, read by paper A's entry from the run that found them
        found = method_inputs({"method": "zeroed", "method_options": options})
        method = make_method("zeroed", **options, **found)
        trained = method.prepare(model)
        flat = {i: torch.cat([p.reshape(-1) for n, p in trained.named_parameters() if n in names])
                for i, names in trained.layer_map.layers.items()}
        zero = method.chosen
        assert method.zeroed == 4 and all((flat[i][zero[i]] == 0).all() for i in zero)
        if positions == "outliers":
            assert zero[0].tolist() == [0, 5, 100] and zero[1].tolist() == [3]
        opt = torch.optim.AdamW(method.parameter_groups(trained, 1e-2, 0.01))
        for step in range(3):
            b = collate(data.train, list(range(16)), data.pad_id, data.kind, torch.device("cpu"))
            loss_of(logits_of(trained, method, b), b["labels"], data.kind).backward()
            opt.step()
            opt.zero_grad()
        after = {i: torch.cat([p.reshape(-1) for n, p in trained.named_parameters() if n in names])
                 for i, names in trained.layer_map.layers.items()}
        assert all((after[i][zero[i]] == 0).all() for i in zero), {i: after[i][zero[i]] for i in zero}
        assert not torch.equal(after[0], flat[0]), "the other positions did train"


def test_plan_pairs_transfer_and_leaves_the_target_out_of_its_zero_shot_subspace():
    from ftgeom.intrinsic.plan import jobs, subspaces

    ia = {"models": {"m": ["a", "b", "c"]}, "d": 8, "variant": "raw", "scaled": False, "seeds": [1, 2],
          "lr": {"intrinsic": 0.03, "random": 1.0}, "init_scale": 0.0, "copies": 16, "form": "mean", "basis_seed": 0,
          "ablation": {"tasks": ["a"], "seeds": [1], "d": [4, 8], "variants": ["raw", "centred"], "scaling": True},
          "outliers": {"tasks": ["a"], "sigma": 3.0, "seeds": [1, 2]}, "transfer": {"seeds": [1]},
          "long_trace": {"tasks": ["a"], "epochs": 5, "seed": 0}}
    a = jobs(ia, "m", "a")
    assert set(a) == {"intrinsic", "random", "intrinsic-d4", "intrinsic-centred", "intrinsic-scaled", "transfer",
                      "zeroed", "long-trace", "intrinsic-long"}  # d = 8 and raw are the headline itself
    transfer = {m["name"]: m for m in a["transfer"]}
    assert sorted(n for n in transfer if n.startswith("from-")) == ["from-b-seed1", "from-c-seed1"]
    assert transfer["from-b-seed1"]["subspace"]["tasks"] == ["b"]
    assert transfer["unified-seed1"]["subspace"]["tasks"] == ["a", "b", "c"]
    assert transfer["zeroshot-seed1"]["subspace"]["tasks"] == ["b", "c"]
    assert [(m["options"]["positions"], m["options"]["draw"], m["seed"]) for m in a["zeroed"]] == [
        ("outliers", 0, 1), ("outliers", 0, 2), ("random", 1, 1), ("random", 2, 2)]
    assert all(m["outliers"]["draws"] == 2 for m in a["intrinsic"])
    assert "outliers" not in jobs(ia, "m", "b")["intrinsic"][0]
    assert a["long-trace"][0]["epochs"] == 5 and a["intrinsic-long"][0]["subspace"]["long"]
    names = subspaces(ia, "m")
    assert {"a-raw", "b-raw", "c-raw", "a-centred", "unified-raw", "unified-minus-a-raw", "a-long-raw",
            "a-long-updates"} <= set(names)


def test_random_runs_draw_their_own_basis_unless_one_seed_is_fixed():
    from ftgeom.intrinsic.plan import jobs

    ia = {"models": {"m": ["a"]}, "d": 8, "variant": "raw", "scaled": False, "seeds": [1, 2, 3],
          "lr": {"intrinsic": 0.03, "random": 1.0}, "init_scale": 0.0, "copies": 16, "form": "mean",
          "basis_seed": "run"}
    assert [m["options"]["basis_seed"] for m in jobs(ia, "m", "a")["random"]] == [1, 2, 3]
    assert [m["options"]["basis_seed"] for m in jobs({**ia, "basis_seed": 7}, "m", "a")["random"]] == [7, 7, 7]
    assert all("basis_seed" not in m["options"] for m in jobs(ia, "m", "a")["intrinsic"])


def test_transfer_sources_are_the_next_tasks_cyclically_and_each_task_is_a_source_as_often():
    from collections import Counter

    from ftgeom.intrinsic.plan import transfer_sources

    tasks = ["a", "b", "c", "d"]
    assert transfer_sources(tasks, "c", 2) == ["d", "a"]
    assert transfer_sources(tasks, "a", None) == ["b", "c", "d"]
    assert Counter(s for t in tasks for s in transfer_sources(tasks, t, 2)) == {t: 2 for t in tasks}


def test_matched_random_positions_keep_each_tensors_count_and_theta0_bins():
    from ftgeom.methods.zeroed import BINS, matched_positions

    gen = torch.Generator().manual_seed(3)
    sizes = [5000, 64, 3000]
    theta0 = torch.randn(sum(sizes), generator=gen) * torch.tensor([1.0] * 5000 + [5.0] * 64 + [0.1] * 3000)
    # outliers planted among the largest |θ0| of the first tensor, and half of the small second tensor
    first = torch.topk(theta0[:5000].abs(), 40).indices
    outliers = torch.cat([first, torch.arange(5000, 5032)]).sort().values
    chosen = matched_positions(outliers, theta0, sizes, draw=1, layer=0)
    assert len(chosen) == len(outliers) and not set(chosen.tolist()) & set(outliers.tolist())
    assert torch.equal(chosen, matched_positions(outliers, theta0, sizes, draw=1, layer=0))
    assert not torch.equal(chosen, matched_positions(outliers, theta0, sizes, draw=2, layer=0))
    assert ((chosen < 5000).sum(), ((chosen >= 5000) & (chosen < 5064)).sum(), (chosen >= 5064).sum()) == (40, 32, 0)
    mag = theta0[:5000].abs()
    edges = torch.quantile(mag, torch.linspace(0, 1, BINS + 1)[1:-1])
    top_bin = torch.bucketize(mag[chosen[chosen < 5000]], edges)
    assert (top_bin == BINS - 1).all(), "the random positions sit in the outliers' |θ0| decile"
    # a bin with too few other positions is topped up from the rest of its tensor
    crowded = matched_positions(torch.arange(5000, 5060), theta0, sizes, draw=1, layer=0)
    assert len(crowded) == 4 and ((crowded >= 5060) & (crowded < 5064)).all()


def test_a1_counts_tasks_by_their_validation_gap_not_the_test_gap():
    import pandas as pd

    from ftgeom.intrinsic.analysis import gaps, recovered

    rows = []
    for seed, jitter in enumerate((-0.3, 0.0, 0.3)):
        for task, (val_gap, test_gap) in {"kept": (10.0, 8.0), "dropped": (0.0, 8.0)}.items():
            rows += [{"model": "m", "task": task, "run": "full", "seed": seed, "score": 70 + test_gap + jitter,
                      "validation": 70 + val_gap + jitter},
                     {"model": "m", "task": task, "run": "frozen", "seed": seed, "score": 70 - jitter,
                      "validation": 70 - jitter},
                     {"model": "m", "task": task, "run": "intrinsic", "seed": seed + 10, "score": 76.0,
                      "validation": 75.0}]
    runs = pd.DataFrame(rows)
    g = gaps(runs).set_index("task")
    assert g.loc["kept", "counted"] and not g.loc["dropped", "counted"]
    rec = recovered(runs, "intrinsic")
    assert set(rec["task"]) == {"kept"} and rec["recovered"].round(6).eq(0.75).all()
