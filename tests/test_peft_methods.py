"""PEFT methods: spectral (paper B: frozen singular vectors, trained coefficients), LoRA and VeRA through peft, BitFit.

The tiny BERT of conftest: hidden 32, 2 layers, intermediate 64, a 3-class linear head; its 12 adapted matrices are,
per layer, query/key/value/attention output (32 × 32), ffn_in (64 × 32) and ffn_out (32 × 64).
"""
from __future__ import annotations

import pytest
import torch
from peft import LoraConfig, inject_adapter_in_model
from peft.tuners.lora import LoraLayer
from peft.tuners.vera import VeraLayer
from torch.func import functional_call

from ftgeom.methods import make_method
from ftgeom.models import load_task_model, model_info
from ftgeom.train.data import load_task
from ftgeom.train.loop import TrainConfig, fit
from ftgeom.train.trajectory import load_layer, unflatten

torch.set_num_threads(1)

HIDDEN, LAYERS, INTERMEDIATE, LABELS = 32, 2, 64, 3
HEAD = HIDDEN * LABELS + LABELS
# (out, in) of the six adapted matrices of one layer
SHAPES = [(HIDDEN, HIDDEN)] * 4 + [(INTERMEDIATE, HIDDEN), (HIDDEN, INTERMEDIATE)]
MATRICES = LAYERS * len(SHAPES)


def _model(tiny_model):
    return load_task_model(tiny_model, {"num_labels": LABELS}, seed=0)


def _batch(n: int = 4, length: int = 9) -> dict:
    gen = torch.Generator().manual_seed(0)
    return {"input_ids": torch.randint(1000, 5000, (n, length), generator=gen),
            "attention_mask": torch.ones(n, length, dtype=torch.long)}


def _spectral(tiny_model, variant: str, k: int = 4):
    return _model(tiny_model).eval(), make_method("spectral", variant=variant, k=k)


def _randomise(method, scale: float = 0.3) -> None:
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in method.coefficients.values():
            p.copy_(scale * torch.randn(p.shape, generator=gen))


def test_layer_map_gives_peft_names_the_role_of_the_module_they_adapt(tiny_model):
    model = _model(tiny_model)
    lm = model.layer_map
    query = "backbone.encoder.layer.1.attention.self.query"
    inject_adapter_in_model(LoraConfig(r=2, target_modules=[query, "backbone.pooler.dense"]), model)
    assert lm.role(f"{query}.base_layer.weight") == lm.role(f"{query}.weight") == "encoder"
    assert lm.role(f"{query}.lora_A.default.weight") == "encoder"
    assert lm.role(f"{query}.lora_dropout.default") == "encoder"          # a module without parameters
    assert lm.role("backbone.pooler.dense.lora_B.default.weight") == "pooler"
    assert lm.role(f"base_model.model.{query}.base_layer.weight") == "encoder"  # names under a PeftModel
    assert lm.role("head.out.weight") == "head"
    with pytest.raises(KeyError):
        lm.role("nowhere.lora_A.default.weight")  # under no module of the model: not silently the root's role
    model.set_trainable_roles(("head",))        # both look up every parameter and module name
    model.train()
    assert not model.get_submodule(query).training and model.head.training


@pytest.mark.parametrize("variant", ["diag-topk", "diag-all", "block"])
def test_spectral_with_zero_update_is_the_pretrained_model_exactly(variant, tiny_model):
    model, method = _spectral(tiny_model, variant)
    batch = _batch()
    with torch.no_grad():
        before = model(batch)
        method.prepare(model).eval()
        assert all(torch.equal(p, torch.zeros_like(p)) for p in method.coefficients.values())
        assert torch.equal(model(batch), before)
    assert len(method.targets) == MATRICES and method.weight_overrides() == {}


