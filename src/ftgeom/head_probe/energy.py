"""The "energy" a head leaves for feature adaptation, measured on the training set at the start of fine-tuning.

The paper's full text is not reachable offline. Its abstract ties energy to the training accuracy and loss at the
start of fine-tuning, and later work describes it as the initial gap between predicted and one-hot probabilities:
our primary measure is the mean ‖e_y − p‖₂ over the training set; loss and accuracy are kept beside it.
"""
from __future__ import annotations

import torch


@torch.no_grad()
def energy(logits: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    logits = logits.double()
    p = logits.softmax(-1)
    onehot = torch.nn.functional.one_hot(labels.long(), p.shape[-1]).double()
    return {"energy": float((onehot - p).norm(dim=1).mean()),
            "loss": float(torch.nn.functional.cross_entropy(logits, labels.long())),
            "accuracy": float((p.argmax(-1) == labels).double().mean())}


@torch.no_grad()
def head_energy(head: torch.nn.Module, features: torch.Tensor, labels) -> dict[str, float]:
    """Energy of `head` on cached training features, in eval mode (no dropout), as fine-tuning starts."""
    was_training = head.training
    head.eval()
    out = energy(head(features.float()), torch.as_tensor(labels))
    head.train(was_training)
    return out
