"""Every recorded history under tests/histories/ replayed against the current workflow
code, in process, with the worker's own sandbox and data converter: a change that alters
the commands of a running workflow fails here, before it reaches production."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from tests.workflows.changed_new_license import NoticeBeforeDecision, PatchedNoticeBeforeDecision
from workflows.process import WORKFLOWS, workflow_runner

HISTORIES = Path(__file__).parents[1] / "histories"
RECORDED = sorted(HISTORIES.glob("*/*.json"))


def started(file: Path) -> dict[str, Any]:
    events = json.loads(file.read_text())["events"]
    return events[0]["workflowExecutionStartedEventAttributes"]


def history(file: Path) -> WorkflowHistory:
    # the time-skipping server does not write the id into the history; replay needs one
    workflow_id = started(file).get("workflowId") or f"{file.parent.name}-{file.stem}"
    return WorkflowHistory.from_json(workflow_id, file.read_text())


def replayer(workflows: list[type]) -> Replayer:
    return Replayer(workflows=workflows, data_converter=pydantic_data_converter,
                    workflow_runner=workflow_runner())


def type_name(workflow_class: type) -> str:
    return workflow_class.__temporal_workflow_definition.name  # type: ignore[attr-defined]


@pytest.mark.parametrize("file", RECORDED, ids=[f"{f.parent.name}/{f.stem}" for f in RECORDED])
async def test_a_recorded_history_replays_on_the_current_code(file: Path) -> None:
    result = await replayer(WORKFLOWS).replay_workflow(history(file))
    assert result.replay_failure is None


def test_every_workflow_type_has_a_recorded_history() -> None:
    recorded = {started(file)["workflowType"]["name"] for file in RECORDED}
    missing = sorted({type_name(w) for w in WORKFLOWS} - recorded)
    assert not missing, (f"no recorded history for {missing}: add a path to "
                         "tests/histories/record.py and run python -m tests.histories.record")


# recordings made before the change below: two reached the decision, one was withdrawn first
REACHED_DECISION = [HISTORIES / "new_license" / f"{name}.json"
                    for name in ("correction_round", "rejection")]
NEW_LICENSE = [*REACHED_DECISION, HISTORIES / "new_license" / "withdrawal.json"]


@pytest.mark.parametrize("file", REACHED_DECISION, ids=[f.stem for f in REACHED_DECISION])
async def test_an_extra_activity_in_a_recorded_path_is_caught_as_nondeterminism(
        file: Path) -> None:
    assert type_name(NoticeBeforeDecision) == type_name(WORKFLOWS[0])
    with pytest.raises(NondeterminismError, match="Nondeterminism"):
        await replayer([NoticeBeforeDecision]).replay_workflow(history(file))


@pytest.mark.parametrize("file", NEW_LICENSE, ids=[f.stem for f in NEW_LICENSE])
async def test_the_same_change_behind_workflow_patched_replays_cleanly(file: Path) -> None:
    result = await replayer([PatchedNoticeBeforeDecision]).replay_workflow(history(file))
    assert result.replay_failure is None
