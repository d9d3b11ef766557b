"""ftgeom: the geometry of fine-tuning, reproduced (intrinsic subspaces, spectral bases, task-head preparation)."""

__version__ = "0.1.0"
