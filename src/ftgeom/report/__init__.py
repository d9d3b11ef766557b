"""Tables (CSV + LaTeX fragments) and figures built from the runs' metrics files."""
