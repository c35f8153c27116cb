"""The "passes stopped" and "passes resumed" automations of deployments/automations.yaml run
through the Prefect server's own trigger service code, in this process, on a copy of its
migrated SQLite database: `reactive_evaluation` for each event, `proactive_evaluation` for the
hour without a pass, the composite trigger's stored firings, and the actions it publishes. No
server: this is the code a server runs on each event, without its loops and timing."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from prefect.server.events import triggers
from prefect.server.events.actions import SendNotification
from prefect.server.events.models.automations import automations_session, create_automation
from prefect.server.events.schemas.automations import Automation, EventTrigger, TriggeredAction
from prefect.server.events.schemas.events import ReceivedEvent
from prefect.server.utilities.messaging.memory import Subscription, Topic
from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL, temporary_settings
from prefect.types._datetime import now

from tests.support.prefect_db import migrated_db
from tests.unit import test_automations_resumed as resumed_test
from tests.unit.test_automations_file import shipped

MINUTE = timedelta(minutes=1)


@pytest.fixture
def server_db(tmp_path: Path) -> Iterator[None]:
    """Prefect's server database (a copy of the migrated one), for this process only."""
    path = tmp_path / "prefect.db"
    shutil.copy(migrated_db(), path)
    with temporary_settings(
        updates={PREFECT_SERVER_DATABASE_CONNECTION_URL: f"sqlite+aiosqlite:///{path}"}
    ):
        yield


async def drain(subscription: Subscription) -> list[bytes]:
    found = []
    while True:
        try:
            message = await asyncio.wait_for(subscription.get(), 0.2)
        except TimeoutError:
            return found
        found.append(message.data if isinstance(message.data, bytes) else message.data.encode())


async def load(names: list[str]) -> dict[str, Automation]:
    """The shipped automations named, stored and loaded as the server's trigger service does."""
    stored: dict[str, Automation] = {}
    async with automations_session(begin_transaction=True) as session:
        for core in shipped()[0]:
            if core.name not in names:
                continue
            automation = Automation.model_validate(
                {**core.model_dump(mode="json"), "id": str(uuid4())}
            )
            await create_automation(session, automation)
            stored[core.name] = automation
    for automation in stored.values():
        triggers.load_automation(automation)
    return stored


async def timeline() -> list[tuple[str, list[str]]]:
    """Which automations act after each step of two outages."""
    stored = await load([core.name for core in shipped()[0]])
    stopped = stored["newsmon-monitor-passes-stopped"]
    assert isinstance(stopped.trigger, EventTrigger)
    actions, events = Topic.by_name("actions").subscribe(), Topic.by_name("events").subscribe()
    base, before = now("UTC") - timedelta(hours=8), resumed_test.START
    resumed_test.START = base  # the helper's events, in the recent past
    monitor = str(uuid4())  # one deployment: the watch is per deployment
    steps: list[tuple[str, list[str]]] = []

    async def acted(label: str) -> list[ReceivedEvent]:
        names = [
            TriggeredAction.model_validate_json(d).automation.name for d in await drain(actions)
        ]
        steps.append((label, names))
        return [ReceivedEvent.model_validate_json(d) for d in await drain(events)]

    async def run(deployment: str, at: timedelta) -> None:
        event = resumed_test.completed(deployment, at)
        if deployment == "monitor":  # the server relates every run to the same deployment
            for related in event.related:
                if related.role == "deployment":
                    related.root["prefect.resource.id"] = f"prefect.deployment.{monitor}"
        await triggers.reactive_evaluation(resumed_test.running(event, MINUTE))
        await triggers.reactive_evaluation(event)
        await acted(f"{deployment} +{at // MINUTE}")

    async def hour_after(at: timedelta) -> None:
        await triggers.reset_events_clock()  # as_of as given, not shifted to the last event
        await triggers.proactive_evaluation(stopped.trigger, base + at)  # type: ignore[arg-type]
        for event in await acted(f"tick +{at // MINUTE}"):
            await triggers.reactive_evaluation(event)  # the server's own event, as it would
            await acted(f"  {event.event}")

    try:
        await run("monitor", 0 * MINUTE)
        await run("digest", 5 * MINUTE)
        await run("monitor", 20 * MINUTE)
        await hour_after(70 * MINUTE)
        await hour_after(81 * MINUTE)
        await run("monitor", 200 * MINUTE)
        await run("monitor", 220 * MINUTE)
        await hour_after(281 * MINUTE)
        await run("monitor", 400 * MINUTE)
        await run("monitor", 420 * MINUTE)
    finally:
        resumed_test.START = before
        triggers.clear_loaded_automations()
        Topic.by_name("actions").unsubscribe(actions)
        Topic.by_name("events").unsubscribe(events)
    return steps


