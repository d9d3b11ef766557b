"""The synthesis's claim table (../shared/CLAIMS.md v2): every row of results/claims/synthesis.csv is declared here.

Every row is kind `ours`: none of the three papers states it, each needs two of them. Bars are the plain nulls (0:
no difference, no correlation) except S1's, a non-inferiority margin declared in the config before any run.
"""
from __future__ import annotations

from ftgeom.claims import ClaimSpec
from ftgeom.config import schema_default

TASK = "task (its seeds averaged first)"
SWEEP = "(model, task) of paper C: one τ sweep of the seed that records its weight geometry"
GEOMETRY = ("Spearman correlation, over the τ grid, between the start energy and {what}, averaged over the encoder's "
            "weight matrices")


def _part(name: str):
    """A spec's `runs`: whether the config's papers give this analysis data (`parts`, from the workflow)."""
    return lambda section: bool((section or {}).get("parts", {}).get(name, True))


def _margin(section: dict) -> float:
    return -float(section["margin"])


def specs(section: dict | None = None) -> tuple[ClaimSpec, ...]:
    """The table; S1's bar is the config's margin (the document's spec table prints the schema default's)."""
    section = section or {"margin": schema_default("synthesis.margin")}
    return (
        ClaimSpec(
            "S1", "ours", "Paper A's intrinsic subspace at its headline d per layer (8 in the default) reaches the "
            "test score of paper B's spectral coefficients.", "",
            "test score (x100) of intrinsic at intrinsic.d − spectral (block), each averaged over its seeds; intrinsic "
            "trains d coordinates per layer plus, as paper A's recipe does, the embeddings and head; spectral k² "
            f"coefficients per matrix and the head; non-inferiority margin {-_margin(section):g} points",
            TASK, _margin(section), "greater", runs=_part("frontier")),
        ClaimSpec(
            "S2", "ours", "Paper A's leading trajectory direction is more concentrated in the pretrained leading "
            "singular block than the update as a whole.", "",
            "share of energy inside W0's top-k block U_kᵀ·V_k of the trajectory's top direction (updates variant) − "
            "that of the whole update ΔW, averaged over the encoder's weight matrices", TASK, 0.0, "greater",
            runs=_part("trajectory")),
        ClaimSpec(
            "S3a", "ours", "Higher start energy gives a larger relative weight update.", "",
            GEOMETRY.format(what="‖ΔW‖_F / ‖W0‖_F"), SWEEP, 0.0, "greater", runs=_part("geometry")),
        ClaimSpec(
            "S3b", "ours", "Higher start energy rotates the pretrained top-k singular subspace more.", "",
            GEOMETRY.format(what="1 − overlap of the top-k left singular subspaces of W0 and W1"), SWEEP, 0.0,
            "greater", runs=_part("geometry")),
        ClaimSpec(
            "S3c", "exploratory", "Higher start energy rotates the top-k subspace more than an update of the same "
            "singular values would.", "",
            GEOMETRY.format(what="the rotation over that of W0 + a same-spectrum null update"), SWEEP, 0.0,
            "greater", runs=_part("geometry")),
        ClaimSpec(
            "S4a", "ours", "Paper A's outlier positions mark large pretrained weights more than chance.", "",
            "fraction of the outlier positions among the same number of largest |W0| entries, pooled over the "
            "encoder's weight matrices, − the fraction a random set hits (N/(mn), pooled alike)", TASK, 0.0,
            "greater", runs=_part("outliers")),
        ClaimSpec(
            "S4b", "ours", "Paper A's outlier positions mark large entries of the pretrained rank-k reconstruction "
            "more than chance.", "",
            "as S4a, among the largest |U_k Σ_k V_kᵀ| entries of W0's rank-k reconstruction", TASK, 0.0,
            "greater", runs=_part("outliers")),
        ClaimSpec(
            "S4c", "ours", "Paper A's outlier positions mark large pretrained weights more than chance once the "
            "update's component along θ0 is removed.", "",
            "as S4a, for the outliers (same σ rule) of the learned update less its component along θ0: paper A's "
            "raw subspace has ≈ θ0 as its top direction, which moves large |W0| entries most by construction",
            TASK, 0.0, "greater", runs=_part("outliers")),
        ClaimSpec(
            "S5", "ours", "Tasks whose updates share more of their leading subspaces transfer better into each "
            "other's intrinsic subspace.", "",
            "Spearman correlation over paper A's ordered transfer pairs between transfer (score in the source's "
            "subspace / in the target's own) and the two tasks' mean top-k overlap of ΔW's left singular vectors; "
            "interval: cluster bootstrap over tasks (percentile); the task-label permutation p is in the table",
            "task (pairs share tasks: the bootstrap resamples tasks; n counts tasks)", 0.0, "greater",
            runs=_part("transfer")),
    )


SPECS = specs()
