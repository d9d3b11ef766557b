"""Paper B's measures over every weight matrix of a run's encoder layers: W0 (the trajectory's θ0, i.e. the
pretrained weights) against W1 (its last point: the fine-tuned effective weights), and against nulls of the same size.

One call per run reads the trajectory layer by layer, so memory stays at one layer's points. Conv kernels are read as
out-channels x (in-channels * kh * kw). The top `cross_k` left singular vectors of W1 and of ΔW (and of a
same-spectrum null's) are kept for the cross-task overlaps the report computes.
"""
from __future__ import annotations

import math

import zlib
from pathlib import Path

import torch

from ftgeom.errors import OneLineError
from ftgeom.models.layers import MATRIX_KINDS
from ftgeom.provenance import read_json
from ftgeom.spectral.measures import compare, svd
from ftgeom.train.trajectory import load_layer, unflatten


def matrix_kind(name: str, ndim: int) -> str:
    """The layer map's kind for transformer matrices (query, ..., ffn_out); a conv's own module name otherwise
    (EfficientNet: conv_pw, conv_dw, conv_pwl: the expansion, depthwise and projection convolutions)."""
    stem = name[: -len(".weight")]
    for local, kind in MATRIX_KINDS.items():
        if stem.endswith("." + local):
            return kind
    return stem.rsplit(".", 1)[-1] if ndim == 4 else "linear"


def layer_matrices(traj_dir: str | Path) -> list[tuple[int, str, list[str]]]:
    """(layer index, label, names of its weight matrices) of a trajectory, in forward order."""
    layers = read_json(Path(traj_dir) / "trajectory.json")["layers"]
    out = []
    for key, info in layers.items():
        names = [n for n, s in zip(info["names"], info["shapes"]) if len(s) >= 2 and n.endswith(".weight")]
        out.append((int(key[len("layer"):]), info.get("label", key), names))
    return out


def _as_matrix(w: torch.Tensor) -> torch.Tensor:
    return w.reshape(w.shape[0], -1).double()


def _generator(seed: int, *parts) -> torch.Generator:
    """A null draw that depends only on the run and the matrix (not on the order matrices are visited)."""
    return torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32("/".join(map(str, parts)).encode()))


class RankError(ValueError, OneLineError):
    """A configured k that no analysed matrix can have; one line naming the key and the largest rank."""


def check_ks(traj_dir: str | Path, settings: dict) -> None:
    """A k larger than a matrix's rank is skipped for that matrix (small matrices of a convnet); one larger than
    every matrix's rank (or a claim_k / cross_k that no matrix has) is a config mistake."""
    layers = read_json(Path(traj_dir) / "trajectory.json")["layers"].values()
    largest = max((min(s[0], math.prod(s[1:])) for info in layers for n, s in zip(info["names"], info["shapes"])
                   if len(s) >= 2 and n.endswith(".weight")), default=0)
    for key, values in (("ks", settings["ks"]), ("claim_k", [settings["claim_k"]]),
                        ("cross_k", [settings["cross_k"]])):
        too_big = [k for k in values if k > largest]
        if too_big:
            raise RankError(f"spectral.{key}: k = {too_big[0]} exceeds the rank of every weight matrix of "
                            f"{traj_dir} (largest rank {largest}); use k <= {largest}")


def run_measures(traj_dir: str | Path, settings: dict, nulls: bool, keep_subspaces: bool, points: list[int] = (),
                 tag: str = "") -> tuple[list[dict], list[dict], dict[str, torch.Tensor]]:
    """(rows of W0 vs W1, rows of W0 vs the recorded points `points`, {key: top cross_k singular vectors}).

    settings: ks, intruders {k, threshold}, nulls, null_seed, cross_k, claim_k (the points' k)."""
    rows, steps, kept = [], [], {}
    steps_of = read_json(Path(traj_dir) / "trajectory.json").get("steps", [])
    icfg = settings["intruders"]
    check_ks(traj_dir, settings)
    for layer, label, names in layer_matrices(traj_dir):
        trajectory, theta0 = load_layer(traj_dir, layer)
        w0s, w1s = unflatten(traj_dir, layer, theta0), unflatten(traj_dir, layer, trajectory[-1])
        at = {p: unflatten(traj_dir, layer, trajectory[p]) for p in points if p < len(trajectory)}
        for name in names:
            w0, w1 = _as_matrix(w0s[name]), _as_matrix(w1s[name])
            where = {"layer": layer, "label": label, "name": name, "kind": matrix_kind(name, w0s[name].ndim),
                     "m": w0.shape[0], "n": w0.shape[1]}
            base, tuned = svd(w0), {}
            gen = _generator(settings["null_seed"], tag, name)
            for row in compare(w0, w1, settings["ks"], intruder_k=icfg["k"], threshold=icfg["threshold"], base=base,
                               keep=tuned, nulls=tuple(settings["nulls"]) if nulls else (), generator=gen):
                rows.append({**where, **row})
            for p, ws in at.items():
                for row in compare(w0, _as_matrix(ws[name]), [settings["claim_k"]], intruder_k=icfg["k"],
                                   threshold=icfg["threshold"], nulls=(), base=base):
                    steps.append({**where, "point": p, "step": steps_of[p] if p < len(steps_of) else p, **row})
            if keep_subspaces:
                kept.update(_subspaces(w1 - w0, tuned, settings["cross_k"], name))
        del trajectory
    return rows, steps, kept


def _subspaces(dw: torch.Tensor, tuned: dict, k: int, name: str) -> dict:
    """Top-k left singular vectors (float32) of W1 and ΔW, and of the same-spectrum null's W0 + N. The null's own
    update subspace is not kept: its singular vectors are Haar-random, so its overlaps are k/m by construction."""
    out = {f"real/dw/{name}": svd(dw).u}
    for source, key in (("real", "real"), ("null", "null-spectrum")):
        if key in tuned:
            out[f"{source}/w1/{name}"] = tuned[key].u
    return {key: u[:, : min(k, u.shape[1])].float().contiguous() for key, u in out.items()}
