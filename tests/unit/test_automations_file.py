"""deployments/automations.yaml read as the Prefect server reads it (its own trigger model and
its own way of relating a flow run's events to their deployment): when scheduled passes stop
while the server keeps running (the worker dead, the schedule or work pool paused), the
server itself tells the operations channel, once, through a notification block."""

from __future__ import annotations

import importlib.util
import sys
from datetime import timedelta
from types import ModuleType
from uuid import UUID, uuid4

from prefect.server.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.server.events.schemas.events import ReceivedEvent
from prefect.server.models.events import _resource_data_as_related_resources
from prefect.types._datetime import now

from tests.conftest import ROOT

BLOCK = UUID("00000000-0000-4000-8000-000000000001")
SCHEDULE = timedelta(minutes=20)  # deployments/prefect.yaml, monitor


def automations_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "newsmon_automations", ROOT / "deployments" / "automations.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def shipped(block: UUID | None = BLOCK) -> tuple[list[AutomationCore], list[str]]:
    """The server's model of each automation the apply script would send, and its skip lines."""
    module = automations_module()
    loaded, skipped = module.load(ROOT / "deployments" / "automations.yaml", lambda _: block)
    return [AutomationCore.model_validate(a.model_dump(mode="json")) for a in loaded], skipped


def completed(deployment: str) -> ReceivedEvent:
    """A flow run's Completed event with the related resources the server gives it."""
    data = {
        "flow-run": {"id": str(uuid4()), "name": "lucky-fox", "tags": [], "role": "flow-run"},
        "flow": {"id": str(uuid4()), "name": deployment, "tags": [], "role": "flow"},
        "deployment": {
            "id": str(uuid4()),
            "name": deployment,
            "tags": ["newsmon", "scheduled"],
            "role": "deployment",
        },
    }
    return ReceivedEvent(
        occurred=now("UTC"),
        event="prefect.flow-run.Completed",
        resource={
            "prefect.resource.id": f"prefect.flow-run.{data['flow-run']['id']}",
            "prefect.resource.name": "lucky-fox",
            "prefect.state-type": "COMPLETED",
        },
        related=_resource_data_as_related_resources(data, excluded_kinds=["flow-run"]),
        id=uuid4(),
    )


def test_passes_that_stop_while_the_server_runs_are_announced_once_by_the_server() -> None:
    """Only `newsmon health` in cron could tell that no pass ran; the server, which keeps
    running while a worker is dead or the schedule paused, said nothing. A proactive
    automation now waits for the monitor deployment's next Completed after each one and, when
    none comes within three passes' spacing, sends one notification; the next Completed starts
    the watch again (Prefect's heartbeat pattern: the same event starts and satisfies it)."""
    automations, skipped = shipped()
    assert skipped == []
    monitor, digest = completed("monitor"), completed("digest")
    watches = [
        a
        for a in automations
        if isinstance(a.trigger, EventTrigger)
        and a.trigger.covers(monitor)
        and a.trigger.starts_after(monitor.event)
    ]
    assert len(watches) == 1, [a.name for a in watches]
    watch = watches[0]
    trigger = watch.trigger
    assert trigger.starts_after(monitor.event) and trigger.expects(monitor.event)  # type: ignore[union-attr]
    assert not trigger.covers(digest)  # type: ignore[union-attr]  # daily: would fire each day
    assert trigger.threshold == 1 and not trigger.meets_threshold(1)  # type: ignore[union-attr]
    assert 2 * SCHEDULE < trigger.within <= 4 * SCHEDULE, trigger.within  # type: ignore[union-attr]
    # one watch per deployment, not per flow run: each run's id would open a watch of its own
    deployment = next(r.id for r in monitor.related if r.role == "deployment")
    assert trigger.bucketing_key(monitor) == (deployment,)  # type: ignore[union-attr]
    actions = [a for a in watch.actions if a.type == "send-notification"]
    assert [a.block_document_id for a in actions] == [BLOCK]  # type: ignore[attr-defined]


def test_without_its_notification_block_the_watch_is_skipped_and_said() -> None:
    """Both notices (stopped, resumed) need the block: each is skipped with its own line."""
    automations, skipped = shipped(block=None)
    assert automations and all(a.trigger.posture == Posture.Proactive for a in automations)  # type: ignore[union-attr]
    assert [line.split(":")[0] for line in skipped] == [
        "skipped newsmon-monitor-passes-stopped",
        "skipped newsmon-monitor-passes-resumed",
    ]
    assert all("prefect block create slack-webhook" in line for line in skipped), skipped
