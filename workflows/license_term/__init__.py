"""The term of a license: reminders before its end, expiry after the grace."""
