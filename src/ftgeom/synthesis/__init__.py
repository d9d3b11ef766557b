"""The synthesis across the three papers: questions that need all three papers' measurements on the same models,
tasks and seeds (claims S1-S5, kind `ours`). It reads what papers A, B and C ran and trains nothing."""
