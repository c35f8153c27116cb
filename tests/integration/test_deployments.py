"""deployments/prefect.yaml must be something `prefect deploy` accepts and whose entrypoints load."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

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


def test_monitor_runs_every_20_minutes_as_documented() -> None:
    """The schedule Prefect would compute: every 20 minutes on the hour's thirds (README)."""
    from prefect.server.schemas.schedules import CronSchedule

    [schedule] = next(d for d in load()["deployments"] if d["name"] == "monitor")["schedules"]
    cron = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
    start = datetime(2025, 2, 24, 0, 5, tzinfo=UTC)
    runs = asyncio.run(cron.get_dates(n=4, start=start))
    assert [r - start for r in runs] == [timedelta(minutes=m) for m in (15, 35, 55, 75)]
    assert all(r.utcoffset() == timedelta(hours=9) for r in runs)  # Asia/Seoul


def test_entrypoints_load_flows_relative_to_repo_root(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    for deployment in load()["deployments"]:
        flow = load_flow_from_entrypoint(deployment["entrypoint"])
        assert isinstance(flow, Flow)
        assert flow.name == deployment["entrypoint"].split(":")[1]
        params = set(flow.parameters.properties)
        assert set(deployment.get("parameters", {})) <= params
