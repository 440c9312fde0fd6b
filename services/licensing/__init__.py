"""Licensing: offices, licenses, inspections and decisions, the public registry."""
