"""The corpus: the only code that talks to the database (SQLite by default, PostgreSQL in prod).

The corpus is the source of truth: what was seen, what it duplicates, what matched and why,
and which alerts were sent. Alerts are written here before Slack sees them (an outbox).

`records` (plain records, status enums and errors; no SQLAlchemy), `schema` (tables), `engine`
(opening and migrating), one repository per aggregate (`feeds`, `articles`, `outbox`, `runs`)
and the `Store` facade that composes them: `from newsmon.corpus import Store`.
"""

from newsmon.corpus.store import Store

__all__ = ["Store"]
