"""One typed configuration, loaded from YAML, with secrets and endpoints from the environment."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)

from newsmon.channels import channel_spelling
from newsmon.config_checks import channel_comments, check_channels, feed_names_once
from newsmon.config_paths import (
    DEFAULT_CONFIG,
    DEFAULT_DATABASE_URL,
    anchored_database_url,
    config_path,
)
from newsmon.index_days import min_index_days, retention_too_short
from newsmon.urls import hide_secrets, shown_url
from newsmon.yamlfile import ConfigError, Loc, env_switch, load_yaml, problem, reworded

USER_AGENT = "newsmon/0.1 (+https://github.com/newsmon/newsmon; news monitor)"

__all__ = [
    "DEFAULT_CONFIG",
    "Config",
    "ConfigError",
    "Secrets",
    "check_channels",
    "config_path",
    "load_config",
]


def _shown_text(value: str) -> str:
    """A configured text as a repr may show it: a database URL with its password hidden (its
    host kept), any other URL without credentials (`hide_secrets`)."""
    if re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
        from newsmon.corpus.engine import redact_url

        return redact_url(value)
    return hide_secrets(value)


class _Strict(BaseModel):
    # `.inf` and `.nan` are refused: `max_age_hours: .inf` read as "no limit" made every entry
    # fail to store (null is how a limit is turned off).
    # A refused value is not quoted after its message (`input_value='https://u:pw@…'`): the
    # messages name the problem, with `shown_url` where they show a URL.
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, hide_input_in_errors=True
    )

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """`repr`/`str` (a traceback's locals, a log line) with every text's secrets hidden: a
        feed's `user:password@` and `?apikey=`, the database's password, a Slack token."""
        for name, value in super().__repr_args__():
            yield name, _shown_text(value) if isinstance(value, str) else value


# The longest durations taken: longer ones are typing mistakes, and date arithmetic on them
# overflows (past the year 9999, or timedelta's range when a backoff doubles 20 times), which
# crashed storing entries, delivery, pruning or `health` on every pass.
DECADE_HOURS = 87_660.0
DECADE_MINUTES = DECADE_HOURS * 60
YEAR_HOURS = DECADE_HOURS / 10  # a backoff's first wait, doubled up to 2**20 times

# Slack's pace and calls, bounded so that a typo (3600 for 3.6, 1e10) stops the run at load.
# Delivery waits a minute at most for a channel (`pipeline.leases.MAX_WAIT_SECONDS`): a longer
# interval posted `channel_burst` alerts a channel per pass and left the rest blaming a
# Retry-After Slack never sent. A timeout a socket cannot hold (1e10 s) failed every post as
# refused credentials (exit 4). Two minutes is far above any answer of Slack's and under half
# the default lease (a post starts only while its claim covers it by the timeout).
MAX_CHANNEL_INTERVAL_SECONDS = 60.0
MAX_SLACK_TIMEOUT_SECONDS = 120.0
# A download's whole time (`fetch.total_timeout`), likewise: a feed whose host kept trickling
# its answer outlived the feeds task (NEWSMON_FEEDS_TASK_TIMEOUT_SECONDS, 600 by default),
# which crashed the task's whole batch of ten feeds, the others recorded failed as an internal
# error. Two minutes is four times the default (`newsmon.turns.task_times`: retries too).
MAX_FETCH_TIMEOUT_SECONDS = 120.0
# A feed's parsing, a page's extraction, in a worker: hours let a hostile one outlive the task.
MAX_WORK_SECONDS = 60.0
# A worker's address space in MB (`extract.worker_memory_mb`): in bytes, a cap past 8 EiB
# (1e13, bytes meant or a slip of the exponent) overflows RLIMIT_AS, no worker could start,
# and every feed failed "workers cannot start within … MB" as if the cap were too small.
MAX_WORKER_MEMORY_MB = 1024 * 1024  # 1 TiB
# The overall pace, likewise: slower than a post a minute (0.001 for 1) posted one alert per
# pass and left the rest blaming a Retry-After Slack never sent.
MIN_POSTS_PER_SECOND = 1 / MAX_CHANNEL_INTERVAL_SECONDS


def at_most(value: float, most: float, unit: str, why: str) -> float:
    """`value` if it is at most `most`; else a problem naming the value and the range."""
    if value > most:
        raise problem(f"{value:g} is out of range (above 0, at most {most:g} {unit}): {why}")
    return value


def at_least(value: float, least: float, unit: str, why: str) -> float:
    """`value` if it is at least `least`; else a problem naming the value and the range."""
    if value < least:
        raise problem(f"{value:g} is out of range (at least {least:g} {unit}): {why}")
    return value


def known_zone(value: str) -> str:
    """`value` if it names an IANA time zone; ValueError saying so otherwise."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Seoul, UTC)") from None
    return value