@pytest.mark.usefixtures("server_db")
def test_the_server_answers_each_stopped_notice_once_with_the_first_pass_after_it() -> None:
    """Before: after "no monitoring pass completed for an hour" the ops channel heard nothing
    more, whether passes came back or not. Now the first Completed monitor run after each
    "stopped" notice sends "passes resumed", and nothing else does: not a pass with no notice
    before it, not the next pass, not another deployment's run."""
    stopped, resumed = "newsmon-monitor-passes-stopped", "newsmon-monitor-passes-resumed"
    assert asyncio.run(timeline()) == [
        ("monitor +0", []),
        ("digest +5", []),
        ("monitor +20", []),
        ("tick +70", []),
        ("tick +81", [stopped]),
        ("  prefect.automation.triggered", []),
        ("monitor +200", [resumed]),
        ("monitor +220", []),
        ("tick +281", [stopped]),
        ("  prefect.automation.triggered", []),
        ("monitor +400", [resumed]),
        ("monitor +420", []),
    ]


async def late_completed() -> list[tuple[str, list[str]]]:
    """A monitor run that started (Running) before the "stopped" notice and whose Completed
    event the server only evaluates after it, then the next pass."""
    resumed = await load(["newsmon-monitor-passes-resumed"])
    stopped = resumed_test.server_automations()["newsmon-monitor-passes-stopped"]
    actions = Topic.by_name("actions").subscribe()
    before, resumed_test.START = resumed_test.START, now("UTC") - timedelta(hours=8)
    steps: list[tuple[str, list[str]]] = []

    async def evaluate(label: str, event: ReceivedEvent) -> None:
        await triggers.reactive_evaluation(event)
        names = []
        for data in await drain(actions):
            action = TriggeredAction.model_validate_json(data)
            assert isinstance(action.action, SendNotification)
            _, body = await action.action.render(action)
            names.append(f"{action.automation.name}: {body}")
        steps.append((label, names))

    try:
        assert resumed
        last = resumed_test.completed("monitor", 20 * MINUTE)
        late = resumed_test.completed("monitor", 79 * MINUTE, name="late-fox")
        notice = resumed_test.fired(stopped, 80 * MINUTE, last)
        back = resumed_test.completed("monitor", 200 * MINUTE, name="back-again")
        await evaluate("monitor started +60", resumed_test.running(late, 19 * MINUTE))
        await evaluate("stopped notice +80", notice)
        await evaluate("its Completed (+79) seen late", late)
        await evaluate("monitor started +195", resumed_test.running(back, 5 * MINUTE))
        await evaluate("monitor completed +200", back)
    finally:
        resumed_test.START = before
        triggers.clear_loaded_automations()
        Topic.by_name("actions").unsubscribe(actions)
    return steps


@pytest.mark.usefixtures("server_db")
def test_a_pass_that_completed_before_the_stopped_notice_does_not_say_resumed() -> None:
    """Prefect orders a sequence's steps by when the server evaluated each, not when its event
    occurred: a Completed event the server evaluated after the notice (a run that ended just
    before it, its event delayed) said "resumed" at once, before any pass had run again. Now
    the sequence also needs a monitor run that started after the notice."""
    steps = asyncio.run(late_completed())
    assert [(label, len(said)) for label, said in steps] == [
        ("monitor started +60", 0),
        ("stopped notice +80", 0),
        ("its Completed (+79) seen late", 0),
        ("monitor started +195", 0),
        ("monitor completed +200", 1),
    ]
    said = steps[-1][1][0]
    assert said.startswith("newsmon-monitor-passes-resumed: newsmon: monitoring passes resumed")
    assert "completed flow run back-again at" in said and "late-fox" not in said, said
    assert "the last pass completed before it at" in said, said
