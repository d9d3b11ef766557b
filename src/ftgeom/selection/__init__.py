"""`snakemake select`: re-run every grid whose choice the config records, on validation data (config `selection`)."""
