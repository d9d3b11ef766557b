"""Which fine-tuning settings are operational: they cannot change a number, so changing one must neither re-run a
job (the workflow passes them outside the rules' params) nor invalidate a resume checkpoint."""

# eval_batch_size is not among them: at bf16 the batch (its padded width) changes logits in the last digits, and
# a test f1 with them (measured: 0.32301 at batch 64, 0.32295 at 16, MiniLM on tweet-sentiment).
OPERATIONAL = ("checkpoint_every", "device")
