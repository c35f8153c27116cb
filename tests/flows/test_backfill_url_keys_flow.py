"""Pages given to `backfill --urls` with their key (`?apikey=…`, `user:password@`), through the
command and the real `backfill-urls` flow: Prefect keeps a flow run's parameters in its
database and shows them in the UI, so the keys must not be among them."""

from __future__ import annotations

import json
from pathlib import Path

# Imported here, not first inside CliRunner: Prefect binds its log handler to the stderr of
# whoever imports it first, and a runner's stream is closed once its command returns.
import flows.backfill  # noqa: F401
import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.devsite import SiteServer
from tests.flows.test_monitor_flow import site_config

pytestmark = pytest.mark.usefixtures("prefect_harness")
SECRET = "hunter2secret"


def flow_runs_parameters(name: str) -> list[dict[str, object]]:
    """The parameters Prefect's API holds for every run of the flow `name`."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[name])))
    return [run.parameters for run in runs]


def test_keys_of_given_pages_are_not_kept_in_prefect_s_flow_run_parameters(
    tmp_path: Path, site: SiteServer
) -> None:
    config = site_config(tmp_path, site)
    keyed = site.url(f"/en/ftc-ai-inquiry.html?apikey={SECRET}&id=1")
    with_user = site.url("/en/phone-review.html").replace("://", f"://reader:{SECRET}@")
    out = runner.invoke(app, ["backfill", "--urls", keyed, with_user, "--config", str(config)])
    assert out.exit_code == 0, out.output
    assert "2 pages: new 2" in out.output
    asked = sorted(site.paths_requested())  # the key still reaches the publisher
    assert asked == [f"/en/ftc-ai-inquiry.html?apikey={SECRET}&id=1", "/en/phone-review.html"]
    kept = flow_runs_parameters("backfill-urls")
    assert kept, "the flow run was not found"
    shown = json.dumps(kept)
    assert SECRET not in shown, shown
    assert "ftc-ai-inquiry.html?apikey=***&id=1" in shown  # the operator still sees which page


runner = CliRunner()


def test_keys_of_pages_given_to_the_flow_as_plain_strings_are_not_kept_either(
    tmp_path: Path, site: SiteServer
) -> None:
    """A caller of the flow itself (Python, the API, the UI's form) passes plain strings, which
    Prefect stores as given before the flow starts: the flow replaces them with their shown
    form as it starts, so the run's parameters hold no key."""
    import asyncio

    from flows.backfill import backfill_urls

    config = site_config(tmp_path, site)
    keyed = site.url(f"/en/ftc-ai-inquiry.html?apikey={SECRET}&id=1")
    result = asyncio.run(backfill_urls(urls=[keyed], config_path=str(config)))  # type: ignore[list-item]
    assert [p.fate for p in result.pages] == ["new"]
    assert site.paths_requested() == [f"/en/ftc-ai-inquiry.html?apikey={SECRET}&id=1"]
    kept = flow_runs_parameters("backfill-urls")
    shown = json.dumps(kept)
    assert SECRET not in shown, shown
    assert "ftc-ai-inquiry.html?apikey=***&id=1" in shown, shown
