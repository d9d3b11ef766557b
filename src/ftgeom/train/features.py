"""The head's inputs (pooled backbone features) captured during an evaluation: one forward pass gives both the
predictions and the features (head probing caches them; feature-drift hooks compare them across epochs)."""
from __future__ import annotations

import torch


class FeatureCapture:
    """Context manager that records the input of `head` (a module) on every forward pass; inactive for None."""

    def __init__(self, head: torch.nn.Module | None):
        self.head, self.batches, self._hook = head, [], None

    def __enter__(self):
        if self.head is not None:
            self._hook = self.head.register_forward_hook(
                lambda _m, inputs, _out: self.batches.append(inputs[0].detach().float().cpu()))
        return self

    def __exit__(self, *exc):
        if self._hook is not None:
            self._hook.remove()

    def stacked(self) -> torch.Tensor:
        return torch.cat(self.batches)
