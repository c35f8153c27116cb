"""deployments/prefect.yaml must be something `prefect deploy` accepts and whose entrypoints load."""

from __future__ import annotations

import yaml
from prefect.flows import Flow, load_flow_from_entrypoint

from tests.conftest import ROOT


def load() -> dict:
    return yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text(encoding="utf-8"))


def test_prefect_yaml_validates_with_prefects_own_model() -> None:
    from prefect.cli.deploy._models import PrefectYamlModel

    model = PrefectYamlModel.model_validate(load())
    names = {d.name: d for d in model.deployments}
    assert set(names) == {"monitor", "backfill"}
    monitor = names["monitor"]
    assert monitor.schedules and monitor.schedules[0].cron
    assert not names["backfill"].schedules  # manual only


def test_cron_schedule_is_valid() -> None:
    from prefect.client.schemas.schedules import CronSchedule

    [schedule] = next(d for d in load()["deployments"] if d["name"] == "monitor")["schedules"]
    CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])


def test_entrypoints_load_flows_relative_to_repo_root(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    for deployment in load()["deployments"]:
        flow = load_flow_from_entrypoint(deployment["entrypoint"])
        assert isinstance(flow, Flow)
        assert flow.name == deployment["entrypoint"].split(":")[1]
        params = set(flow.parameters.properties)
        assert set(deployment.get("parameters", {})) <= params
