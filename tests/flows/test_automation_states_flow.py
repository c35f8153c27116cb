"""The automation of deployments/automations.yaml against the states Prefect's own flow engine
ends a run in: each final state's event must be one it expects, or it acts on a run that
ended."""

from __future__ import annotations

import asyncio

import pytest
import yaml
from prefect import flow
from prefect.server.events.schemas.automations import AutomationCore
from prefect.states import State

from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("prefect_harness")


def shipped() -> list[AutomationCore]:
    data = yaml.safe_load((ROOT / "deployments" / "automations.yaml").read_text(encoding="utf-8"))
    # the lost-run automations; the others name their notification block as automations.py
    # resolves it (tests/unit/test_automations_file.py)
    return [
        AutomationCore.model_validate(item)
        for item in data["automations"]
        if "prefect.flow-run.heartbeat" in item["trigger"].get("after", [])
    ]


@flow(timeout_seconds=0.3, persist_result=False)
async def past_its_timeout() -> None:
    await asyncio.sleep(5)


@flow(persist_result=False)
async def broken() -> None:
    raise RuntimeError("a pass that broke")


@flow(persist_result=False)
async def finished() -> None:
    return None


def test_every_final_state_of_a_flow_run_is_expected_by_the_lost_run_automation() -> None:
    """A pass past its flow timeout ends Failed under the name TimedOut, whose event is
    `prefect.flow-run.TimedOut`: not expected, so 120 s after its last heartbeat the automation
    fired on a run that had ended, tried to mark it Crashed, and the server refused ("Run is
    already in terminal state FAILED"): a failed automation action for each pass that timed
    out, the automation's page in the UI full of them."""
    ends: list[State] = [
        asyncio.run(f(return_state=True)) for f in (past_its_timeout, broken, finished)
    ]
    assert [(s.type.value, s.name) for s in ends] == [
        ("FAILED", "TimedOut"),
        ("FAILED", "Failed"),
        ("COMPLETED", "Completed"),
    ]
    assert shipped()
    for automation in shipped():
        trigger = automation.trigger
        for state in ends:
            event = f"prefect.flow-run.{state.name}"
            assert trigger.expects(event), f"{automation.name} does not expect {event}"
