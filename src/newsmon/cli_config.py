"""`newsmon config check`: every mistake in the configuration and topic rules, before the
scheduled pass meets it. Reads the files only: no database, no Prefect, no network.

Registered on the `newsmon` command by importing this module (newsmon.cli does).
"""

from __future__ import annotations

import typer

from newsmon.cli import ConfigOption, _validated, app
from newsmon.config import config_path
from newsmon.config_checks import config_warnings

config_app = typer.Typer(
    help="Check the configuration.", no_args_is_help=True, pretty_exceptions_show_locals=False
)
app.add_typer(config_app, name="config")


@config_app.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Validate the configuration, its topic rules and the channel mapping as a pass would,
    without opening the corpus; exit 2 with file, line, key and reason on the first mistake.
    What a pass runs with but should not (no feed enabled, one feed under two names) is a
    warning with file, line and key (exit 0)."""
    cfg, rules = _validated(config)
    for warning in config_warnings(cfg):
        typer.echo(f"newsmon: warning: {warning}", err=True)
    feeds = len(cfg.feeds)
    enabled = sum(f.enabled for f in cfg.feeds)
    topics = len(rules.labels)
    typer.echo(
        f"{config_path(config)}: ok: {feeds} feed{'s' if feeds != 1 else ''} ({enabled} "
        f"enabled), {topics} topic{'s' if topics != 1 else ''} from {cfg.topics_path()}"
    )
