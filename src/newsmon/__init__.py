"""newsmon: feeds → article bodies → dedup → topics → Slack."""

__version__ = "0.1.0"
