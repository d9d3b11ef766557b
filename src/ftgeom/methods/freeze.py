"""Methods that train a subset of the model's own tensors in place."""
from ftgeom.methods.base import Method


class Full(Method):
    """Full fine-tuning: every tensor trains."""
    name = "full"
    trains = ("embeddings", "encoder", "pooler", "head")


class FrozenEncoder(Method):
    """Paper A's 'Freeze' baseline: encoder layers frozen; embeddings, pooler and the task head train.

    For a vision backbone the same roles apply: the stem trains, the blocks are frozen, conv_head/final norm train."""
    name = "frozen"
    trains = ("embeddings", "pooler", "head")


class HeadOnly(Method):
    """Head probing (paper C's HP stage, linear probing): only the task head trains; the backbone is in eval mode."""
    name = "head"
    trains = ("head",)
