"""Message schemas and routing names shared by every service; nothing else is shared."""
