"""Plumbing every service uses (bus, outbox, inbox, database, HTTP, metrics, tasks); no domain logic."""
