"""Change of an office's address within its county."""