@pytest.mark.parametrize("variant", ["diag-topk", "diag-all", "block"])
def test_spectral_forward_and_effective_weights_agree(variant, tiny_model):
    model, method = _spectral(tiny_model, variant)
    w0 = {n: p.detach().clone() for n, p in model.named_parameters()}
    batch = _batch()

    def hidden(weights=None):  # the last hidden states: O(1) values, unlike the tiny logits of a fresh head
        if weights is None:
            return model.backbone(**batch).last_hidden_state
        local = {n.removeprefix("backbone."): w for n, w in weights.items()}
        return functional_call(model.backbone, local, kwargs=batch).last_hidden_state

    with torch.no_grad():
        pretrained = hidden()
    method.prepare(model).eval()
    _randomise(method)
    with torch.no_grad():
        hooked, hooked_logits = hidden(), model(batch)
        eff = method.effective_weights()
        assert set(eff) == set(method.targets)
        for j, name in enumerate(method.targets):
            u, s, v = method.factors(j)
            k = len(s)
            assert k == (min(w0[name].shape) if variant == "diag-all" else 4)
            # the factors are W0's leading singular triplets: orthonormal, reproducing its rank-k truncation
            torch.testing.assert_close(u.T @ u, torch.eye(k), rtol=0, atol=1e-5)
            torch.testing.assert_close(v.T @ v, torch.eye(k), rtol=0, atol=1e-5)
            u64, s64, vh64 = torch.linalg.svd(w0[name].double(), full_matrices=False)
            truncation = (u64[:, :k] * s64[:k]) @ vh64[:k]
            torch.testing.assert_close((u * s) @ v.T, truncation.float(), rtol=0, atol=1e-5)
            delta = method.coefficients[str(j)]
            ds = torch.diag(delta) if delta.ndim == 1 else delta
            torch.testing.assert_close(eff[name], w0[name] + u @ ds @ v.T, rtol=0, atol=1e-6)
            # W = residual + U (S + ΔS) Vᵀ with the residual W0 − U S Vᵀ untouched
            residual = w0[name] - u @ torch.diag(s) @ v.T
            torch.testing.assert_close(eff[name] - u @ (torch.diag(s) + ds) @ v.T, residual, rtol=0, atol=1e-5)
            assert not torch.equal(eff[name], w0[name])
        assert all(torch.equal(p.detach(), w0[n]) for n, p in model.named_parameters()), "W0 itself is frozen"
        method.remove_hooks()
        assert torch.equal(hidden(), pretrained), "without its hooks the model is the pretrained one"
        rebuilt, rebuilt_logits = hidden(eff), functional_call(model, eff, args=(batch,))
    torch.testing.assert_close(hooked, rebuilt, rtol=0, atol=1e-5)
    torch.testing.assert_close(hooked_logits, rebuilt_logits, rtol=0, atol=1e-5)
    assert (hooked - pretrained).abs().max() > 0.05, "the update changes the function"


def test_spectral_prepare_twice_adds_one_path_and_a_checkpoint_of_the_coefficients_resumes(tiny_model):
    model, method = _spectral(tiny_model, "block")
    batch = _batch()
    method.prepare(model).eval()
    _randomise(method)
    coefficients = list(method.coefficients.values())
    with torch.no_grad():
        once = model(batch)
        method.prepare(model).eval()
        assert torch.equal(model(batch), once)
    assert [p is q for p, q in zip(coefficients, method.coefficients.values())] == [True] * MATRICES
    assert all(len(model.get_submodule(n.removesuffix(".weight"))._forward_hooks) == 1 for n in method.targets)
    assert set(method.state_dict()) == {f"coefficients.{j}" for j in range(MATRICES)}, "checkpoints hold ΔS only"
    # a resumed run prepares a fresh model (factors recomputed from W0) and loads ΔS
    fresh_model, fresh = _spectral(tiny_model, "block")
    fresh.prepare(fresh_model).eval()
    with torch.no_grad():
        assert not torch.equal(fresh_model(batch), once)
        fresh.load_state_dict(method.state_dict())
        assert torch.equal(fresh_model(batch), once)


def test_spectral_rank_k_path_under_bf16_autocast(tiny_model):
    model, method = _spectral(tiny_model, "block")
    method.prepare(model).eval()
    _randomise(method, 0.1)
    batch = _batch()
    with torch.no_grad():
        fp32 = model(batch)
    model.precision = "bf16"
    out = model(batch)
    out.sum().backward()
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, fp32, rtol=0, atol=0.05)
    assert all(p.dtype == torch.float32 and p.grad is not None and p.grad.dtype == torch.float32
               and p.grad.abs().sum() > 0 for p in method.coefficients.values())


