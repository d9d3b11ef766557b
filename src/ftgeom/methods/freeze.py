"""Methods that train a subset of the model's own tensors in place."""
from ftgeom.methods.base import Method


class Full(Method):
    """Full fine-tuning: every tensor trains."""
    name = "full"
    trains = ("embeddings", "encoder", "head")


class FrozenEncoder(Method):
    """Paper A's 'Freeze' baseline: encoder layers frozen; embeddings and the classifier (with pooler) train."""
    name = "frozen"
    trains = ("embeddings", "head")


class HeadOnly(Method):
    """Head probing (paper C's HP stage, linear probing): only the task head trains."""
    name = "head"
    trains = ("head",)
