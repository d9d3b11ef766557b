"""The model interface: layer map on six architectures, effective weights, float32 weights and outputs."""
from __future__ import annotations

import pytest
import torch

from ftgeom.models import Head
from ftgeom.models.text import TextTaskModel
from ftgeom.models.vision import VisionTaskModel
from ftgeom.models.weights import effective_parameters

TEXT_KINDS = {"query", "key", "value", "attention_output", "ffn_in", "ffn_out"}


def _text(model_type: str, layers: int = 3) -> TextTaskModel:
    from transformers import AutoConfig, AutoModel

    cfg = AutoConfig.for_model(model_type, vocab_size=120, hidden_size=32, num_hidden_layers=layers,
                               num_attention_heads=2, intermediate_size=48, max_position_embeddings=64)
    kwargs = {} if model_type == "bert" else {"add_pooling_layer": False}
    return TextTaskModel(AutoModel.from_config(cfg, **kwargs), Head(32, 3), {"family": "text"})


def _timm(name: str, **kwargs) -> VisionTaskModel:
    import timm

    backbone = timm.create_model(name, pretrained=False, num_classes=0, **kwargs)
    return VisionTaskModel(backbone, Head(backbone.num_features, 4), {"family": "vision"})


@pytest.mark.parametrize("model_type", ["bert", "roberta", "mpnet"])
def test_layer_map_of_text_encoders(model_type):
    model = _text(model_type)
    lm = model.layer_map
    assert list(lm.layers) == [0, 1, 2]
    for i, names in lm.layers.items():
        assert all(n.startswith(f"backbone.encoder.layer.{i}.") for n in names)
        kinds = [m.kind for m in lm.matrices(i)]
        assert sorted(kinds) == sorted(TEXT_KINDS), kinds
    assert all(n.startswith("backbone.embeddings.") or "relative_attention_bias" in n for n in lm.names("embeddings"))
    assert lm.names("head") == ["head.out.weight", "head.out.bias"]
    assert (lm.names("pooler") != []) == (model_type == "bert"), "only BERT's head reads the pooler"
    if model_type == "mpnet":
        assert "backbone.encoder.relative_attention_bias.weight" in lm.names("embeddings")
    assert model.pooling == ("pooler" if model_type == "bert" else "cls")


def test_layer_map_of_vit():
    model = _timm("test_vit")
    lm = model.layer_map
    depth = len(model.backbone.blocks)
    assert list(lm.layers) == list(range(depth))
    assert sorted(m.kind for m in lm.matrices(0)) == sorted(["qkv", "attention_output", "ffn_in", "ffn_out"])
    assert {"backbone.cls_token", "backbone.pos_embed", "backbone.patch_embed.proj.weight"} <= set(lm.names("embeddings"))
    assert set(lm.names("pooler")) == {"backbone.norm.weight", "backbone.norm.bias"}


@pytest.mark.parametrize("name,blocks", [("tf_efficientnet_lite0", 16), ("test_efficientnet", None),
                                         ("resnet50", 16), ("test_resnet", None)])
def test_layer_map_of_convnets_numbers_nested_blocks_without_collisions(name, blocks):
    model = _timm(name)
    lm = model.layer_map
    stages = model.backbone.blocks if hasattr(model.backbone, "blocks") else \
        [getattr(model.backbone, f"layer{s}") for s in range(1, 5)]
    expected = sum(len(stage) for stage in stages)
    assert len(lm.layers) == expected and (blocks is None or expected == blocks)
    every = [n for names in lm.layers.values() for n in names]
    assert len(every) == len(set(every)), "a parameter belongs to one layer only"
    assert set(every) == set(lm.names("encoder"))
    assert lm.labels[len(lm.layers) - 1].startswith("stage")
    assert {m.kind for m in lm.matrices()} <= {"conv", "linear"} and lm.matrices()
    stem = {"tf_efficientnet_lite0": "backbone.conv_stem.weight", "resnet50": "backbone.conv1.weight"}
    if name in stem:
        assert stem[name] in lm.names("embeddings")
    if name == "tf_efficientnet_lite0":
        assert set(lm.names("pooler")) == {"backbone.conv_head.weight", "backbone.bn2.weight", "backbone.bn2.bias"}
        assert lm.labels[1] == "stage 1 block 0" and lm.prefixes[1] == "backbone.blocks.1.0."
    # module roles agree with parameter roles (frozen parts are put in eval mode by module)
    for module_name, module in model.named_modules():
        for p_name, _ in module.named_parameters(recurse=False):
            assert lm.role(module_name) == lm.role(f"{module_name}.{p_name}")


