"""Paper B (arXiv 2605.07302): spectral stability of weight matrices under fine-tuning, against null models."""
