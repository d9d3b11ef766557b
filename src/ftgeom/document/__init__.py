"""The generated paper: the verdict table of every claim, published-vs-ours tables, LaTeX macros and the build."""
