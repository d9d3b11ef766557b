"""Paper B's spectral fine-tuning: the singular vectors of each adapted pretrained matrix stay frozen, only spectral
coefficients train.

For an adapted matrix W₀ = U·S·Vᵀ (nn.Linear's weight, out m × in n, rank r = min(m, n)) the trained weight is
    W = W₀ + U_k·ΔS·V_kᵀ = (W₀ − U_k·S_k·V_kᵀ) + U_k·(S_k + ΔS)·V_kᵀ,
so the residual W₀ − U_k·S_k·V_kᵀ is frozen and ΔS starts at exactly 0 (the pretrained model). Variants:
- `diag-topk`: ΔS = diag(Δσ) on the k leading singular directions (k coefficients per matrix);
- `diag-all`: ΔS = diag(Δσ) on all r directions (r per matrix; `k` is ignored);
- `block`: ΔS = M, a dense k × k matrix on the k leading directions (k² per matrix), which also mixes them.

The weight is never rebuilt. A forward hook on each adapted nn.Linear adds the rank-k path to the frozen output:
nn.Linear computes x·W₀ᵀ + b, and x·ΔWᵀ = x·V_k·ΔSᵀ·U_kᵀ, i.e. ((x·V_k) ⊙ Δσ)·U_kᵀ or (x·V_k)·Mᵀ·U_kᵀ. A step costs
the frozen forward, the input gradients of the frozen matrices (no weight gradients) and 2·k·(m + n) flops per token
and matrix for the path, against a full-weight rebuild (weight_overrides) of 2·k·m·n per matrix and step plus the
frozen weights' gradients. Under bf16 autocast the path's matmuls run in bf16 like the layer's own; the coefficients
stay float32 (autocast casts them for the matmul, their gradients arrive in float32).

The factors are computed in float64 from W₀ in `prepare` and kept as float32 non-persistent buffers: a checkpoint
holds the coefficients only, and a resumed run recomputes the same factors (each singular pair's sign is fixed so
that the largest-magnitude entry of u is positive, whatever the LAPACK build returns).

The default k = 36 adapts all 36 matrices of MiniLM (6 layers × query, key, value, attention output, ffn in/out) with
36 · 36² = 46,656 block coefficients: 0.205 % of its 22,713,216 backbone parameters (k = 35: 0.194 %). The
diagonal variants cannot reach that budget on MiniLM: diag-all has 36 · 384 = 13,824 coefficients (0.061 %).
"""
from __future__ import annotations

import torch

from ftgeom.errors import OneLineError
from ftgeom.methods.base import Method, budget, linear_targets

VARIANTS = ("diag-topk", "diag-all", "block")


class RankError(ValueError, OneLineError):
    """A k larger than an adapted matrix's rank; one line naming the matrix."""


