"""Named leases: one owner at a time for a job several workers could do at once.

A lease is a row (`leases`) with an owner and an expiry. Taking it is one conditional UPDATE,
atomic on SQLite and PostgreSQL alike; an owner that crashed stops holding it when it expires.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from newsmon.clock import utcnow
from newsmon.corpus.engine import Database
from newsmon.corpus.schema import LeaseRow


class Leases:
    """Take, renew and release named leases."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def acquire(self, name: str, owner: str, ttl: timedelta) -> bool:
        """Take the lease (or renew it, when `owner` holds it); False while someone else does."""
        self._ensure(name)
        now = utcnow()
        with self._db.session() as s:
            taken = s.execute(
                update(LeaseRow)
                .where(
                    LeaseRow.name == name,
                    or_(
                        LeaseRow.owner.is_(None),
                        LeaseRow.owner == owner,
                        LeaseRow.expires_at < now,
                    ),
                )
                .values(owner=owner, expires_at=now + ttl)
            )
            return bool(taken.rowcount)  # type: ignore[attr-defined]

    def release(self, name: str, owner: str) -> None:
        """Give the lease up, if `owner` still holds it."""
        with self._db.session() as s:
            s.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, LeaseRow.owner == owner)
                .values(owner=None, expires_at=None)
            )

    def holder(self, name: str) -> str | None:
        """Who holds the lease now (None when free or expired)."""
        with self._db.session() as s:
            row = s.get(LeaseRow, name)
            if row is None or row.owner is None or row.expires_at is None:
                return None
            return row.owner if row.expires_at >= utcnow() else None

    def _ensure(self, name: str) -> None:
        with self._db.session() as s:
            if s.scalar(select(LeaseRow.name).where(LeaseRow.name == name)) is not None:
                return
        try:
            with self._db.session() as s:
                s.add(LeaseRow(name=name))
        except IntegrityError:  # another worker created it first
            pass
