"""PEFT baselines beside paper B's spectral method: LoRA and VeRA (through peft) and BitFit.

What every PEFT method here shares (spectral included): the pretrained backbone is frozen and, as every frozen part,
runs in eval mode (trainable roles ('head',): see TaskModel.train), so no method gets backbone dropout and the methods
differ only in their parameterisation; the task head trains, at the same lr as the method's tensors.

peft wraps the adapted nn.Linear modules of the TaskModel in place (no PeftModel around it), so the loop, checkpoints
(`model.state_dict()` holds the adapters), the layer map and `effective_parameters` keep working on the TaskModel.
The names peft adds (`<module>.base_layer.weight`, `<module>.lora_A.default.weight`, ...) take the role of the module
they adapt (LayerMap.role); adapter tensors are told apart by peft's own prefix (`lora_`, `vera_lambda_`), the rule
peft uses to mark them trainable. Adapters start at ΔW = 0 (LoRA: B = 0; VeRA: λ_b = 0): the pretrained model.
"""
from __future__ import annotations

import weakref

import torch

from ftgeom.methods.base import Method, budget, linear_targets


class _PeftAdapter(Method):
    """A peft tuner injected into the TaskModel's nn.Linear matrices of the given kinds (default: every kind)."""
    trains = ("head",)
    seeded = True   # adapter initialisations are drawn from the run's seed
    prefix = ""     # peft's name prefix of the adapter's trainable tensors

    def __init__(self, seed: int = 0, kinds: list[str] | tuple[str, ...] | None = None):
        super().__init__()
        self.seed = int(seed)
        self.kinds = tuple(kinds) if kinds is not None else None
        self.targets: list[str] = []  # plain weight names of the adapted matrices
        self._model = None            # weak reference to the prepared model (not a submodule of the method)

    def _kinds_option(self) -> list[str] | None:
        return sorted(self.kinds) if self.kinds is not None else None

    def _inject(self, model: torch.nn.Module, modules: list[str]) -> None:
        raise NotImplementedError

    def prepare(self, model: torch.nn.Module) -> torch.nn.Module:
        """Inject the adapters (once: a second call finds them and only resets what trains), freeze the rest."""
        targets = [m.name for m in linear_targets(model, self.kinds)]
        if not any(self.prefix in name for name, _ in model.named_parameters()):
            # a private RNG stream: the run's seed decides the adapters, and the global stream (dropout, batches)
            # is the same as for any other method
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed)
                self._inject(model, [n.removesuffix(".weight") for n in targets])
        model.set_trainable_roles(self.trains)  # the head; adapter tensors take their module's (frozen) role ...
        for name, p in model.named_parameters():
            if self.prefix in name:             # ... so re-enable them, by peft's own rule
                p.requires_grad_(True)
        self.targets, self._model = targets, weakref.ref(model)
        return model

    def effective_weights(self) -> dict[str, torch.Tensor]:
        """W₀ + the adapter's ΔW of every adapted matrix, by plain parameter name (peft's own delta, float32)."""
        from ftgeom.models.weights import effective_parameters

        return effective_parameters(self._model(), names=self.targets) if self._model is not None else {}

    def describe(self, model: torch.nn.Module) -> dict:
        return {**super().describe(model), **budget(model), "adapted_matrices": len(self.targets)}


class LoRA(_PeftAdapter):
    """LoRA: ΔW = (α/r)·B·A per adapted matrix, A (r × n) kaiming-uniform from the seed, B (m × r) zero.

    `alpha` defaults to 2·r: the scale α/r stays 2 at every rank (a common LoRA recipe), so comparing ranks does not
    also change the update's scale, and the lr found for one rank carries over. `dropout` applies to the adapter's
    input only; it follows the model's train/eval mode although the adapted (frozen) module runs in eval mode."""
    name = "lora"
    prefix = "lora_"

    def __init__(self, r: int = 1, alpha: float | None = None, dropout: float = 0.0, **common):
        super().__init__(**common)
        self.r = int(r)
        self.alpha = float(alpha) if alpha is not None else 2.0 * self.r
        self.dropout = float(dropout)
        self._mode_hook = None

    def options(self) -> dict:
        return {"r": self.r, "alpha": self.alpha, "dropout": self.dropout, "kinds": self._kinds_option()}

    def _inject(self, model, modules):
        from peft import LoraConfig, inject_adapter_in_model

        config = LoraConfig(r=self.r, lora_alpha=self.alpha, lora_dropout=self.dropout, target_modules=modules,
                            bias="none")
        inject_adapter_in_model(config, model)

    def prepare(self, model):
        model = super().prepare(model)
        if self._mode_hook is not None:  # prepared before: one hook, on the model prepared last
            self._mode_hook.remove()
            self._mode_hook = None
        if self.dropout > 0:
            # TaskModel.train puts the adapted modules (frozen encoder) in eval mode, adapter dropout included:
            # make the adapters' dropout follow the model's own mode at each forward instead.
            from peft.tuners.lora import LoraLayer
            drops = [m.lora_dropout["default"] for m in model.modules() if isinstance(m, LoraLayer)]

            def follow(module, args):
                for d in drops:
                    d.train(module.training)
            self._mode_hook = model.register_forward_pre_hook(follow)
        return model

    def describe(self, model):
        return {**super().describe(model), "r": self.r, "alpha": self.alpha}


class VeRA(_PeftAdapter):
    """VeRA: ΔW = diag(λ_b)·B·diag(λ_d)·A, with A (r × n) and B (m × r) random, frozen and shared by every matrix
    (slices of one pair drawn from `projection_prng_key` = the run's seed); λ_d starts at `d_initial`, λ_b at 0."""
    name = "vera"
    prefix = "vera_lambda_"

    def __init__(self, r: int = 256, d_initial: float = 0.1, **common):
        super().__init__(**common)
        self.r, self.d_initial = int(r), float(d_initial)

    def options(self) -> dict:
        return {"r": self.r, "d_initial": self.d_initial, "kinds": self._kinds_option()}

    def _inject(self, model, modules):
        from peft import VeraConfig
        from peft.tuners.vera import VeraModel

        config = VeraConfig(r=self.r, target_modules=modules, projection_prng_key=self.seed, d_initial=self.d_initial,
                            save_projection=True)
        # peft's inject_adapter_in_model refuses VeRA because the shared A/B live on the tuner object; every VeRA
        # layer also holds them (as its `vera_A`/`vera_B` submodules), so the TaskModel keeps, moves and saves them
        # without the tuner. This is what inject_adapter_in_model itself does, minus that refusal.
        VeraModel(model, config, adapter_name="default")

    def describe(self, model):
        return {**super().describe(model), "r": self.r}


class BitFit(Method):
    """BitFit: every bias of the backbone (attention, feed-forward, LayerNorm, pooler) and the task head train."""
    name = "bitfit"
    trains = ("head",)

    def prepare(self, model: torch.nn.Module) -> torch.nn.Module:
        model = super().prepare(model)
        for name, p in model.named_parameters():
            if name.endswith(".bias") and model.layer_map.role(name) != "head":
                p.requires_grad_(True)
        return model

    def describe(self, model: torch.nn.Module) -> dict:
        return {**super().describe(model), **budget(model)}