# A switch that mutes a feed or every alert: pydantic's lenient mode took `1`, `"no"` or
# `"false"`, spellings a reader may take for the other value. YAML's own (true, false; 1.1's
# yes, no, on, off) are booleans before pydantic sees them.
Flag = Annotated[
    bool,
    Strict(),
    reworded("must be true or false, unquoted (not a number nor a quoted text)"),
    BeforeValidator(env_switch),
]


class FeedConfig(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=80)
    url: str
    language: Literal["ko", "en"] | None = None
    enabled: Flag = True
    # The zone of dates the feed writes without one (an IANA name): a feed that writes
    # "2025-02-20 10:00:00" meaning Seoul says Asia/Seoul. None: Seoul's for `ko`, UTC for
    # `en`, else what the feed declares or carries (`newsmon.feedzone`).
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else known_zone(value)

    @property
    def date_zone(self) -> str | None:
        """The zone of the feed's and its pages' dates written without one: its `timezone`,
        else Seoul's for a Korean feed (a Korean desk's "2025.03.04 15:05" is its own clock:
        read as UTC it was nine hours late), else None (UTC, or the feed's own: `feedzone`)."""
        return self.timezone or ("Asia/Seoul" if self.language == "ko" else None)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        # Blanks inside the quotes: ` https://…` was refused as no URL at all, `https://…/f `
        # fetched as `/f%20` (another page, a 404) and no twin of the address without it.
        if value != value.strip():
            shown = shown_url(value.strip())
            raise problem(f"{shown!r} has blanks around it inside the quotes: remove them")
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"not an http(s) URL: {shown_url(value)!r}")
        return value


Channel = Annotated[str, AfterValidator(channel_spelling)]


class SlackConfig(_Strict):
    # Channel names ("#ai-news", "ai-news") or IDs ("C0123ABCD"), kept as one spelling each
    # (`channel_spelling`).
    channels: dict[str, Channel] = Field(default_factory=dict)
    default_channel: Channel | None = "#ai-news"
    timeout: float = Field(default=15.0, gt=0)
    max_per_pass: int = Field(default=50, ge=1)
    # A missing token fails the run instead of printing alerts (deployments set it).
    required: Flag = False
    timezone: str = "Asia/Seoul"  # how times are shown in alerts and digests (stored in UTC)
    channel_interval_seconds: float = Field(default=1.0, gt=0)  # per channel, sustained
    channel_burst: int = Field(default=2, ge=1)  # back-to-back posts one channel may get
    max_per_second: float = Field(default=5.0, gt=0)  # all channels together
    # a claim older than this is taken over
    lease_seconds: float = Field(default=600.0, gt=0, le=DECADE_HOURS * 3600)
    # Waits after the 1st, 2nd, … transient failure of an alert; one more failure fails it.
    retry_delays_minutes: list[Annotated[float, Field(le=DECADE_MINUTES)]] = Field(
        default_factory=lambda: [0.0, 5.0, 20.0, 60.0, 120.0, 240.0], min_length=1
    )
    stop_after_failures: int = Field(default=3, ge=1)  # transient failures in a row end a pass
    # Where each monitor pass announces health problems once when they appear and once when
    # they are gone (newsmon.pipeline.notices); null: nowhere. Needs SLACK_BOT_TOKEN.
    ops_channel: Channel | None = None
    # A message whose earlier attempt may have posted is looked up before it is posted again;
    # when the lookup fails it waits for a later pass, until this long after that attempt, then
    # it is posted unchecked (it may show twice). None: it waits until a lookup succeeds.
    unchecked_post_after_minutes: float | None = Field(default=120.0, ge=0, le=DECADE_MINUTES)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return known_zone(value)

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: float) -> float:
        why = "a Slack call answers within seconds (the default is 15)"
        return at_most(value, MAX_SLACK_TIMEOUT_SECONDS, "seconds", why)

    @field_validator("channel_interval_seconds")
    @classmethod
    def _interval(cls, value: float) -> float:
        why = "delivery waits a minute at most for a channel (Slack's pace is 1 a second)"
        return at_most(value, MAX_CHANNEL_INTERVAL_SECONDS, "seconds", why)

    @field_validator("max_per_second")
    @classmethod
    def _overall_pace(cls, value: float) -> float:
        why = "delivery waits a minute at most for a post (Slack's pace is 1 a second)"
        return at_least(value, MIN_POSTS_PER_SECOND, "posts a second, one a minute", why)

    def unchecked_from(self, unknown_since: datetime) -> datetime | None:
        """When a message whose earlier attempt may have posted, and whose look-up keeps
        failing, is posted unchecked (None: never)."""
        hold = self.unchecked_post_after_minutes
        return None if hold is None else unknown_since + timedelta(minutes=hold)

    def channels_in_use(self) -> set[str]:
        """The channels this configuration posts to: the topics', the default and ops ones."""
        named = [*self.channels.values(), self.default_channel, self.ops_channel]
        return {c for c in named if c}

    def zone(self) -> tzinfo:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)


