"""A Prefect API that refuses an artifact (a restart, an outage, a proxy's 503) costs the
artifact, never the run: `backfill`, `backfill-urls` and `digest` did their job and recorded it,
then the summary (or progress) artifact raised and the run was recorded crashed, or its flow
run ended Failed, for a table in the UI."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsmon.corpus import Store
from newsmon.corpus.records import RunStatus
from newsmon.devsite import SiteServer
from tests.flows.test_monitor_flow import site_config
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")


def refused(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("Prefect API answered 503")


def runs(tmp_path: Path, flow: str) -> list[tuple[RunStatus, str | None]]:
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}", migrate=False)
    try:
        return [(r.status, r.error) for r in store.runs.recent_runs(flow)]
    finally:
        store.close()


def test_artifacts_prefect_refuses_leave_backfills_and_digests_completed(
    tmp_path: Path,
    site: SiteServer,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import flows.backfill
    import flows.digest
    from flows.backfill import backfill, backfill_urls
    from flows.digest import digest

    for module, names in (
        (
            flows.backfill,
            (
                "create_markdown_artifact",
                "create_table_artifact",
                "create_progress_artifact",
                "update_progress_artifact",
            ),
        ),
        (flows.digest, ("create_markdown_artifact",)),
    ):
        for name in names:
            monkeypatch.setattr(module, name, refused)
    config = site_config(tmp_path, site)

    result = backfill(since=datetime.now(UTC).date(), config_path=str(config))
    assert result.outcome.articles == 0
    assert runs(tmp_path, "backfill") == [(RunStatus.COMPLETED, None)]

    pages = asyncio.run(
        backfill_urls(urls=[f"{site.base}/en/phone-review.html"], config_path=str(config))
    )
    assert [p.fate for p in pages.pages] != ["failed"]
    assert runs(tmp_path, "backfill-urls") == [(RunStatus.COMPLETED, None)]

    digest(config_path=str(config))
    assert runs(tmp_path, "digest") == [(RunStatus.COMPLETED, None)]
