"""Which statements of a corpus call read a whole table: the database's own plan, not a timing.

Each SELECT the call runs is explained again with its parameters. On PostgreSQL sequential
scans are switched off for the EXPLAIN (`enable_seqscan`), so a small test table is planned as
a large one would be: a whole-table read remains only where no index can serve the query.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import event

from newsmon.corpus import Store


def scans_of(store: Store, table: str, call: Callable[[], Any]) -> list[str]:
    """The SELECTs `call` runs whose plan reads every row of `table` itself: a sequential scan,
    or an index walked end to end fetching each row (SQLite does so, without statistics, to
    spare a GROUP BY or DISTINCT its sort). Reading a narrow index whole without the
    table (a covering index: a count per feed) is not one."""
    run: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, sql: str, params: Any, *args: Any) -> None:
        if sql.lstrip().upper().startswith("SELECT"):
            run.append((sql, params))

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        call()
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    found = []
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            for sql, params in run:
                plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, params).scalar()
                text = plan if isinstance(plan, str) else json.dumps(plan)
                if any(_reads_all(node, table) for node in _nodes(json.loads(text)[0]["Plan"])):
                    found.append(f"{sql}\n--\n{text}")
        else:
            # "SCAN t USING INDEX i": every row of t, fetched in i's order (no COVERING)
            whole = re.compile(rf"\bSCAN {table}(?: USING INDEX \w+)?$", re.M)
            for sql, params in run:
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
                plan = "\n".join(str(row[-1]) for row in rows)
                if whole.search(plan):
                    found.append(f"{sql}\n--\n{plan}")
    return found


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _reads_all(node: dict[str, Any], table: str) -> bool:
    if node.get("Relation Name") != table:
        return False
    kind = node["Node Type"]
    return kind == "Seq Scan" or (kind == "Index Scan" and "Index Cond" not in node)
