"""Rule spectral_pretrain: pretrain a vision model (source `pretrain`) from its init model on a prepared image task and
save it as a model folder, like prepare_model does for the other sources.

python -m ftgeom.spectral.stages.pretrain --spec JSON --init DIR --data DIR --out DIR [--threads N]
--spec: the model's config entry (init, task, examples, steps, ...; see ftgeom.spectral.pretrain); --init: the init
model's folder; --data: the pretraining task's prepared folder.
"""
from __future__ import annotations

import json

from ftgeom import runtime
from ftgeom.runtime import job_parser, run_stage


def main(argv=None) -> None:
    ap = job_parser(__doc__)
    ap.add_argument("--spec", required=True, help="the model's config entry, as JSON")
    ap.add_argument("--init", required=True, help="the folder of the model pretraining starts from")
    ap.add_argument("--data", required=True, help="the pretraining task's prepared folder")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    runtime.setup(args.threads)
    from ftgeom.spectral.pretrain import pretrain_model, pretrain_settings
    from ftgeom.provenance import stamp

    spec = json.loads(args.spec)
    info = pretrain_model(spec, args.init, args.data, args.out, stamp(spec, pretrain_settings(spec)["seed"]))
    rec = info["pretraining"]
    # run_stage ends the log with the job's CPU line after this summary
    print(f"pretrained {info['timm_name']} from {rec['init']} on {rec['task']}: {rec['examples']} images x "
          f"{rec['epochs']} epochs = {rec['steps']} steps, validation accuracy {rec['validation_accuracy']:.4f}, "
          f"test accuracy {rec['test_accuracy']:.4f} -> {args.out}", flush=True)


if __name__ == "__main__":
    run_stage(main)
