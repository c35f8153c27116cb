"""Slack channels as the configuration names them: one spelling per channel.

Whatever is grouped by channel (one alert per story and channel, pacing, digests, health,
`newsmon slack check`) is grouped by the configured string, so each channel is kept in one
spelling: an ID as written, a name as `#name` in lower case (Slack's names have neither
capitals nor blanks). Before, ` #ai-policy` was posted with its blank (channel_not_found),
`#x` and `x` got one alert each in one channel, and `#AI-Policy` was found neither by the
look-up of a lost post nor by `newsmon slack check`.
"""

from __future__ import annotations

import re

CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")  # Slack's conversation IDs


def is_channel_id(channel: str) -> bool:
    return bool(CHANNEL_ID.match(channel))


def channel_spelling(value: str) -> str:
    """The one spelling of a configured channel; ValueError for what no channel is called."""
    text = value.strip()
    if is_channel_id(text):
        return text
    name = text.removeprefix("#")
    if not name:
        raise ValueError(f"empty channel name {value!r}: name one, or leave the key out")
    if any(c.isspace() for c in name) or name.startswith("#"):
        raise ValueError(
            f"{value!r} is no Slack channel name (names have no blanks; IDs look like C0123ABCD)"
        )
    return "#" + name.lower()
