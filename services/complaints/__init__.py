"""Complaints: web and 195-line complaints about offices, their triage and resolution."""
