"""Rule head_probe_features: the frozen backbone's features of every split of one (model, task), computed once.

python -m ftgeom.head_probe.stages.features --data DIR --model DIR --out DIR [--image-size N] [--threads N]
"""
from __future__ import annotations

from pathlib import Path

from ftgeom import runtime
from ftgeom.runtime import job_parser, run_stage


def main(argv=None) -> None:
    ap = job_parser(__doc__)
    ap.add_argument("--data", required=True, type=Path, help="encoded text task, or prepared image task")
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--image-size", type=int)
    ap.add_argument("--eval-batch-size", type=int, default=64, help="the batch of the features' forward pass: at bf16 "
                    "it changes them in the last digits, as in the fine-tuning runs' evaluation")
    args = ap.parse_args(argv)
    runtime.setup(args.threads, 0)
    from ftgeom.head_probe.features import compute_features, save_features
    from ftgeom.models import model_info
    from ftgeom.provenance import stamp
    from ftgeom.train.data import load_task

    data = load_task(args.data, model_info(args.model), args.image_size)
    if data.kind == "regression":
        raise ValueError(f"{data.info['task']}: head probing needs a classification task (energy is a probability gap)")
    features, dropout = compute_features(args.model, data, args.eval_batch_size)
    save_features(args.out, features, data, dropout,
                  stamp({"image_size": args.image_size, "eval_batch_size": args.eval_batch_size}))
    print(f"{data.info['task']}: features " + ", ".join(f"{k} {tuple(v.shape)}" for k, v in features.items()))


if __name__ == "__main__":
    run_stage(main)
