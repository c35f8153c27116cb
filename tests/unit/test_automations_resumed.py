"""The "passes resumed" notice of deployments/automations.yaml, read with Prefect's own server
models: which events each part of its trigger covers, the event the server itself emits when
`newsmon-monitor-passes-stopped` fires, the order its sequence trigger requires, and the message
Prefect's own notification action renders. Without it the ops channel's last word after an
outage stayed "passes stopped", whether the outage had ended or not."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
import yaml
from prefect.server.events.actions import SendNotification
from prefect.server.events.schemas.automations import (
    Automation,
    EventTrigger,
    Firing,
    SequenceTrigger,
    TriggeredAction,
    TriggerState,
)
from prefect.server.events.schemas.events import ReceivedEvent
from prefect.server.models.events import _resource_data_as_related_resources

from tests.conftest import ROOT
from tests.unit.test_automations_file import automations_module, shipped

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def server_automations() -> dict[str, Automation]:
    """Each shipped automation as the server stores it (with an id, its triggers parented)."""
    automations, skipped = shipped()
    assert skipped == []
    return {
        a.name: Automation.model_validate({**a.model_dump(mode="json"), "id": str(uuid4())})
        for a in automations
    }


def completed(deployment: str, at: timedelta, name: str = "lucky-fox") -> ReceivedEvent:
    """A flow run's Completed event with the related resources the server gives it."""
    data = {
        "flow-run": {"id": str(uuid4()), "name": name, "tags": [], "role": "flow-run"},
        "flow": {"id": str(uuid4()), "name": deployment, "tags": [], "role": "flow"},
        "deployment": {"id": str(uuid4()), "name": deployment, "tags": [], "role": "deployment"},
    }
    return ReceivedEvent(
        occurred=START + at,
        event="prefect.flow-run.Completed",
        resource={
            "prefect.resource.id": f"prefect.flow-run.{data['flow-run']['id']}",
            "prefect.resource.name": name,
        },
        related=_resource_data_as_related_resources(data, excluded_kinds=["flow-run"]),
        id=uuid4(),
    )


def running(completed: ReceivedEvent, before: timedelta) -> ReceivedEvent:
    """The same flow run's `prefect.flow-run.Running` event, `before` its Completed one."""
    resource = {**completed.resource.root, "prefect.state-type": "RUNNING"}
    return completed.model_copy(
        update={
            "event": "prefect.flow-run.Running",
            "occurred": completed.occurred - before,
            "resource": type(completed.resource).model_validate(resource),
            "id": uuid4(),
        }
    )


def passes(*runs: ReceivedEvent) -> list[ReceivedEvent]:
    """Each run's Running event (five minutes before), then its Completed one."""
    return [e for run in runs for e in (running(run, timedelta(minutes=5)), run)]


def fired(automation: Automation, at: timedelta, last: ReceivedEvent) -> ReceivedEvent:
    """The `prefect.automation.triggered` event the server emits when `automation` fires."""
    trigger = automation.trigger
    firing = Firing(
        trigger=trigger,
        trigger_states={TriggerState.Triggered},
        triggered=START + at,
        triggering_event=last,
    )
    return trigger.create_automation_state_change_event(firing, TriggerState.Triggered)


def child_firing(sequence: SequenceTrigger, event: ReceivedEvent) -> Firing | None:
    """The firing of the sequence's child that covers `event` (each is Reactive, threshold 1:
    it fires on every event it covers), or None."""
    children = [
        t
        for t in sequence.triggers
        if isinstance(t, EventTrigger) and t.covers(event) and t.expects(event.event)
    ]
    assert len(children) <= 1, event.event
    if not children:
        return None
    return Firing(
        trigger=children[0],
        trigger_states={TriggerState.Triggered},
        triggered=event.occurred,
        triggering_event=event,
    )


def run_sequence(sequence: SequenceTrigger, events: list[ReceivedEvent]) -> list[Firing]:
    """The server's bookkeeping for a sequence trigger (triggers.evaluate_composite_trigger):
    one stored firing per child (upsert_child_firing), those older than `within` dropped,
    Prefect's own `ready_to_fire` asked, and the stored firings cleared when it fires."""
    stored: dict[UUID, Firing] = {}
    parents = []
    for event in events:
        child = child_firing(sequence, event)
        if child is None:
            continue
        if sequence.within is not None:
            horizon = child.triggered - sequence.within
            stored = {k: f for k, f in stored.items() if f.triggered >= horizon}
        stored[child.trigger.id] = child
        firings = list(stored.values())
        if sequence.ready_to_fire(firings):
            stored.clear()
            parents.append(
                Firing(
                    trigger=sequence,
                    trigger_states={TriggerState.Triggered},
                    triggered=child.triggered,
                    triggering_firings=firings,
                    triggering_event=child.triggering_event,
                )
            )
    return parents


def outage() -> tuple[dict[str, Automation], list[ReceivedEvent], list[ReceivedEvent]]:
    """Passes every 20 minutes, a digest, a run crashed by the lost-run automation, passes
    stopped for two hours after 09:20, resumed, then a second outage: the events the server
    sees, and the monitor passes that should each be announced as resumed."""
    automations = server_automations()
    stopped = automations["newsmon-monitor-passes-stopped"]
    crash = automations["newsmon-crash-lost-flow-runs"]
    within = stopped.trigger.within  # type: ignore[union-attr]
    minute = timedelta(minutes=1)
    p1, digest = completed("monitor", 0 * minute), completed("digest", 5 * minute)
    p2 = completed("monitor", 20 * minute)
    stop = fired(stopped, 20 * minute + within, p2)
    lost = fired(crash, 90 * minute, p2)
    p3 = completed("monitor", 200 * minute, name="back-again")
    p4 = completed("monitor", 220 * minute)
    stop2 = fired(stopped, 220 * minute + within, p4)
    p5 = completed("monitor", 400 * minute)
    p6 = completed("monitor", 420 * minute)
    events = [*passes(p1, digest, p2), stop, lost, *passes(p3, p4), stop2, *passes(p5, p6)]
    return automations, events, [p3, p5]


