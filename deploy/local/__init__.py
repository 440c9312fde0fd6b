"""Run the whole stack on one machine (``make run``) and seed it with demo data."""
