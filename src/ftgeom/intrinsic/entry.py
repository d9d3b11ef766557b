"""Paper A's registry entry: intrinsic task subspaces (arXiv 2305.17446)."""
from __future__ import annotations

from ftgeom.entry import PaperEntry


def _check(config: dict) -> None:
    from ftgeom.intrinsic.checks import check

    check(config)


def run_hooks(spec: dict) -> list:
    """A subspace run with `outliers` set re-evaluates its update with the outlier entries zeroed."""
    if not spec.get("outliers"):
        return []
    from ftgeom.intrinsic.outliers import OutlierReevaluation

    return [OutlierReevaluation(spec["outliers"]["sigma"], spec["outliers"]["draws"])]


def method_inputs(spec: dict) -> dict:
    """The data paper A's methods receive: an intrinsic run's basis (read from its subspace folder), a zeroed run's
    outlier positions (read from the run that found them)."""
    options = spec.get("method_options", {})
    if spec["method"] == "intrinsic":
        from ftgeom.intrinsic.store import subspace_basis

        return {"bases": subspace_basis(options["subspace"], options["d"], options["scaled"])}
    if spec["method"] == "zeroed":
        from ftgeom.provenance import read_json

        return {"found": read_json(options["source"])["outliers"]["positions"]}
    return {}


def grid_run(wf, run: str, model: str, task: str, seed: int):
    """The subspace run (`intrinsic`, `random`, ...) of one task and seed, as its job makes it."""
    from ftgeom.intrinsic import plan
    from ftgeom.intrinsic.workflow import IntrinsicWorkflow

    iw = IntrinsicWorkflow(wf)
    if not iw.ia or (model, task) not in iw.pairs():
        return None
    for job in plan.jobs(iw.ia, model, task):
        for r in iw.group(model, task, job):
            if r["spec"].get("intrinsic", {}).get("run") == run and r["spec"]["seed"] == seed:
                # its record lies in the job's folder (the rule's output)
                return {**r, "producer": iw.job_dir(model, task, job)}, iw.job_inputs(model, task, job)
    return None


def claim_specs() -> tuple:
    from ftgeom.intrinsic.claim_specs import SPECS

    return SPECS


ENTRY = PaperEntry(
    name="intrinsic", letter="A", title="Intrinsic task subspaces (arXiv 2305.17446)",
    tables_csv=("runs", "table1", "ablation", "outliers", "unified", "transfer", "cosine"),
    tables_tex=("table1", "ablation", "outliers", "unified", "numbers"),
    captioned=("table1",), check=_check, run_hooks=run_hooks, method_inputs=method_inputs,
    assembly_csv=("table1",),
    claim_specs=claim_specs,
    grid_run=grid_run,
)
