"""Durable multi-step processes on Temporal: the worker, its activities and the bus bridge."""
