"""Where a configuration's relative paths lead: its project root, never the directory a command
happens to run in (cron starts in `$HOME`, a systemd unit without `WorkingDirectory` in `/`)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.util import asbool

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path("config/newsmon.yaml")
DEFAULT_DATABASE_URL = "sqlite:///data/newsmon.db"


def config_path(explicit: str | Path | None = None) -> Path:
    """The configuration file: the one named, else `$NEWSMON_CONFIG`, else the checkout's."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("NEWSMON_CONFIG", "").strip()
    return Path(env) if env else DEFAULT_CONFIG


def project_root(config_file: Path) -> Path:
    """The folder a relative `database_url` path is read from: the configuration's folder, or
    the one above it when that is named `config` (a checkout's `config/newsmon.yaml`: the
    corpus in `data/` beside `config/`, where `make run` has always made it)."""
    folder = Path(os.path.abspath(config_file)).parent  # `..` taken out, symlinks kept
    return folder.parent if folder.name == "config" else folder


def sqlite_file(url: str) -> str | None:
    """The file path a SQLite URL names, as written; None for another database, `:memory:`,
    a `file:` URI (SQLite opens or refuses those itself) or a URL that does not parse."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None
    database = parsed.database
    if (
        parsed.get_backend_name() != "sqlite"
        or not database
        or database == ":memory:"
        or asbool(parsed.query.get("uri"))
    ):
        return None
    return database


def anchored_database_url(url: str, config_file: Path) -> str:
    """`url` with a relative SQLite path made absolute against the project root, so every
    directory a command starts in opens the same corpus (before, cron's `$HOME` got a new empty
    one and every story was announced again). A corpus already made at that path relative to
    the current directory, with none at the root, is kept where it is, with a warning: nothing
    moves. `~/…` is the home folder. Other URLs (PostgreSQL, absolute paths, `:memory:`,
    `file:` URIs) are unchanged."""
    database = sqlite_file(url)
    if database is None:
        return url  # not a file SQLite opens by path; a URL validation refuses says so there
    parsed = make_url(url)
    if database.startswith("~"):  # the home folder, as a shell reads it (not a folder `~`)
        return parsed.set(database=str(Path(database).expanduser())).render_as_string(False)
    if Path(database).is_absolute():
        return url
    anchored = project_root(config_file) / database
    here = Path(os.path.abspath(database))
    if not anchored.exists() and here.exists() and here != anchored:
        log.warning(
            "database_url: using the corpus %s, relative to the current directory; relative "
            "paths are read from %s now: move it there or write its absolute path",
            here,
            project_root(config_file),
        )
        anchored = here
    return parsed.set(database=str(anchored)).render_as_string(False)
