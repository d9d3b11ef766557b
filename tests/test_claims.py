"""The claims contract (CLAIMS.md v2): interval coverage at our sample sizes, units, specs and robustness."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ftgeom.claims import ClaimSpec, SpecError, UnitError, check_rows, claim_row, unit_means
from ftgeom.claims.intervals import coverage
from ftgeom.registry import STAGES

SIGMA = 0.4  # lognormal skewness ≈ 1.3: at σ ≥ 0.5 the t interval falls below 92% at n ≤ 8 (docs/claims.md)
SAMPLES = {
    "normal": (lambda rng, shape: rng.normal(0.0, 1.0, shape), 0.0),
    "lognormal": (lambda rng, shape: rng.lognormal(0.0, SIGMA, shape), float(np.exp(SIGMA ** 2 / 2))),
}


@pytest.mark.parametrize("n", [5, 8, 20])
@pytest.mark.parametrize("dist", sorted(SAMPLES))
def test_the_claims_interval_keeps_its_coverage_at_our_sample_sizes(dist, n):
    sample, mean = SAMPLES[dist]
    covered = coverage("t", sample, n, mean, draws=4000)
    assert covered >= 0.92, f"t interval covers the true mean in {covered:.3f} of draws ({dist}, n = {n})"


def test_the_old_percentile_bootstrap_and_bca_fail_the_coverage_bar_at_n_5():
    """Why the reported interval is t: the first claims code's percentile bootstrap, and BCa (the robust column's
    second opinion), cover the mean of 5 normal units far less often than they claim."""
    sample, mean = SAMPLES["normal"]
    percentile = coverage("percentile", sample, 5, mean, draws=2000)
    bca = coverage("bca", sample, 5, mean, draws=2000)
    assert percentile < 0.90 and bca < 0.90, (percentile, bca)


def _spec(claim_id="A1", kind="paper", **kw):
    return ClaimSpec(claim_id, kind, "a claim", "the paper's sentence" if kind == "paper" else "", "m", "task", **kw)


def test_a_non_finite_unit_is_an_error_naming_it():
    units = pd.Series([0.1, np.nan, 0.3, 0.2, 0.4], index=["a", "b", "c", "d", "e"])
    with pytest.raises(UnitError) as err:
        claim_row(_spec(), "s", units)
    assert "claim A1" in str(err.value) and "(b)" in str(err.value) and "\n" not in str(err.value)
    nested = pd.Series([0.1, 0.2, np.inf], index=pd.MultiIndex.from_tuples(
        [("m", "t1", 0), ("m", "t1", 1), ("m", "t2", 0)], names=["model", "task", "seed"]))
    with pytest.raises(UnitError, match=r"\(m, t2, 0\)"):
        unit_means(nested, ["model", "task"], "A1")


def test_seeds_are_averaged_inside_their_unit_and_n_counts_units():
    values = pd.Series([1.0, 3.0, 2.0, 4.0, 6.0], index=pd.MultiIndex.from_tuples(
        [("t1", 0), ("t1", 1), ("t2", 0), ("t2", 1), ("t2", 2)], names=["task", "seed"]))
    units = unit_means(values, ["task"])
    assert units.to_dict() == {"t1": 2.0, "t2": 4.0}
    row = claim_row(_spec(), "s", units)
    assert row["n"] == 2 and row["effect"] == 3.0 and row["verdict"] == "inconclusive"
    assert row["robust"] == "yes (n < 5: inconclusive by the unit rule)", "the row says why it is inconclusive"


def test_check_rows_carry_no_verdict_and_robust_says_why():
    assert claim_row(_spec(kind="check"), "s", pd.Series([-1.0] * 6))["verdict"] == "—"
    steady = claim_row(_spec(), "s", pd.Series([0.5, 0.6, 0.55, 0.52, 0.58, 0.57]))
    assert (steady["verdict"], steady["robust"]) == ("reproduced", "yes")
    # one unit carries the effect: leaving it out changes the verdict
    carried = claim_row(_spec(), "s", pd.Series([0.01, 0.02, 0.01, 0.02, 0.015, 3.0],
                                                index=["a", "b", "c", "d", "e", "f"]))
    assert carried["verdict"] == "inconclusive" and carried["robust"].startswith("no: without f: reproduced")


def test_rows_and_specs_must_match_one_to_one():
    specs = (_spec("A1"), _spec("A2", runs=lambda section: bool(section.get("a2"))))
    rows = [claim_row(specs[0], "s", pd.Series([1.0] * 5))]
    check_rows(specs, rows, {})  # A2 is not run by this config: no row expected
    with pytest.raises(SpecError, match="claim A2 is declared"):
        check_rows(specs, rows, {"a2": True})
    with pytest.raises(SpecError, match="claim row A9 has no spec"):
        check_rows(specs, rows + [{**rows[0], "claim_id": "A9"}], {})
    with pytest.raises(SpecError, match="declared twice"):
        check_rows(specs + (_spec("A1"),), rows, {})
    with pytest.raises(SpecError, match="quotes the paper"):
        ClaimSpec("A3", "paper", "c", "", "m", "u")
    with pytest.raises(SpecError, match="kind 'mine'"):
        ClaimSpec("A3", "mine", "c", "", "m", "u")


@pytest.mark.parametrize("entry", STAGES, ids=lambda p: p.name)
def test_every_papers_spec_table_is_well_formed(entry):
    specs = entry.claim_specs
    ids = [s.claim_id for s in specs]
    assert specs and len(set(ids)) == len(ids) and all(i.startswith(entry.letter) for i in ids)
    assert all(s.unit and s.measure for s in specs)


def test_a_section_the_schema_fills_with_empty_defaults_expects_no_row():
    """A spec's `runs` mirrors what the stage runs: removing an optional part of the config (the schema then fills
    it with empty defaults) removes its rows from what check_rows expects."""
    import yaml

    from ftgeom.registry import HEAD_PROBE, INTRINSIC, SPECTRAL
    from workflow_runs import REPO, with_defaults

    cfg = yaml.safe_load((REPO / "config" / "default.yaml").read_text())
    for key in ("outliers", "transfer"):
        cfg["intrinsic"].pop(key)
    cfg["intrinsic"]["ablation"]["d"] = [cfg["intrinsic"]["d"]]
    cfg["spectral"]["seeds"] = [0]
    cfg["spectral"]["peft"]["methods"].pop("lora")
    cfg["head_probe"]["variants"] = {}
    with_defaults(cfg)
    expected = {e.name: {s.claim_id for s in e.claim_specs if s.runs(cfg[e.name])}
                for e in (INTRINSIC, SPECTRAL, HEAD_PROBE)}
    assert expected["intrinsic"] == {"A1b", "A2"}  # A1a needs d = 32 among the ablation's dimensions
    assert expected["spectral"] == {"B1a", "B1b", "B1c", "B2a", "B2c", "B3a", "B3b", "B4a", "B5a", "B5b"}
    assert expected["head_probe"] == {"C1", "C2a", "C2b", "C3a", "C3b", "C4a", "C4b", "C6a", "C6b", "C6c"}
