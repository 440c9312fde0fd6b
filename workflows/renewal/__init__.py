"""Renewal of a license by its holder."""
