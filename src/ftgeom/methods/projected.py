"""Paper A's subspace fine-tuning: each encoder layer's flat parameters are θ = θ₀ + Vᵀ·z with a fixed d-dimensional
basis per layer, and only the coordinates z train (embeddings, pooler and the head train in place, as in Freeze).

- `intrinsic`: the basis is handed in as data (`bases`: paper A's stage reads it from a trajectory's SVD);
- `random`: an orthonormal random basis of the same dimension, regenerated from a seed (`random_basis`).

The ensemble of paper A's Eq. 4, θ = θ₀ + V·(1/h)Σᵢ zᵢ over h differently initialised copies, is run in one of two
forms: `copies` keeps the h copies; `mean` keeps one z started at the copies' mean (the same draws). Every copy
receives the same gradient (∂L/∂zᵢ = ∂L/∂z̄ / h) and Adam is invariant to a gradient's scale except through its ε, so
the copies all move by the same step and their mean follows exactly the path of one z trained with ε·h
(tests/test_subspace.py: equal to 1.2e-7 after 6 steps; with the same ε the paths part by ~0.5%). Gradient clipping
sees the copies' gradients with norm |∂L/∂z̄|/√h, so with clipping active the two forms differ in how hard the rest
of the model is clipped. `mean` (with ε·h) is the default: h times fewer coordinates, the same path.

The weights are rebuilt in every forward pass (weight_overrides): 2·D·d flops per layer, against the ~3·D·tokens of
the layer's own forward and backward; the gradient of z is Vᵀ times the layer's weight gradient, which autograd
forms from the same weight gradient a full fine-tuning step computes (bench/subspace.py measures the step).
"""
from __future__ import annotations

import math
from functools import lru_cache

import torch

from ftgeom.errors import OneLineError
from ftgeom.methods.base import Method

KINDS = ("intrinsic", "random")
ADAM_EPS = 1e-8  # torch's AdamW default, which the shared loop uses
FORMS = ("mean", "copies")


# One per layer of the run in progress (~57 MB each for MiniLM at d = 8); a fixed basis seed shares them across the
# seeds of a job.
@lru_cache(maxsize=16)
def random_basis(numel: int, d: int, seed: int, layer: int) -> torch.Tensor:
    """An orthonormal random d x D basis (rows), a pure function of (seed, layer): Gaussian, then QR. It lives in
    memory only while runs use it, never on disk."""
    gen = torch.Generator().manual_seed(seed * 1009 + layer)
    gauss = torch.randn(numel, d, generator=gen) / math.sqrt(numel)
    q, r = torch.linalg.qr(gauss)
    return (q * torch.sign(torch.diagonal(r))).T.contiguous()


class BasisMismatch(ValueError, OneLineError):
    """A basis that does not fit the model (another model's trajectory); one line."""