def test_effective_weights_equal_the_plain_model_when_a_method_changes_nothing():
    model = _text("bert")
    plain = {n: p.detach() for n, p in model.named_parameters()}
    eff = effective_parameters(model)
    assert eff.keys() == plain.keys() and all(torch.equal(eff[n], plain[n]) for n in plain)
    name = model.layer_map.matrices(1)[0].name
    override = {name: torch.ones_like(plain[name])}
    eff = effective_parameters(model, override, [name])
    assert torch.equal(eff[name], override[name]), "a weight override is what the forward pass uses"


def test_effective_weights_of_a_peft_wrapped_model_are_the_merged_weights():
    from peft import LoraConfig, get_peft_model

    model = _text("bert")
    plain_names = [n for n, _ in model.named_parameters()]
    wrapped = get_peft_model(model, LoraConfig(r=2, lora_alpha=4, target_modules=["query", "value"]))
    unchanged = effective_parameters(wrapped)
    assert list(unchanged) == plain_names, "plain names, no adapter tensors"
    with torch.no_grad():
        for n, p in wrapped.named_parameters():
            if "lora_B" in n:
                p.normal_()
    eff = effective_parameters(wrapped)
    merged = dict(wrapped.merge_and_unload().named_parameters())
    q = "backbone.encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(eff[q], unchanged[q])
    for n in plain_names:
        torch.testing.assert_close(eff[n], merged[n].detach(), rtol=0, atol=1e-6)


def test_half_precision_checkpoints_load_as_float32(tmp_path):
    from transformers import BertConfig, BertModel

    from ftgeom.models import load_task_model

    cfg = BertConfig(vocab_size=100, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    BertModel(cfg).to(torch.float16).save_pretrained(tmp_path)
    (tmp_path / "ftgeom_model.json").write_text('{"family": "text", "provenance": {}}')
    model = load_task_model(tmp_path, {"num_labels": 2}, seed=0)
    assert {p.dtype for p in model.parameters()} == {torch.float32}


def test_bf16_backbone_float32_head_and_overrides_outside_autocast():
    model = _text("bert").eval()  # no dropout: outputs are comparable
    model.precision = "bf16"
    batch = {"input_ids": torch.randint(0, 120, (4, 9)), "attention_mask": torch.ones(4, 9, dtype=torch.long)}
    out = model(batch)
    assert out.dtype == torch.float32
    with torch.autocast("cpu", dtype=torch.bfloat16):
        z = model.features(batch)
    torch.testing.assert_close(out, model.head(z.float()), rtol=0, atol=0)  # bf16 backbone, float32 head
    with torch.no_grad():
        assert not torch.equal(out, out.to(torch.bfloat16).float()), "logits are not bf16-quantised"

    from ftgeom.methods.base import Method
    from ftgeom.train.loop import logits_of

    seen = {}

    class Probe(Method):
        def weight_overrides(self):
            seen["autocast"] = torch.is_autocast_enabled("cpu")
            w = model.head.out.weight * 2
            seen["dtype"] = w.dtype
            return {"head.out.weight": w}

    doubled = logits_of(model, Probe(), batch)
    assert seen == {"autocast": False, "dtype": torch.float32}
    assert z.dtype == torch.bfloat16 and doubled.dtype == torch.float32


def test_frozen_parts_run_in_eval_mode_down_to_containers():
    """BERT's self-attention module applies attention dropout itself: a frozen encoder must not, or a frozen
    backbone's features (and head probing through it) would be noisy."""
    model = _text("bert")
    model.set_trainable_roles(("head",))
    model.train()
    assert not any(m.training for n, m in model.named_modules() if n.startswith("backbone"))
    assert model.head.training and model.head.dropout.training
    model.set_trainable_roles(("embeddings", "pooler", "head"))   # paper A's Freeze
    model.train()
    lm = model.layer_map
    for name, module in model.named_modules():
        if name.startswith(lm.prefixes[0].rstrip(".")) or name == "backbone.encoder":
            assert not module.training, name
    assert model.backbone.embeddings.dropout.training and model.backbone.pooler.training
    x = {"input_ids": torch.randint(0, 120, (2, 7))}
    z = model.backbone.encoder.layer[0](model.backbone.embeddings.word_embeddings(x["input_ids"]))[0]
    z2 = model.backbone.encoder.layer[0](model.backbone.embeddings.word_embeddings(x["input_ids"]))[0]
    assert torch.equal(z, z2), "a frozen layer is deterministic in train mode"