class FetchConfig(_Strict):
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=20.0, gt=0)
    total_timeout: float = Field(default=30.0, gt=0)
    max_feed_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_page_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    max_redirects: int = Field(default=5, ge=0, le=20)
    max_entries_per_feed: int = Field(default=100, ge=1)
    # Parsing one feed's bytes runs in a worker process (newsmon.workers) within this time and
    # `extract.worker_memory_mb`; a feed over them fails alone ("feed parsing exceeded 20 s").
    feed_parse_timeout_seconds: float = Field(default=20.0, gt=0)
    user_agent: str = USER_AGENT
    retries: int = Field(default=1, ge=0, le=5)
    # An article page that could not be downloaded (timeout, 5xx, 429, a dropped connection) is
    # stored from its teaser at once and tried again on later passes, at most this many times,
    # backing off like a feed (poll.soft_backoff_minutes, doubling; Retry-After wins); so is a
    # page whose worker stalled or died under it (newsmon.pipeline.page_tries).
    page_retries: int = Field(default=4, ge=0, le=20)
    # A feed's article pages (new, edited, and retried) get their download turn within this
    # many seconds of the feed's start; pages still queued for a busy host then are stored from
    # their teasers and tried on a later pass (newsmon.turns). Keep it well under the feeds
    # task's timeout (NEWSMON_FEEDS_TASK_TIMEOUT_SECONDS, 600).
    feed_pages_budget_seconds: float = Field(default=240.0, gt=0)
    max_connections: int = Field(default=32, ge=1, le=512)  # requests in flight, all hosts
    per_host: int = Field(default=2, ge=1, le=32)  # requests in flight to one host
    # Article links and redirects come from third parties: by default they may reach only
    # globally routable addresses. The hosts of configured feed URLs are the user's choice.
    allow_private_networks: Flag = False
    # Networks reachable although not public (an intranet news site), e.g. ["10.8.0.0/16"].
    allowed_networks: list[str] = Field(default_factory=list)

    @field_validator("total_timeout")
    @classmethod
    def _total(cls, value: float) -> float:
        why = "a download's whole time; the feeds task gives a batch of feeds 600 s by default"
        return at_most(value, MAX_FETCH_TIMEOUT_SECONDS, "seconds", why)

    @field_validator("feed_parse_timeout_seconds")
    @classmethod
    def _parse(cls, value: float) -> float:
        why = "a feed's parsing in a worker; the default is 20 (the feeds task gives 600)"
        return at_most(value, MAX_WORK_SECONDS, "seconds", why)

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for text in value:
            try:
                ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise ValueError(f"not a network: {text!r} (write e.g. 10.8.0.0/16)") from None
        return value