class Subspace(Method):
    name = "subspace"
    trains = ("embeddings", "pooler", "head")

    def __init__(self, kind: str = "intrinsic", d: int = 8, lr: float = 0.1, init_scale: float = 0.0,
                 copies: int = 16, form: str = "mean", subspace: str | None = None, scaled: bool = False,
                 basis_seed: int = 0, seed: int = 0, bases: dict[int, torch.Tensor] | None = None):
        super().__init__()
        if kind not in KINDS or form not in FORMS:
            raise ValueError(f"subspace kind must be one of {KINDS} and form one of {FORMS}, not {kind!r}/{form!r}")
        if kind == "intrinsic" and bases is None:
            raise ValueError("an intrinsic subspace needs its bases (the caller reads them from the subspace folder)")
        self.kind, self.d, self.coord_lr, self.init_scale = kind, int(d), float(lr), float(init_scale)
        self.copies, self.form, self.subspace, self.scaled = int(copies), form, subspace, bool(scaled)
        self.basis_seed, self.seed = int(basis_seed), int(seed)
        self._given = bases  # {layer: d x D} rows; `subspace` only names their source (for the fingerprint)
        self.layers: dict[int, list[str]] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.z = torch.nn.ParameterDict()

    def options(self) -> dict:
        return {"kind": self.kind, "d": self.d, "lr": self.coord_lr, "init_scale": self.init_scale,
                "copies": self.copies, "form": self.form, "subspace": self.subspace, "scaled": self.scaled,
                "basis_seed": self.basis_seed}

    def _bases(self, numel: dict[int, int]) -> dict[int, torch.Tensor]:
        if self._given is not None:
            return self._given
        return {i: random_basis(n, self.d, self.basis_seed, i) for i, n in numel.items()}

    def prepare(self, model: torch.nn.Module) -> torch.nn.Module:
        model = super().prepare(model)
        params = dict(model.named_parameters())
        self.layers = dict(model.layer_map.layers)
        self.shapes = {n: tuple(params[n].shape) for names in self.layers.values() for n in names}
        bases = self._bases({i: sum(params[n].numel() for n in names) for i, names in self.layers.items()})
        # The copies' initial draws come from the run's seed; `mean` starts at their average.
        gen = torch.Generator().manual_seed(self.seed)
        for i, names in self.layers.items():
            theta0 = torch.cat([params[n].detach().reshape(-1).float() for n in names])
            vt = bases[i].float()
            if vt.shape != (self.d, theta0.numel()):
                raise BasisMismatch(f"subspace {self.subspace or '(given)'}: layer {i} has a basis of shape "
                                    f"{tuple(vt.shape)}, but this model's layer needs ({self.d}, {theta0.numel()}): "
                                    "it was made from another model's trajectory; delete it and re-run")
            # Buffers, not state: a checkpoint holds z only; θ₀ and V are rebuilt from their sources on resume.
            self.register_buffer(f"theta0_{i}", theta0, persistent=False)
            self.register_buffer(f"basis_{i}", vt, persistent=False)
            draws = self.init_scale * torch.randn(self.copies, self.d, generator=gen)
            self.z[str(i)] = torch.nn.Parameter(draws if self.form == "copies" else draws.mean(0, keepdim=True))
        return model

    def coordinates(self, layer: int) -> torch.Tensor:
        """z̄ of one layer: the mean of the copies (or the one z of the `mean` form)."""
        return self.z[str(layer)].mean(0)

    def update(self, layer: int) -> torch.Tensor:
        """The layer's learned update Vᵀz̄ (flat, D)."""
        return self.coordinates(layer) @ getattr(self, f"basis_{layer}")

    def weight_overrides(self) -> dict[str, torch.Tensor]:
        return self.overrides_for({i: self.update(i) for i in self.layers})

    def overrides_for(self, updates: dict[int, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The layers' weights θ₀ + update, by parameter name (outlier ablations pass edited updates)."""
        out = {}
        for i, names in self.layers.items():
            flat = getattr(self, f"theta0_{i}") + updates[i]
            sizes = [math.prod(self.shapes[n]) for n in names]
            for n, part in zip(names, torch.split(flat, sizes)):
                out[n] = part.view(self.shapes[n])
        return out

    def describe(self, model: torch.nn.Module) -> dict:
        """Also the learned coordinates z̄ per layer (paper A compares them across tasks in a shared subspace)."""
        coords = {i: self.coordinates(i).detach().cpu().tolist() for i in self.layers}
        return {**super().describe(model), "coordinates": coords}

    def parameter_groups(self, model: torch.nn.Module, lr: float, weight_decay: float) -> list[dict]:
        groups = [g for g in super().parameter_groups(model, lr, weight_decay)]
        own = set(map(id, self.z.parameters()))
        for g in groups:
            g["params"] = [p for p in g["params"] if id(p) not in own]
        eps = ADAM_EPS * (self.copies if self.form == "mean" else 1)  # see the module doc: the ensemble's path
        return [g for g in groups if g["params"]] + [{"params": list(self.z.parameters()), "weight_decay": 0.0,
                                                      "lr": self.coord_lr, "eps": eps}]


class Intrinsic(Subspace):
    name = "intrinsic"
    seeded = True

    def __init__(self, **options):
        super().__init__(kind="intrinsic", **options)


class RandomSubspace(Subspace):
    name = "random"
    seeded = True

    def __init__(self, **options):
        super().__init__(kind="random", **options)