def test_spectral_refuses_a_k_beyond_the_rank_and_unknown_kinds(tiny_model):
    with pytest.raises(ValueError, match="exceeds the rank"):
        make_method("spectral", variant="block", k=HIDDEN + 1).prepare(_model(tiny_model))
    with pytest.raises(ValueError, match="qkv"):
        make_method("spectral", variant="block", k=2, kinds=["qkv"]).prepare(_model(tiny_model))
    method = make_method("spectral", variant="diag-topk", k=2, kinds=["query", "value"])
    method.prepare(_model(tiny_model))
    assert [n.split(".")[-2] for n in method.targets] == ["query", "value"] * LAYERS


PER_LAYER_LORA = sum(m + n for m, n in SHAPES)           # r = 1: A (1 × n) + B (m × 1)
PER_LAYER_VERA = sum(m + 8 for m, _ in SHAPES)           # r = 8: λ_b (m) + λ_d (r)
# embedding LayerNorm; per layer q, k, v, attention output, LN1, ffn_out, LN2 (hidden) and ffn_in; the pooler
BIASES = HIDDEN + LAYERS * (7 * HIDDEN + INTERMEDIATE) + HIDDEN


@pytest.mark.parametrize("name,options,backbone", [
    ("spectral", {"variant": "diag-topk", "k": 4}, MATRICES * 4),
    ("spectral", {"variant": "diag-all"}, sum(min(s) for s in SHAPES) * LAYERS),
    ("spectral", {"variant": "block", "k": 4}, MATRICES * 4 * 4),
    ("lora", {"r": 1}, PER_LAYER_LORA * LAYERS),
    ("vera", {"r": 8}, PER_LAYER_VERA * LAYERS),
    ("bitfit", {}, BIASES),
])
def test_trainable_parameter_counts_by_hand(name, options, backbone, tiny_model):
    method = make_method(name, seed=0, **options)
    model = method.prepare(_model(tiny_model))
    d = method.describe(model)
    assert (d["backbone_trainable"], d["head_trainable"]) == (backbone, HEAD)
    assert d["trainable_parameters"] == backbone + HEAD
    assert d["backbone_parameters"] == sum(p.numel() for p in _model(tiny_model).backbone.parameters())
    assert d["backbone_fraction"] == backbone / d["backbone_parameters"]
    optimised = sum(p.numel() for g in method.parameter_groups(model, 1e-3, 0.01) for p in g["params"])
    assert optimised == backbone + HEAD, "the optimiser sees exactly the counted tensors"


@pytest.mark.parametrize("name,layer_cls", [("lora", LoraLayer), ("vera", VeraLayer)])
def test_lora_and_vera_are_peft_layers_on_exactly_the_matrices(name, layer_cls, tiny_model):
    plain = _model(tiny_model)
    wanted = {m.name.removesuffix(".weight") for m in plain.layer_map.matrices()}
    method = make_method(name, seed=0, r=2)
    model = method.prepare(_model(tiny_model))
    adapted = {n for n, m in model.named_modules() if isinstance(m, layer_cls)}
    assert adapted == wanted and len(adapted) == MATRICES
    batch = _batch()
    with torch.no_grad():
        assert torch.equal(model.eval()(batch), plain.eval()(batch)), "adapters start at ΔW = 0"
    tensors = list(model.parameters())
    method.prepare(model)  # a second prepare finds the adapters: no second injection, no wrapped wrappers
    after = list(model.parameters())
    assert len(after) == len(tensors) and all(p is q for p, q in zip(after, tensors))
    assert len(method.effective_weights()) == MATRICES
    # effective weights are W0 + ΔW, by hand: LoRA (α/r)·B·A; VeRA diag(λ_b)·B·diag(λ_d)·A (slices of the shared A, B)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_B" in n or "vera_lambda_b" in n:
                p.normal_()
        eff = method.effective_weights()
        for w in sorted(wanted):
            layer, w0 = model.get_submodule(w), plain.get_submodule(w).weight
            m, n = w0.shape
            if name == "lora":
                delta = 2.0 * layer.lora_B["default"].weight @ layer.lora_A["default"].weight  # α/r = 2 by default
            else:
                a, b = layer.vera_A["default"][:, :n], layer.vera_B["default"][:m]
                delta = layer.vera_lambda_b["default"][:, None] * (b @ (layer.vera_lambda_d["default"][:, None] * a))
            torch.testing.assert_close(eff[f"{w}.weight"], w0 + delta, rtol=0, atol=1e-6)