class PollConfig(_Strict):
    """When a feed is due again: its own hints, bounded, and backoff after failures."""

    # cap on ttl / max-age / Retry-After
    max_interval_hours: float = Field(default=24.0, gt=0, le=DECADE_HOURS)
    # timeouts, 429, 5xx, DNS: doubles
    soft_backoff_minutes: float = Field(default=5.0, gt=0, le=YEAR_HOURS * 60)
    # 404, 410, not a feed: doubles
    hard_backoff_hours: float = Field(default=1.0, gt=0, le=YEAR_HOURS)
    max_backoff_hours: float = Field(default=24.0, gt=0, le=DECADE_HOURS)


class AlertsConfig(_Strict):
    enabled: Flag = True
    # Stories older than this are stored and classified but not announced: a first pass over a
    # feed's back catalogue must not flood Slack. null disables the limit.
    max_age_hours: float | None = Field(default=72.0, gt=0, le=DECADE_HOURS)


class ExtractConfig(_Strict):
    """Budgets of the CPU work done on one page (newsmon.workers): a page over them is stored
    with its feed's summary and the reason, and its worker process is replaced."""

    page_timeout_seconds: float = Field(default=10.0, gt=0)  # extraction, rules, hashes
    worker_memory_mb: int = Field(default=1024, ge=256)  # address space of one worker process
    max_text_chars: int = Field(default=200_000, ge=1000)  # stored article text; noted if cut
    tasks_per_worker: int = Field(default=200, ge=1)  # pages and feeds before a worker is recycled

    @field_validator("page_timeout_seconds")
    @classmethod
    def _page(cls, value: float) -> float:
        why = "a page's extraction in a worker; the default is 10 (the feeds task gives 600)"
        return at_most(value, MAX_WORK_SECONDS, "seconds", why)

    @field_validator("worker_memory_mb")
    @classmethod
    def _memory(cls, value: int) -> int:
        if value > MAX_WORKER_MEMORY_MB:
            raise problem(
                f"{value:g} is out of range (256 to {MAX_WORKER_MEMORY_MB} MB, 1 TiB): a "
                "worker's address space in megabytes (the default 1024 is 1 GiB)"
            )
        return value


class DedupConfig(_Strict):
    """How long the near-duplicate index remembers a story. A similar text joins only a story
    out within a week of it, so the band rows of old stories are never used by a live pass;
    each pass drops those of stories first seen more than `index_days` ago (the articles, their
    signatures and hashes stay: an identical body is still found at any age). null keeps them
    for ever; see `Config.index_days`."""

    index_days: float | None = Field(default=30.0, gt=0, le=10 * DECADE_HOURS / 24)
    prune_per_pass: int = Field(default=5000, ge=1)  # articles whose bands a pass drops


