"""One factory for newsmon configurations in tests: the YAML an operator would write, as text,
as a file, or loaded into a `Config`.

Defaults suit a test on loopback: a SQLite corpus in the test's folder, the shipped topic rules,
no retries, loopback pages allowed, alerts for stories of any age (sample dates are old), and
Slack pacing 20 times Slack's (the same buckets, so a pass still paces; pacing itself is timed
with real intervals in tests/integration/test_delivery.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from newsmon.config import Config, load_config
from tests.conftest import SHIPPED_TOPICS

# A feed: (name, url) or (name, url, language); a url starting with "/" is joined to `base`.
Feed = tuple[str, str] | tuple[str, str, str | None]

DEFAULT_FETCH: dict[str, Any] = {"retries": 0, "allow_private_networks": True}
DEFAULT_ALERTS: dict[str, Any] = {"max_age_hours": None}
# One post per 0.05 s per channel instead of one per second: a pass announcing a few dozen
# stories would otherwise spend that many seconds waiting on the pacer.
DEFAULT_SLACK: dict[str, Any] = {
    "channel_interval_seconds": 0.05,
    "channel_burst": 2,
    "max_per_second": 100.0,
}


def config_data(
    folder: Path,
    *,
    feeds: Iterable[Feed] = (),
    base: str = "",
    database_url: str | None = None,
    topics: Path = SHIPPED_TOPICS,
    channels: Mapping[str, str] | None = None,
    default_channel: str | None = None,
    fetch: Mapping[str, Any] | None = None,
    alerts: Mapping[str, Any] | None = None,
    slack: Mapping[str, Any] | None = None,
    dedup: Mapping[str, Any] | None = None,
    extract: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The configuration as plain data; `fetch` and `alerts` are merged over the defaults;
    `slack` holds further slack settings (pacing, leases, retries), merged over the defaults;
    `dedup` and `extract` are written only when given."""
    data: dict[str, Any] = {
        "database_url": database_url or f"sqlite:///{folder / 'corpus.db'}",
        "topics_file": str(topics),
        "feeds": [],
    }
    for name, url, *language in feeds:
        feed: dict[str, Any] = {"name": name, "url": base + url if url.startswith("/") else url}
        if language and language[0]:
            feed["language"] = language[0]
        data["feeds"].append(feed)
    section: dict[str, Any] = {**DEFAULT_SLACK, **(slack or {})}
    if channels:
        section["channels"] = dict(channels)
    if default_channel:
        section["default_channel"] = default_channel
    data["slack"] = section
    data["alerts"] = {**DEFAULT_ALERTS, **(alerts or {})}
    data["fetch"] = {**DEFAULT_FETCH, **(fetch or {})}
    if extract is not None:
        data["extract"] = dict(extract)
    if dedup is not None:
        data["dedup"] = dict(dedup)
    return data


class _Dumper(yaml.SafeDumper):
    """Block style with list items indented under their key, as config/newsmon.yaml does."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def config_text(folder: Path, **options: Any) -> str:
    """The configuration as YAML text (see `config_data` for the options)."""
    data = config_data(folder, **options)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def write_config(folder: Path, *, name: str = "newsmon.yaml", **options: Any) -> Path:
    """Write the configuration to `folder`/`name` and return its path."""
    path = folder / name
    path.write_text(config_text(folder, **options), encoding="utf-8")
    return path


def make_config(folder: Path, **options: Any) -> Config:
    """Write the configuration and load it, as `newsmon` would."""
    return load_config(write_config(folder, **options))