def test_a_stopped_notice_is_answered_once_by_the_first_pass_that_completes_after_it() -> None:
    """Not on every pass, not on a pass with no notice before it, not on another deployment's
    run or another automation's firing; again after a second outage."""
    automations, events, expected = outage()
    resumed = automations.get("newsmon-monitor-passes-resumed")
    assert resumed is not None, sorted(automations)
    assert isinstance(resumed.trigger, SequenceTrigger)
    parents = run_sequence(resumed.trigger, events)
    assert [p.triggering_event for p in parents] == expected
    # an outage of a day is still answered (the sequence's `within`)
    assert resumed.trigger.within is not None and resumed.trigger.within >= timedelta(days=1)
    # the first pass of all (nothing stopped yet) fires nothing, however many follow
    assert run_sequence(resumed.trigger, [e for e in events if "automation" not in e.event]) == []


def test_the_resumed_notice_goes_to_the_ops_block_and_says_only_the_times_it_knows() -> None:
    automations, events, expected = outage()
    resumed = automations["newsmon-monitor-passes-resumed"]
    assert isinstance(resumed.trigger, SequenceTrigger)
    parent = run_sequence(resumed.trigger, events)[0]
    [action] = resumed.actions
    assert isinstance(action, SendNotification)
    # the same block as the "stopped" notice (tests/unit/test_automations_file.py's BLOCK)
    stopped = automations["newsmon-monitor-passes-stopped"]
    assert [action.block_document_id] == [a.block_document_id for a in stopped.actions]  # type: ignore[attr-defined]
    assert resumed.actions_on_resolve == []  # never run by a self-hosted server
    triggered = TriggeredAction(
        automation=resumed,
        firing=parent,
        triggered=parent.triggered,
        triggering_labels=parent.triggering_labels,
        triggering_event=parent.triggering_event,
        action=action,
    )
    subject, body = asyncio.run(action.render(triggered))
    assert "resumed" in subject
    p3, p2 = expected[0], events[5]
    assert p2.event == "prefect.flow-run.Completed" and p2.occurred < p3.occurred, p2
    stop = next(e for e in events if e.event == "prefect.automation.triggered")
    assert f"deployment monitor completed flow run back-again at {p3.occurred}" in body, body
    # what is known: when the notice came, and the last pass before it; no guessed duration
    last = p2.occurred.isoformat().replace("+00:00", "Z")
    assert f'The "stopped" notice was sent at {stop.occurred}; the last pass' in body, body
    assert f"completed before it at {last}." in body, body
    assert "minutes" not in body, body
    assert "{" not in body and "\n" not in body, body


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda a: a[2].update(actions_on_resolv=[]), "unknown key actions_on_resolv"),
        (
            lambda a: a[2]["trigger"]["triggers"][1].update(with_in=3),
            "unknown key trigger.triggers[1].with_in",
        ),
        (lambda a: a[1]["actions"][0].update(block="newsmon-ops"), "is not <block type slug>/"),
        (lambda a: a[1]["trigger"].update(posture="Proactiv"), "trigger.event.posture"),
    ],
)
def test_a_file_prefect_would_read_differently_is_refused_with_one_line(
    tmp_path: Path, edit: object, says: str
) -> None:
    """Prefect's models ignore unknown keys: a misspelt `actions_on_resolve` or `within` was
    applied as if absent, the automation doing less than the file says."""
    module = automations_module()
    data = yaml.safe_load((ROOT / "deployments" / "automations.yaml").read_text(encoding="utf-8"))
    edit(data["automations"])  # type: ignore[operator]
    path = tmp_path / "automations.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(module.FileError) as refused:
        module.load(path, lambda _: UUID(int=1))
    line = str(refused.value)
    assert says in line and "\n" not in line, line


@pytest.mark.parametrize(
    "edit",
    [
        lambda a: a[1].update(name="newsmon-passes-stopped"),
        lambda a: a[2]["trigger"]["triggers"][0]["match"].update(
            {"prefect.resource.name": ["newsmon-monitor-passes-stoped"]}
        ),
    ],
)
def test_a_resumed_notice_waiting_for_an_automation_the_file_lacks_is_refused(
    tmp_path: Path, edit: object
) -> None:
    """ "Passes resumed" waits for the server's event of the automation *named*
    newsmon-monitor-passes-stopped: renaming that one in the file (or misspelling the name)
    was applied without a word, and "resumed" never fired again."""
    module = automations_module()
    data = yaml.safe_load((ROOT / "deployments" / "automations.yaml").read_text(encoding="utf-8"))
    edit(data["automations"])  # type: ignore[operator]
    path = tmp_path / "automations.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(module.FileError) as refused:
        module.load(path, lambda _: UUID(int=1))
    line = str(refused.value)
    assert "automation newsmon-monitor-passes-resumed: its trigger waits for automation" in line
    assert "not in this file" in line and "\n" not in line, line