class Config(_Strict):
    database_url: str = DEFAULT_DATABASE_URL  # a relative path: see `anchored_database_url`
    feeds: list[FeedConfig] = Field(default_factory=list)
    topics_file: Path = Path("topics.yaml")
    slack: SlackConfig = Field(default_factory=SlackConfig)
    fetch: FetchConfig = Field(default_factory=FetchConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    poll: PollConfig = Field(default_factory=PollConfig)
    extract: ExtractConfig = Field(default_factory=ExtractConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    # Worker processes for pages' CPU work: null = one per core; 0 = in the pass's own process,
    # without budgets (for debugging only).
    workers: int | None = Field(default=None, ge=0, le=64)
    # Set by the loader: where this configuration came from.
    source: Path | None = None

    @model_validator(mode="after")
    def _unique_feeds(self) -> Config:
        seen: set[str] = set()
        for feed in self.feeds:
            if feed.name in seen:
                raise ValueError(f"feed name {feed.name!r} is used twice")
            seen.add(feed.name)
        return self

    @field_validator("dedup")
    @classmethod
    def _safe_retention(cls, dedup: DedupConfig, info: ValidationInfo) -> DedupConfig:
        alerts = info.data.get("alerts")  # absent when alerts itself was refused
        if alerts is not None and "index_days" in dedup.model_fields_set:
            reason = retention_too_short(dedup.index_days, alerts.max_age_hours)
            if reason:
                raise problem(f"index_days {reason}")
        return dedup

    def index_days(self) -> float | None:
        """Days a story stays in the near-duplicate index (None: for ever). As configured when
        `dedup.index_days` is set; by default 30, or longer when the alert age limit asks for
        it, and for ever when there is no age limit (`min_index_days`)."""
        days, floor = self.dedup.index_days, min_index_days(self.alerts.max_age_hours)
        if days is None or "index_days" in self.dedup.model_fields_set:
            return days
        return None if floor is None else max(days, floor)

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        from newsmon.corpus.engine import url_problem

        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        why = url_problem(value)  # never quoting the URL: it holds the password
        if why:
            raise problem(why)
        return value

    def topics_path(self) -> Path:
        base = self.source.parent if self.source else Path.cwd()
        return self.topics_file if self.topics_file.is_absolute() else base / self.topics_file


@dataclass(frozen=True)
class Secrets:
    """Credentials read from the environment only; never printed, logged or stored."""

    slack_bot_token: str | None = None
    slack_webhook_url: str | None = None
    slack_api_url: str | None = None

    @classmethod
    def from_env(cls) -> Secrets:
        def env(name: str) -> str | None:
            value = os.environ.get(name, "").strip()
            return value or None

        return cls(
            slack_bot_token=env("SLACK_BOT_TOKEN"),
            slack_webhook_url=env("SLACK_WEBHOOK_URL"),
            slack_api_url=env("NEWSMON_SLACK_API_URL"),
        )

    @property
    def webhook_only(self) -> bool:
        """Alerts go through an incoming webhook (one fixed channel), not the Web API."""
        return bool(self.slack_webhook_url and not self.slack_bot_token)

    def __repr__(self) -> str:  # keep tokens out of tracebacks and logs
        # The API URL too: it may carry credentials (user:password@) or name a private host.
        return (
            f"Secrets(slack_bot_token={'set' if self.slack_bot_token else 'unset'}, "
            f"slack_webhook_url={'set' if self.slack_webhook_url else 'unset'}, "
            f"slack_api_url={'set' if self.slack_api_url else 'unset'})"
        )

    __str__ = __repr__


def _feed_note(data: dict[str, Any], loc: Loc) -> str:
    """Name the offending feed by its name, not just its index."""
    if len(loc) >= 2 and loc[0] == "feeds" and isinstance(loc[1], int):
        feeds = data.get("feeds") or []
        if loc[1] < len(feeds) and isinstance(feeds[loc[1]], dict) and feeds[loc[1]].get("name"):
            return f" (feed {feeds[loc[1]]['name']!r})"
    return ""


def load_config(path: str | Path | None = None) -> Config:
    """Load and validate; raise ConfigError naming file, line, key and reason."""
    file = config_path(path)
    doc = load_yaml(file)
    if doc.empty:  # a failed copy or a truncated deploy: every pass monitored nothing, "ok"
        raise ConfigError(
            f"{file}: the file is empty (or only comments): no feed would be read; write its "
            "settings (see config/newsmon.yaml)"
        )
    if not isinstance(doc.data, dict):
        raise doc.error((), "the file must hold a mapping of settings")
    channel_comments(doc)
    feed_names_once(doc)
    data = dict(doc.data)
    env_db = os.environ.get("NEWSMON_DATABASE_URL", "").strip()
    url = env_db or data.get("database_url", DEFAULT_DATABASE_URL)
    if isinstance(url, str):  # a relative path, the variable's too, from the project root
        data["database_url"] = anchored_database_url(url, file)

    def note(loc: Loc) -> str:
        if env_db and loc[:1] == ("database_url",):  # not the file's: it may be right
            return " (the URL of NEWSMON_DATABASE_URL, which overrides the file's)"
        return _feed_note(data, loc)

    config = doc.validate(Config, {**data, "source": file}, note=note)
    if not config.topics_path().is_file():
        raise doc.error(("topics_file",), f"file not found: {config.topics_path()}")
    return config
