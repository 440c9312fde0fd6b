"""Running Pishkhan: the local launcher, its demo data, and the Prometheus set-up."""
