"""Hugging Face text encoders (BERT, RoBERTa, MPNet, ...) as TaskModels."""
from __future__ import annotations

from pathlib import Path

import torch

from ftgeom.models.task_model import TaskModel

# Families whose sequence-classification heads read the pooler (tanh(dense(CLS))); the others read the first
# token's hidden state (transformers' RobertaForSequenceClassification / MPNetForSequenceClassification do so).
POOLER_FAMILIES = ("bert",)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class TextTaskModel(TaskModel):
    family = "text"

    def __init__(self, backbone, head, info):
        self.pooling = "pooler" if getattr(backbone, "pooler", None) is not None else "cls"
        super().__init__(backbone, head, info)

    def features(self, batch: dict) -> torch.Tensor:
        out = self.backbone(**{k: v for k, v in batch.items() if k in INPUTS})
        if self.pooling == "pooler":
            return out.pooler_output
        return out.last_hidden_state[:, 0]


def load_text_backbone(model_dir: Path, info: dict) -> tuple[torch.nn.Module, int, float]:
    """The pretrained encoder in float32 (whatever dtype the checkpoint carries), its width, the head's dropout."""
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(model_dir)
    kwargs = {} if config.model_type in POOLER_FAMILIES else {"add_pooling_layer": False}
    backbone = AutoModel.from_pretrained(model_dir, dtype=torch.float32, **kwargs).float()
    dropout = getattr(config, "classifier_dropout", None)
    dropout = config.hidden_dropout_prob if dropout is None else dropout
    return backbone, config.hidden_size, dropout
