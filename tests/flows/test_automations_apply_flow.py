"""deployments/automations.py applied to a real Prefect API (the test harness's server), as an
operator runs it: twice, after editing the file, after renaming an automation in it."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.blocks.notifications import SlackWebhook
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.events.schemas.automations import AutomationCore

from tests.conftest import ROOT
from tests.unit.test_automations_file import automations_module

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def client() -> Iterator[SyncPrefectClient]:
    """A client of the harness's API with the ops block, and no automation left behind."""
    SlackWebhook(url="https://hooks.slack.com/services/T0/B0/x").save("newsmon-ops", overwrite=True)  # type: ignore[arg-type]
    with get_client(sync_client=True) as client:
        try:
            yield client
        finally:
            for automation in client.read_automations():
                client.delete_automation(automation.id)


def run(data: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """`python deployments/automations.py --file <data>`, in this process; its lines."""
    path = tmp_path / "automations.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    module = automations_module()
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["automations.py", "--file", str(path)])
        module.main()
    return capsys.readouterr().out.splitlines()


def on_server(client: SyncPrefectClient) -> Counter[str]:
    return Counter(a.name for a in client.read_automations())


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (ROOT / "deployments" / "automations.yaml").read_text(encoding="utf-8")
    )
    return data


def test_applying_again_or_after_an_edit_updates_and_never_adds_a_copy(
    client: SyncPrefectClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = shipped()
    names = [item["name"] for item in data["automations"]]
    first = run(data, tmp_path, capsys)
    assert [line.split(" (")[0] for line in first] == [f"created {n}" for n in names]
    second = run(data, tmp_path, capsys)
    assert [line.split(" (")[0] for line in second] == [f"updated {n}" for n in names]
    data["automations"][1]["trigger"]["within"] = 5400
    run(data, tmp_path, capsys)
    assert on_server(client) == Counter(names)
    [stopped] = client.read_automations_by_name(names[1])
    assert stopped.trigger.within.total_seconds() == 5400  # type: ignore[union-attr]


def test_an_automation_renamed_in_the_file_replaces_the_one_of_its_old_name(
    client: SyncPrefectClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Renaming newsmon-crash-lost-flow-runs in the file and applying it again left the old
    one on the server too: two automations marking each lost run Crashed, no word said."""
    data = shipped()
    run(data, tmp_path, capsys)
    # an automation made by hand (not by this script) is never touched, whatever its name
    own = AutomationCore.model_validate({**data["automations"][0], "name": "newsmon-own-watch"})
    client.create_automation(own)
    old = data["automations"][0]["name"]
    data["automations"][0]["name"] = "newsmon-crash-runs-without-heartbeat"
    lines = run(data, tmp_path, capsys)
    names = [item["name"] for item in data["automations"]]
    assert on_server(client) == Counter([*names, own.name])
    assert any(line.startswith(f"deleted {old} (") for line in lines), lines


def test_another_file_applied_leaves_the_shipped_automations_alone(
    client: SyncPrefectClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--file extra.yaml` (an operator's own automations) deleted every automation of the
    shipped file as 'no longer in the file': the crash and passes-stopped watches gone."""
    data = shipped()
    run(data, tmp_path, capsys)
    extra = {"automations": [{**data["automations"][0], "name": "newsmon-extra-watch"}]}
    path = tmp_path / "extra.yaml"
    path.write_text(yaml.safe_dump(extra), encoding="utf-8")
    module = automations_module()
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["automations.py", "--file", str(path)])
        module.main()
    lines = capsys.readouterr().out.splitlines()
    names = [item["name"] for item in data["automations"]]
    assert on_server(client) == Counter([*names, "newsmon-extra-watch"])
    assert not any(line.startswith("deleted ") for line in lines), lines
