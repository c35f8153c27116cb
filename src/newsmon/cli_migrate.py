"""`newsmon migrate`: the corpus's schema to this newsmon's revision now, or to an earlier one
(`--to`) before rolling the release back.

Registered on the `newsmon` command by importing this module (newsmon.cli does).
"""

from __future__ import annotations

from typing import Annotated

import typer

from newsmon.cli import (
    EXIT_DATABASE,
    EXIT_SCHEMA,
    ConfigOption,
    _config,
    _fail,
    _store,
    app,
)
from newsmon.corpus import Store
from newsmon.corpus.records import SchemaError, SchemaState, StoreError

ToOption = Annotated[
    str | None,
    typer.Option(
        "--to",
        metavar="REVISION",
        help="Walk the schema to this revision, down too (before going back to the release "
        "that knows it as its newest)",
    ),
]


@app.command()
def migrate(config: ConfigOption = None, to: ToOption = None) -> None:
    """Bring the corpus's schema up to this newsmon's revision now (a pass does it at start;
    commands that only read never do), or walk it to `--to`'s revision."""
    cfg = _config(config)
    if to is not None:
        _migrate_to(cfg.database_url, to)
        return
    from newsmon.corpus.engine import missing_sqlite_file
    from newsmon.migrations import head_revision

    if missing := missing_sqlite_file(cfg.database_url):  # reading would refuse it
        _store(cfg).close()
        typer.echo(f"corpus created at {missing}, schema revision {head_revision()}")
        return
    try:
        store = Store.open(cfg.database_url, read_only=True)
    except SchemaError as exc:
        if exc.state is SchemaState.AHEAD:
            raise _fail(EXIT_SCHEMA, str(exc)) from None
        _store(cfg).close()  # EMPTY: this connection may not write; exit 3 says why
        typer.echo(f"schema migrated from revision {exc.found} to {exc.expected}")
        return
    except StoreError as exc:
        raise _fail(EXIT_DATABASE, str(exc)) from None
    store.close()
    typer.echo(f"schema at revision {head_revision()}, this newsmon's: nothing to migrate")


def _migrate_to(url: str, target: str) -> None:
    """Walk the schema to `target` under the migration lock: a release rolled back refuses a
    schema newer than its own ("upgraded by a newer newsmon?"), and nothing else walks it."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from newsmon.corpus.engine import open_engine, redact_url
    from newsmon.migrations import migrate_to

    try:
        engine = open_engine(url, migrate=False)
    except StoreError as exc:
        raise _fail(EXIT_DATABASE, str(exc)) from None
    try:
        found, reached = migrate_to(engine, target)
    except CommandError as exc:  # a revision unknown here (asked for, or the corpus's own)
        first = str(exc).strip().splitlines()[0]
        raise _fail(EXIT_SCHEMA, f"cannot migrate to {target!r}: {first}") from None
    except StoreError as exc:
        raise _fail(EXIT_DATABASE, str(exc)) from None
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise _fail(EXIT_DATABASE, f"database {redact_url(url)}: {first}") from None
    finally:
        engine.dispose()
    if found == reached:
        typer.echo(f"schema at revision {reached} already: nothing to migrate")
    else:
        typer.echo(f"schema migrated from revision {found} to {reached}")
