"""Checks of a configuration beyond its own keys and types: the channel mapping against the
topic rules, channels YAML read as comments, a feed name given twice; and what `newsmon config
check` warns of. Each names file, line and key."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from newsmon.yamlfile import ConfigError, Loc, LocatedYaml, load_yaml

if TYPE_CHECKING:
    from newsmon.config import Config


def check_channels(config: Config, topics: Collection[str], *, webhook: bool = False) -> None:
    """Refuse a channel mapping that disagrees with the topic rules: a key that is no topic (a
    typo sent the topic it meant to the default channel) or, with no default channel, a topic
    without a channel (never announced). A webhook posts every topic to its one channel."""
    known = sorted(topics)
    for topic in config.slack.channels:
        if topic not in topics:
            where = f"{config.topics_file} (its topics: {', '.join(known)})"
            raise _located(
                config, ("slack", "channels", topic), f"{topic!r} is not a topic of {where}"
            )
    lost = [repr(t) for t in known if t not in config.slack.channels]
    if lost and not webhook and not config.slack.default_channel:
        reason = (
            f"null, and slack.channels names no channel for topic {', '.join(lost)}: its "
            "stories would never be announced (name a channel for it, or a default channel)"
        )
        raise _located(config, ("slack", "default_channel"), reason)


def config_warnings(config: Config) -> list[str]:
    """What a pass would run with but an operator must hear of, each with file, line and key:
    no feed enabled (every pass monitors nothing and looks healthy), and a feed configured
    again under another name at a spelling of its address (`feed_twins.twin_feeds`: a pass
    reads only the first and warns each time)."""
    from newsmon.feed_twins import twin_feeds

    enabled = [(i, f) for i, f in enumerate(config.feeds) if f.enabled]
    if not enabled:
        return [str(_located(config, ("feeds",), "no feed is enabled: a pass monitors nothing"))]
    index = {f.name: i for i, f in enabled}
    doc = load_yaml(config.source) if config.source is not None else None
    out = []
    for twin, reader in twin_feeds((f.name, (f.url,)) for _, f in enabled).items():
        line = doc.line_of(("feeds", index[reader], "url")) if doc else None
        reason = (
            f"feed {twin!r} is feed {reader!r} (feeds.{index[reader]}, line {line}) at another "
            f"spelling of its address: a pass reads only {reader!r}; remove one"
        )
        out.append(str(_located(config, ("feeds", index[twin], "url"), reason)))
    return out


def _located(config: Config, loc: Loc, reason: str) -> ConfigError:
    """A problem of a loaded configuration, named by file and line as the loader would."""
    if config.source is None:
        return ConfigError(f"{'.'.join(map(str, loc))}: {reason}")
    return load_yaml(config.source).error(loc, reason)


def channel_comments(doc: LocatedYaml) -> None:
    """Refuse a channel written without quotes: `ops_channel: #newsmon-ops` is a key left
    empty (YAML starts a comment at `#`), so health notices went nowhere, unsaid."""
    slack = doc.data.get("slack")
    if not isinstance(slack, dict):
        return
    channels = slack.get("channels")
    locs: list[Loc] = [("slack", "default_channel"), ("slack", "ops_channel")]
    if isinstance(channels, dict):
        locs += [("slack", "channels", topic) for topic in channels]
    for loc in locs:
        name = doc.comment_as_value(loc)
        if name is not None:
            reason = f'"{name}" is read as a comment, leaving the key empty: quote it ("{name}")'
            raise doc.error(loc, reason)


def feed_names_once(doc: LocatedYaml) -> None:
    """Refuse a feed name given twice at the second one, naming the line of the first (the
    model's own check can say neither: a feed's state is kept by its name)."""
    feeds = doc.data.get("feeds")
    first: dict[str, int] = {}
    for i, feed in enumerate(feeds if isinstance(feeds, list) else []):
        name = feed.get("name") if isinstance(feed, dict) else None
        if not isinstance(name, str):
            continue
        if name in first:
            line = doc.line_of(("feeds", first[name], "name"))
            reason = f"feed name {name!r} is used twice (first as feeds.{first[name]}, line {line})"
            raise doc.error(("feeds", i, "name"), reason)
        first[name] = i
