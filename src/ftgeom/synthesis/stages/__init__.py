"""Command-line entry points of the synthesis rules (rules/synthesis.smk)."""
