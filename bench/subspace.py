"""Benchmark `subspace` (paper A): the Gram trick against a dense SVD, and the cost of a subspace step.

    python bench/subspace.py

1. SVD of a t x D trajectory (t = 32): a MiniLM layer (D = 1.77 M; the default run's real trajectory when it
   exists) and a BERT-base-sized layer (D = 7.09 M, synthetic: θ₀ plus small moves). Each method runs in its own
   process after the trajectory is loaded: seconds, and peak resident memory above the loaded trajectory as a
   multiple of the trajectory's size. Methods: LAPACK's dense SVD (torch.linalg.svd, full_matrices=False), and
   the library's Gram trick (ftgeom.intrinsic.gram) with every right singular vector formed over the points (and,
   separately, the time to Σ and U alone: what the intrinsic_subspace stage computes; runs form V for their d
   only). These time the SVD alone, not a training step.
2. One training step (MiniLM, batch 32 x 64 tokens, 1 thread, our precision) side by side in one process: full
   fine-tuning and the random-subspace method (weights rebuilt in the forward pass, d = 8 and 32), each the loop's
   own train_step (gradient clipping at 1.0, AdamW, lr 1e-3); and the same subspace step by another route,
   projecting gradients (the layer tensors take gradients as in full fine-tuning, then g_z = V·g, the loop's
   clipping and AdamW on the same parameters, θ = θ₀ + Vᵀz written back).
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

from common import DATA, MODEL, REPO, RESULTS, LoopStep, env, need, report

TRAJECTORY = RESULTS / "trajectories" / "minilm" / "movie-polarity" / "full" / "seed0"
SIZES = {"minilm_layer": 1_774_464, "bert_base_layer": 7_087_872}


def _points(name: str):
    import torch

    if name == "minilm_layer" and (TRAJECTORY / "layer02.safetensors").exists():
        from ftgeom.train.trajectory import load_layer
        points, theta0 = load_layer(TRAJECTORY, 2)
        return points.clone(), theta0.clone(), "real"  # read every page now, not lazily while timed
    dim = SIZES[name]
    theta0 = torch.randn(dim, generator=torch.Generator().manual_seed(0))
    moves = torch.randn(32, dim, generator=torch.Generator().manual_seed(1)).cumsum(0) * 1e-3
    return theta0 + moves, theta0, "synthetic"


def one(name: str, method: str) -> dict:
    """In a fresh process: load, then time one method (an SVD alone, no training step); memory is the peak RSS above
    the loaded state."""
    import torch

    torch.set_num_threads(1)
    points, theta0, source = _points(name)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    split = {}
    if method == "dense":
        torch.linalg.svd(points, full_matrices=False)
    else:
        from ftgeom.intrinsic.gram import basis, gram_svd
        svd = gram_svd(points, theta0, "raw")
        split["sigma_u_seconds"] = round(time.perf_counter() - t0, 3)
        basis(points, theta0, svd, len(svd.sigma), out=points)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    size = points.numel() * 4
    return {"seconds": round(seconds, 3), **split,
            "extra_memory_x_trajectory": round(max(0, peak - base) / size, 3),
            "trajectory_mb": round(size / 2**20), "source": source}


def svd_comparison() -> dict:
    out = {}
    for name in SIZES:
        found = {}
        for method in ("dense", "gram"):
            proc = subprocess.run([sys.executable, __file__, "--one", name, method], env=env(), cwd=REPO,
                                  capture_output=True, text=True)
            if proc.returncode:
                sys.exit(f"bench: subspace {name} {method} failed:\n{proc.stderr[-3000:]}")
            found[method] = json.loads(proc.stdout.strip().splitlines()[-1])
        # the dense SVD gives U, Σ and every right singular vector; so does the Gram trick with its basis
        found["gram_speedup"] = round(found["dense"]["seconds"] / found["gram"]["seconds"], 1)
        found["gram_speedup_sigma_u"] = round(found["dense"]["seconds"] / found["gram"]["sigma_u_seconds"], 1)
        out[name] = found
    return out


def step_comparison(repeats: int = 6) -> dict:
    import torch

    from ftgeom import runtime
    from ftgeom.methods import make_method
    from ftgeom.models import load_task_model, model_info
    from ftgeom.train.data import collate, load_task
    from ftgeom.train.loop import logits_of, loss_of, resolve_precision

    runtime.setup(1, 0)
    data = load_task(DATA / "movie-polarity", model_info(MODEL))
    batch = collate(data.train, list(range(32)), data.pad_id, data.kind, torch.device("cpu"))

    def model():
        m = load_task_model(MODEL, data.info, seed=0)
        m.precision = resolve_precision("auto", torch.device("cpu"))
        return m

    def timed_steps(step) -> float:
        step(batch)  # warm-up
        t0 = time.perf_counter()
        for _ in range(repeats):
            step(batch)
        return (time.perf_counter() - t0) / repeats

    def loop_step(method):
        """The loop's own train_step (clipping at 1.0) for this method."""
        return LoopStep(method.prepare(model()), method, data.kind, lr=1e-3)

    def projected_step(d: int):
        """The random subspace's step by another route (not train_step): the layer tensors hold θ₀ + Vᵀz and take
        gradients as in full fine-tuning, g_z = V·g, then the loop's clipping, AdamW and schedule over the same
        parameters and groups as `loop_step` (LoopStep's), and θ₀ + Vᵀz written back."""
        method = make_method("random", seed=0, d=d)  # its z, bases (random_basis) and optimiser groups
        m = method.prepare(model())
        loop = LoopStep(m, method, data.kind, lr=1e-3)  # built while the layers are frozen: z, not them, in it
        layers = m.layer_map.layers
        params = dict(m.named_parameters())
        for names in layers.values():
            for n in names:
                params[n].requires_grad_(True)
        plain = make_method("full")  # for logits_of: no weight overrides, the forward of full fine-tuning

        def step(batch):
            loss = loss_of(logits_of(m, plain, batch), batch["labels"], data.kind)
            loss.backward()
            with torch.no_grad():
                for i, names in layers.items():
                    z = method.z[str(i)]
                    g_z = getattr(method, f"basis_{i}") @ torch.cat([params[n].grad.reshape(-1) for n in names])
                    z.grad = (g_z / len(z)).expand_as(z).contiguous()  # ∂L/∂zᵢ of each copy (one in form mean)
                    for n in names:
                        params[n].grad = None
            # the tail of train_step, on the same optimiser
            torch.nn.utils.clip_grad_norm_(loop.params, loop.max_grad_norm)
            loop.optimizer.step()
            loop.scheduler.step()
            loop.optimizer.zero_grad(set_to_none=True)
            with torch.no_grad():
                for n, w in method.weight_overrides().items():
                    params[n].copy_(w)
            return loss
        return step

    times = {"full": timed_steps(loop_step(make_method("full")))}
    for d in (8, 32):
        times[f"rebuild_d{d}"] = timed_steps(loop_step(make_method("random", seed=0, d=d)))
        times[f"project_d{d}"] = timed_steps(projected_step(d))
    return {"seconds_per_step": {k: round(v, 3) for k, v in times.items()},
            "ratio_to_full": {k: round(v / times["full"], 3) for k, v in times.items() if k != "full"}}


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2], sys.argv[3])))
        return
    need(DATA / "movie-polarity", MODEL)
    report("subspace", {"svd": svd_comparison(), "step": step_comparison()})


if __name__ == "__main__":
    main()
