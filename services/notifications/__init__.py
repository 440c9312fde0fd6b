"""Notifications: renders fa/en notices and delivers each once per recipient and channel."""
