"""A subspace on disk: per encoder layer the trajectory SVD's singular values and left singular vectors (t x r), plus
the trajectories it came from. V itself (D x d per layer, as large as the trajectory) is not stored twice: it is
Vᵀ = Aᵀ(P − 1θ₀ᵀ) + sθ₀ᵀ, formed from the stored U, Σ and the trajectory points in ~0.1 s per MiniLM layer.

Several trajectories (paper A's unified subspace) are stacked as one matrix of all their points; every trajectory
starts from the same pretrained layer θ₀.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch
from safetensors.torch import save_file

from ftgeom.provenance import atomic_path, load_safetensors, read_json, write_json
from ftgeom.intrinsic.gram import GramSVD, basis, gram_svd
from ftgeom.train.trajectory import load_layer


def stacked_points(trajectories: list[str | Path], layer: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(all points of one layer stacked, θ₀): the trajectories must share their start."""
    parts, theta0 = [], None
    for path in trajectories:
        points, start = load_layer(path, layer)
        if theta0 is None:
            theta0 = start
        elif not torch.equal(theta0, start):
            raise ValueError(f"{path}: layer {layer} starts from other weights than {trajectories[0]}")
        parts.append(points)
    return (parts[0] if len(parts) == 1 else torch.cat(parts)), theta0


def layers_of(trajectory: str | Path) -> list[int]:
    return sorted(int(k[5:]) for k in read_json(Path(trajectory) / "trajectory.json")["layers"])


def extract(trajectories: list[str], variant: str, out_dir: Path, provenance: dict) -> dict:
    """SVD of every layer's stacked trajectory; writes svd.safetensors and spectrum.json under out_dir."""
    tensors, spectrum = {}, {}
    for layer in layers_of(trajectories[0]):
        points, theta0 = stacked_points(trajectories, layer)
        svd = gram_svd(points, theta0, variant)
        tensors[f"layer{layer:02d}.sigma"] = svd.sigma
        tensors[f"layer{layer:02d}.u"] = svd.u.contiguous()
        spectrum[layer] = {"sigma": svd.sigma.tolist(), "explained": svd.explained.tolist(), "points": len(points),
                           "numel": int(points.shape[1])}
        print(f"layer {layer}: rank {len(svd.sigma)}, top direction {spectrum[layer]['explained'][0]:.4f} "
              f"of the energy", flush=True)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "svd.safetensors") as tmp:
        save_file(tensors, str(tmp))
    record = {"trajectories": [str(p) for p in trajectories], "variant": variant, "layers": spectrum,
              "provenance": provenance}
    write_json(out_dir / "spectrum.json", record)
    return record


def load_svd(subspace_dir: str | Path) -> tuple[dict, dict[int, GramSVD]]:
    meta = read_json(Path(subspace_dir) / "spectrum.json")
    tensors = load_safetensors(Path(subspace_dir) / "svd.safetensors")
    svds = {int(k): GramSVD(meta["variant"], tensors[f"layer{int(k):02d}.sigma"], tensors[f"layer{int(k):02d}.u"])
            for k in meta["layers"]}
    return meta, svds


@lru_cache(maxsize=1)  # the seeds of one job share their basis: formed once per process
def subspace_basis(subspace_dir: str | Path, d: int, scaled: bool = False) -> dict[int, torch.Tensor]:
    """{layer: Vᵀ (d x D_layer, fp32)} of a stored subspace; `scaled` multiplies row j by σ_j/σ_1 (then Adam's
    per-coordinate steps move the weights along each direction in proportion to the trajectory's own spread).
    The tensors are shared between callers: never modify them in place."""
    meta, svds = load_svd(subspace_dir)
    out = {}
    for layer, svd in svds.items():
        points, theta0 = stacked_points(meta["trajectories"], layer)
        # A trajectory may span fewer than d directions (its last steps, at a learning rate decayed to ~0, barely
        # move): the missing rows are zero, so their coordinates never move, and the layer uses its rank.
        k = min(d, len(svd.sigma))
        if k < d:
            print(f"layer {layer}: the trajectory spans {k} < d = {d} directions; using {k}", flush=True)
        vt = basis(points, theta0, svd, k, out=points)
        if scaled:
            vt = vt * (svd.sigma[:k] / svd.sigma[0]).to(vt.dtype)[:, None]
        vt = vt.clone() if vt.data_ptr() == points.data_ptr() and k < len(points) else vt
        out[layer] = torch.cat([vt, vt.new_zeros(d - k, vt.shape[1])]) if k < d else vt
    return out
