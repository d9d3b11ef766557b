"""Which fine-tuning settings are operational: they cannot change a number, so changing one must neither re-run a
job (the workflow passes them outside the rules' params) nor invalidate a resume checkpoint."""

OPERATIONAL = ("eval_batch_size", "checkpoint_every", "device")