def spectral_factors(weight: torch.Tensor, rank: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(U_k m × k, σ_k, V_k n × k) of the leading `rank` singular triplets, computed in float64, returned float32."""
    u, s, vh = torch.linalg.svd(weight.detach().to("cpu", torch.float64), full_matrices=False)
    u, s, v = u[:, :rank], s[:rank], vh[:rank].T
    # A singular pair (u_i, v_i) is defined up to a joint sign: fix it, so that a block's coefficients mean the same
    # thing on every machine (a diagonal coefficient is sign-invariant; an off-diagonal one is not).
    pivot = u.abs().argmax(0)
    sign = torch.sign(u[pivot, torch.arange(rank)])
    sign[sign == 0] = 1.0
    return (u * sign).float(), s.float(), (v * sign).float()


class Spectral(Method):
    name = "spectral"
    trains = ("head",)  # the backbone is frozen (and runs in eval mode); the coefficients are the method's own

    def __init__(self, variant: str = "block", k: int = 36, kinds: list[str] | tuple[str, ...] | None = None):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"spectral variant must be one of {VARIANTS}, not {variant!r}")
        if variant != "diag-all" and int(k) < 1:
            raise ValueError(f"spectral k must be >= 1, not {k}")
        self.variant, self.k = variant, int(k)
        self.kinds = tuple(kinds) if kinds is not None else None  # None: every nn.Linear matrix kind of the map
        self.coefficients = torch.nn.ParameterDict()  # ΔS per adapted matrix, keyed by its index in `targets`
        self.targets: list[str] = []                  # plain weight names of the adapted matrices
        self._linears: list[torch.nn.Linear] = []     # their modules (a plain list: not submodules of the method)
        self._handles: list[torch.utils.hooks.RemovableHandle] = []

    def options(self) -> dict:
        return {"variant": self.variant, "k": None if self.variant == "diag-all" else self.k,
                "kinds": sorted(self.kinds) if self.kinds is not None else None}

    def prepare(self, model: torch.nn.Module) -> torch.nn.Module:
        """Freeze the backbone, factor the adapted matrices and hook the rank-k paths onto their modules.

        Idempotent: a second call replaces the hooks (never adds a second path), recomputes the same factors and
        keeps the coefficients when the adapted matrices are the same (an optimiser built on them stays valid)."""
        model = super().prepare(model)
        self.remove_hooks()
        targets = linear_targets(model, self.kinds)
        modules = dict(model.named_modules())
        linears = [modules[m.name.removesuffix(".weight")] for m in targets]
        ranks = [min(m.shape) if self.variant == "diag-all" else self.k for m in targets]
        too_big = [m for m, k in zip(targets, ranks) if k > min(m.shape)]
        if too_big:
            raise RankError(f"spectral k = {self.k} exceeds the rank of {too_big[0].name} {tuple(too_big[0].shape)} "
                            f"(rank {min(too_big[0].shape)}): use k <= {min(min(m.shape) for m in targets)} (the "
                            "smallest adapted matrix), or variant diag-all")
        shapes = [(k,) if self.variant.startswith("diag") else (k, k) for k in ranks]
        keep = [m.name for m in targets] == self.targets and \
            [tuple(self.coefficients[str(j)].shape) for j in range(len(targets))] == shapes
        for name in list(self._buffers):  # factors of an earlier prepare (maybe of another model)
            del self._buffers[name]
        for j, (module, k) in enumerate(zip(linears, ranks)):
            u, s, v = spectral_factors(module.weight, k)
            device = module.weight.device
            self.register_buffer(f"ut_{j}", u.T.contiguous().to(device), persistent=False)  # k × m: h·U_kᵀ
            self.register_buffer(f"v_{j}", v.contiguous().to(device), persistent=False)     # n × k: x·V_k
            self.register_buffer(f"sigma_{j}", s.to(device), persistent=False)
        if not keep:
            self.coefficients = torch.nn.ParameterDict(
                {str(j): torch.nn.Parameter(torch.zeros(shape, device=module.weight.device))
                 for j, (shape, module) in enumerate(zip(shapes, linears))})
        self.targets, self._linears = [m.name for m in targets], linears
        self._handles = [module.register_forward_hook(self._path(j)) for j, module in enumerate(linears)]
        return model

    def _path(self, j: int):
        """The hook of matrix j: output + x·ΔWᵀ; tensors are looked up per call, so `method.to(device)` is followed."""
        def add_path(module, args, out):
            h = args[0] @ getattr(self, f"v_{j}")
            delta = self.coefficients[str(j)]
            h = h * delta if delta.ndim == 1 else h @ delta.T
            return out + (h @ getattr(self, f"ut_{j}")).to(out.dtype)
        return add_path

    def remove_hooks(self) -> None:
        """Take the rank-k paths off the model (it computes the pretrained function again); `prepare` puts them back."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def factors(self, j: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(U_k, σ_k, V_k) of the adapted matrix `targets[j]`."""
        return getattr(self, f"ut_{j}").T, getattr(self, f"sigma_{j}"), getattr(self, f"v_{j}")

    def update(self, j: int) -> torch.Tensor:
        """ΔW = U_k·ΔS·V_kᵀ (m × n, float32) of the adapted matrix `targets[j]`."""
        u, _, v = self.factors(j)
        delta = self.coefficients[str(j)]
        return (u * delta if delta.ndim == 1 else u @ delta) @ v.T

    def weight_overrides(self) -> dict[str, torch.Tensor]:
        return {}  # the hooks add the path: the loop must not rebuild weights

    def effective_weights(self) -> dict[str, torch.Tensor]:
        """W₀ + U_k·ΔS·V_kᵀ of every adapted matrix, by plain parameter name (float32)."""
        return {name: module.weight.float() + self.update(j)
                for j, (name, module) in enumerate(zip(self.targets, self._linears))}

    def describe(self, model: torch.nn.Module) -> dict:
        own = sum(p.numel() for p in self.coefficients.values())
        return {**super().describe(model), **budget(model, own), "variant": self.variant,
                "k": None if self.variant == "diag-all" else self.k, "adapted_matrices": len(self.targets)}
