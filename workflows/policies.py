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


class ComplaintPolicies(BaseModel):
    """A complaint's human steps (triage, investigation, a site inspection), how long the
    office has to answer in writing, and how long the complainant may reopen it."""

    steps: dict[str, StepPolicy]
    office_response_seconds: float = 7 * 86400
    reopen_window_seconds: float = 10 * 86400

    @property
    def office_response(self) -> timedelta:
        return timedelta(seconds=self.office_response_seconds)

    @property
    def reopen_window(self) -> timedelta:
        return timedelta(seconds=self.reopen_window_seconds)


class ReviewPolicies(BaseModel):
    """A supervision review's steps (site inspection, the officer's decision) and how long
    the license holder has to answer before the decision."""

    steps: dict[str, StepPolicy]
    answer_seconds: float = 7 * 86400

    @property
    def answer_window(self) -> timedelta:
        return timedelta(seconds=self.answer_seconds)


class SweepPolicy(BaseModel):
    """What makes an office due for review: no activity for ``idle_days``, or
    ``upheld_threshold`` upheld complaints within ``lookback_days`` (findings always)."""

    idle_days: int = 90
    upheld_threshold: int = 3
    lookback_days: int = 365
