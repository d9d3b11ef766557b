"""Paper A's registry entry: intrinsic task subspaces (arXiv 2305.17446)."""
from __future__ import annotations

from ftgeom.entry import StageEntry
from ftgeom.intrinsic.checks import check
from ftgeom.intrinsic.claim_specs import SPECS
from ftgeom.intrinsic.workflow import IntrinsicWorkflow


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


ENTRY = StageEntry(
    name="intrinsic", letter="A", title="Intrinsic task subspaces (arXiv 2305.17446)",
    tables_csv=("runs", "table1", "ablation", "outliers", "unified", "transfer", "cosine"),
    tables_tex=("table1", "ablation", "outliers", "unified", "numbers"),
    captioned=("table1",), check=check, claim_specs=SPECS, workflow=IntrinsicWorkflow, run_hooks=run_hooks,
    method_inputs=method_inputs, assembly_csv=("table1",),
)
