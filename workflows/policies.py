"""Deadlines a case's human steps live by, fixed when the case starts (from settings) so
that a workflow's timers never read the environment."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel


class StepPolicy(BaseModel):
    due_seconds: float
    remind_before_seconds: float
    escalate_every_seconds: float
    return_to_queue: bool = True

    @classmethod
    def from_hours(cls, *, due: float, remind_before: float, escalate_every: float,
                   return_to_queue: bool) -> StepPolicy:
        return cls(due_seconds=due * 3600, remind_before_seconds=remind_before * 3600,
                   escalate_every_seconds=escalate_every * 3600, return_to_queue=return_to_queue)

    @property
    def due(self) -> timedelta:
        return timedelta(seconds=self.due_seconds)

    @property
    def remind_before(self) -> timedelta:
        return timedelta(seconds=self.remind_before_seconds)

    @property
    def escalate_every(self) -> timedelta:
        return timedelta(seconds=self.escalate_every_seconds)


class CasePolicies(BaseModel):
    steps: dict[str, StepPolicy]
    correction_deadline_seconds: float
    consent_deadline_seconds: float = 14 * 86400

    @property
    def correction_deadline(self) -> timedelta:
        return timedelta(seconds=self.correction_deadline_seconds)

    @property
    def consent_deadline(self) -> timedelta:
        return timedelta(seconds=self.consent_deadline_seconds)


class TermPolicy(BaseModel):
    """When a license's holder is reminded of its end, and how long after the end date it
    stays valid before it expires."""

    reminder_days: list[int] = [90, 30, 7]
    grace_days: float = 0
