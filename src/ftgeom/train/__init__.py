"""The one training loop every method shares, and what it reads and writes."""
