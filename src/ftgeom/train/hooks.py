"""Hooks: how a paper adds to a training run without the shared loop knowing the paper.

A hook sees the run through a `RunContext` (model, method, data, settings, device, and `validate`) at four moments:
`on_start` (before the first step; also after a resume, where the hook's restored state tells it what is done),
`after_step`, `on_epoch_end` (after the epoch's validation; `features` holds the head's inputs on the validation
split when any hook sets `wants_features`) and `after_run` (after the test evaluation; what it returns is added to
the run's record). Its state goes into the run's checkpoint, so a resumed run ends with the same record.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass
class RunContext:
    model: Any           # what the method trains (the TaskModel, or a wrapper of it)
    method: Any
    data: Any
    cfg: Any             # TrainConfig
    device: Any
    phases: Any          # timing.Phases: where a hook's wall time is added
    validate: Callable   # validate(features: bool) -> scores, or (scores, features) with features=True
    step: int = 0


class Hook:
    name = "hook"            # unique within a run: keys its checkpoint state and names it in the fingerprint
    wants_features = False   # the epoch's validation also captures the head's inputs (one forward, not two)

    def options(self) -> dict:
        """Settings that change what the hook adds (part of the run's resume fingerprint)."""
        return {}

    def on_start(self, run: RunContext) -> None:
        pass

    def after_step(self, run: RunContext, loss: float) -> None:
        pass

    def on_epoch_end(self, run: RunContext, epoch: int, validation: dict, features) -> None:
        pass

    def after_run(self, run: RunContext) -> dict:
        return {}

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class EpochEnd(Hook):
    """A plain callback `fn(epoch, model)` after each epoch's evaluation (head probing keeps its heads this way)."""
    name = "epoch_end"

    def __init__(self, fn: Callable[[int, Any], None]):
        self.fn = fn

    def on_epoch_end(self, run, epoch, validation, features):
        self.fn(epoch, run.model)


def _no_hooks(spec: dict) -> list[Hook]:
    return []


def _no_inputs(spec: dict) -> dict:
    return {}


def _no_head(spec: dict) -> dict | None:
    return None


@dataclass
class Extensions:
    """What the stages above this layer add to a run, decided from its spec: `hooks(spec)` (Hook instances),
    `method_inputs(spec)` (data a method receives besides its options: a subspace basis, positions to hold) and
    `head_state(spec)` (a head to start from instead of the seed's fresh one: a probed head; None for none)."""
    hooks: Callable[[dict], list[Hook]] = _no_hooks
    method_inputs: Callable[[dict], dict] = _no_inputs
    head_state: Callable[[dict], dict | None] = _no_head