def test_adapters_are_drawn_from_the_run_seed_and_lora_dropout_follows_the_model_mode(tiny_model):
    def drawn(name, seed):
        model = make_method(name, seed=seed, r=2).prepare(_model(tiny_model))
        q = model.get_submodule("backbone.encoder.layer.0.attention.self.query")
        return q.lora_A["default"].weight.detach().clone() if name == "lora" else q.vera_A["default"].clone()

    for name in ("lora", "vera"):
        assert torch.equal(drawn(name, 0), drawn(name, 0)) and not torch.equal(drawn(name, 0), drawn(name, 1))
    model = make_method("lora", seed=0, r=2, dropout=0.5).prepare(_model(tiny_model))
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.normal_()
        model.head.dropout.p = 0.0  # the frozen backbone runs in eval mode: adapter dropout is the only noise left
        batch = _batch()
        model.train()
        assert not torch.equal(model(batch), model(batch)), "adapter dropout is active in training"
        model.eval()
        assert torch.equal(model(batch), model(batch))


@pytest.mark.parametrize("name,options", [("spectral", {"variant": "block", "k": 4}), ("lora", {"r": 1}),
                                          ("vera", {"r": 8}), ("bitfit", {})])
def test_short_fit_trains_only_the_intended_tensors_and_records_effective_weights(name, options, keyword_task,
                                                                                   tiny_model, tmp_path):
    data = load_task(keyword_task, model_info(tiny_model))
    model = load_task_model(tiny_model, data.info, seed=0)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    method = make_method(name, seed=0, **options)
    cfg = TrainConfig(epochs=1, batch_size=32, lr=1e-2, precision="fp32", checkpoint_every=10**6)
    rec = fit(model, method, data, cfg, tmp_path / "state", trajectory_points=2, progress=False)
    lm = model.layer_map
    changed = set()
    for n, p in model.named_parameters():
        plain = n.replace(".base_layer.", ".")
        if plain in before:
            moved = not torch.equal(p.detach(), before[plain])
            assert moved == p.requires_grad, f"{n}: {'moved' if moved else 'did not move'}"
            if moved:
                changed.add(lm.role(plain) if name != "bitfit" else ("bias" if n.endswith(".bias") else "head"))
        else:  # an adapter tensor peft added
            assert method.prefix in n and p.requires_grad
    if name == "spectral":
        assert all(p.abs().sum() > 0 for p in method.coefficients.values()), "every coefficient block trained"
    if name in ("lora", "vera"):
        assert any(p.abs().sum() > 0 for n, p in model.named_parameters() if ("lora_B" in n or "vera_lambda_b" in n))
    assert changed == ({"head", "bias"} if name == "bitfit" else {"head"})

    traj = tmp_path / "trajectory"
    rec["recorder"].finalize(traj, {"test": True})
    effective = method.effective_weights()
    biases = {n for n in before if n.endswith(".bias") and lm.layer_of(n) is not None}
    adapted = biases if name == "bitfit" else set(effective)
    assert adapted, "something in the layers is adapted"
    for i in lm.layers:
        points, theta0 = load_layer(traj, i)
        start, end = unflatten(traj, i, theta0), unflatten(traj, i, points[-1])
        for n in lm.layers[i]:
            assert torch.equal(start[n], before[n]), "θ0 is the pretrained weight"
            if n in adapted:
                assert not torch.equal(end[n], before[n]), f"{n}: the recorded weight is W0 + the update"
                if n in effective:
                    torch.testing.assert_close(end[n], effective[n], rtol=0, atol=1e-6)
            else:
                assert torch.equal(end[n], before[n]), f"{n} is frozen"
