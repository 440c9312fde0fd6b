"""Pishkhan's services: each runs on its own and talks to the others over the bus."""
