"""The new-license case: document check, site inspection, decision, issuance."""
