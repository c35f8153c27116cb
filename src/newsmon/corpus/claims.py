"""Claiming outbox rows (alerts, thread replies) for one delivery: the claim, the lease, results.

A row is claimed before anything is posted (pending → sending, with an owner token and a lease
expiry) and only the owner records the result. Two deliveries never hold the same row: on
PostgreSQL the candidate rows are locked `FOR UPDATE SKIP LOCKED` inside the claiming UPDATE;
on SQLite the claim is one conditional UPDATE statement, which SQLite runs under its single
writer lock. A lease that expires (its owner died) makes the row claimable again, flagged as an
unknown outcome (`post_started_at` stays set) so the next owner looks for it in Slack first.

A claim made in a Prefect flow run carries the run's id in its token (`claim_token`), so a run
whose process was killed lets its claims go at once (`lapse_flow_run`) instead of at lease end.
"""

from __future__ import annotations

import itertools
import secrets
import time
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from newsmon.clock import utcnow
from newsmon.corpus.engine import shared_now
from newsmon.corpus.holds import FORMER_NOTES, Hold, HoldReason
from newsmon.corpus.records import AlertStatus, Claim
from newsmon.corpus.schema import AlertRow, DigestRow, HealthNoticeRow, ReplyRow
from newsmon.corpus.slack_waits import waiting_channels

Model = type[AlertRow] | type[ReplyRow]
# An earlier attempt's start is "earlier" when it precedes this claim by more than this.
_SAME_CLAIM = timedelta(milliseconds=1)
_BUSY_TRIES, _BUSY_WAIT = 50, 0.02  # another delivery's claim in flight: wait up to a second


def requeued() -> dict[str, Any]:
    """What re-queuing an alert or a thread reply writes: pending again, its tries (and when it
    gave up) starting over. One place for `retry_alerts`, `retry_failed_replies` and the
    replies an alert's re-queue brings back."""
    return {
        "status": AlertStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": None,
        "last_error": None,
        "hold_reason": None,
        "failed_at": None,
    }


# A process's claims in one flow run told apart by a counter from a random start: unique
# within the process, and unlikely to meet another process's in the same run (a retry).
_CLAIMS = itertools.count(secrets.randbits(32))
_RUN_HEX = 32  # a flow run's UUID as hex, then 8 hex digits of `_CLAIMS`: 40, `claimed_by`'s size


def run_prefix(flow_run: str | None) -> str | None:
    """The start of the tokens of claims made in Prefect flow run `flow_run` (None: not one)."""
    try:
        return uuid.UUID(flow_run).hex if flow_run else None
    except ValueError:
        return None


def claim_token(flow_run: str | None = None) -> str:
    """A claim's owner token: random, or the flow run's id and a counter, so the claims of a run
    whose process was killed can be found by the run (`lapse_flow_run`)."""
    prefix = run_prefix(flow_run)
    if prefix is None:
        return uuid.uuid4().hex
    return f"{prefix}{next(_CLAIMS) % 2**32:08x}"


def new_claim(lease: timedelta, now: datetime | None = None, flow_run: str | None = None) -> Claim:
    """A claim from `now` (the database's clock: `Store.new_claim`) for `lease`, made in
    Prefect flow run `flow_run` if one."""
    deadline = time.monotonic() + lease.total_seconds()
    now = now or utcnow()
    return Claim(claim_token(flow_run), now, now + lease, deadline)


def lapse_flow_run(s: Session, flow_run: str, now: datetime) -> int:
    """End now the leases of the alerts, replies, digests and notices that Prefect flow run
    `flow_run` (its process killed) holds `sending`: claimable at once, flagged exactly as a
    lapsed lease (`post_started_at` kept), so the next owner looks each post up before posting
    it. Rows it recorded keep their token and are not `sending`: untouched. How many."""
    prefix = run_prefix(flow_run)
    if prefix is None:
        return 0
    lapsed = 0
    for model in (AlertRow, ReplyRow, DigestRow, HealthNoticeRow):
        done = s.execute(
            update(model)
            .where(
                model.status == AlertStatus.SENDING,
                model.claimed_by.like(f"{prefix}%"),  # hex: nothing LIKE reads as wild
                func.length(model.claimed_by) == _RUN_HEX + 8,
                model.lease_until >= now,
            )
            .values(lease_until=now - timedelta(seconds=1))
            .execution_options(synchronize_session=False)
        )
        lapsed += int(getattr(done, "rowcount", 0) or 0)
    return lapsed


def listed(
    model: Model,
    blocked: Collection[str],
    status: str | None,
    in_channel: ColumnElement[bool] | None,
    reason: HoldReason | None = None,
) -> list[Any]:
    """The filters of a listing of alerts or replies (`newsmon alerts`): status "blocked" means
    pending in a channel of `blocked` (Slack refuses it); `in_channel`: those of one channel
    (under any of its spellings); `reason`: held back for it."""
    where: list[Any] = [] if reason is None else [held_for(model, reason)]
    if status == "blocked":
        where += [model.status == AlertStatus.PENDING, model.channel.in_(list(blocked))]
    elif status is not None:
        where.append(model.status == AlertStatus(status))
    if in_channel is not None:
        where.append(in_channel)
    return where


def held_for(model: Model, reason: HoldReason) -> ColumnElement[bool]:
    """Held back for `reason`: stored with it, or held back without one (by an older release's
    pass, `holds.held_because`) under a note naming it then."""
    notes = FORMER_NOTES.get(reason, ())
    if not notes:
        return model.hold_reason == reason
    legacy = and_(
        model.status == AlertStatus.SKIPPED,
        model.hold_reason.is_(None),
        or_(*(model.last_error.like(note) for note in notes)),
    )
    return or_(model.hold_reason == reason, legacy)


def claimable(model: Model, now: datetime) -> Any:
    """Pending and due, or held by a claim whose lease has expired."""
    return or_(
        and_(
            model.status == AlertStatus.PENDING,
            or_(model.next_attempt_at.is_(None), model.next_attempt_at <= now),
        ),
        and_(model.status == AlertStatus.SENDING, model.lease_until < now),
    )


@dataclass(frozen=True)
class Filter:
    """Which rows a claim may take: channels left out or the only one, ids already tried."""

    skip_channels: Collection[str] = ()
    only_channel: str | None = None
    skip_ids: Collection[int] = ()


def claim_rows(
    s: Session, model: Model, claim: Claim, limit: int, where: Sequence[Any], filt: Filter
) -> list[int]:
    """Claim up to `limit` rows, channels taken in turn (the first of each, then the second…).

    Returns the claimed ids. `where` adds conditions of the caller (a reply's parent sent).
    Rows this claim already holds under `where` count toward `limit`: a claim run again
    (`rerun_if_dropped`) after its COMMIT's answer was lost holds its first run's rows, and
    returned twice its limit; a story's replies claimed to join its first ones hold those.
    """
    mine = select(model.id).where(
        model.claimed_by == claim.token, model.status == AlertStatus.SENDING
    )
    limit -= s.scalar(select(func.count()).select_from(mine.where(*where).subquery())) or 0
    now = claim.started
    conditions = [claimable(model, now), *where]
    # a channel Slack asked to wait: its rows (queued before or since) are not posted into it
    if waiting := waiting_channels(s, now):
        conditions.append(model.channel.not_in(list(waiting)))
    if filt.skip_channels:
        conditions.append(model.channel.not_in(list(filt.skip_channels)))
    if filt.only_channel is not None:
        conditions.append(model.channel == filt.only_channel)
    if filt.skip_ids:
        conditions.append(model.id.not_in(list(filt.skip_ids)))
    turn = func.row_number().over(partition_by=model.channel, order_by=model.id).label("turn")
    ranked = select(model.id.label("id"), turn).where(*conditions).subquery()
    fair = select(ranked.c.id).order_by(ranked.c.turn, ranked.c.id).limit(limit)
    # PostgreSQL: lock the chosen rows, skipping those another delivery is claiming right now
    # (ignored on SQLite, whose single UPDATE statement is atomic under its writer lock).
    locked = (
        select(model.id).where(model.id.in_(fair), *conditions).with_for_update(skip_locked=True)
    )
    claiming = (
        update(model)
        .where(model.id.in_(locked), *conditions)
        .values(
            status=AlertStatus.SENDING,
            claimed_by=claim.token,
            lease_until=claim.lease_until,
            post_started_at=func.coalesce(model.post_started_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    for _ in range(_BUSY_TRIES if limit > 0 else 0):
        done = s.execute(claiming)
        if getattr(done, "rowcount", 0):
            break
        # Nothing claimed: either nothing is claimable, or every chosen row was being claimed
        # by another delivery at this instant (skipped) — then look again once it committed.
        if s.scalar(select(model.id).where(*conditions).limit(1)) is None:
            break
        time.sleep(_BUSY_WAIT)
    return list(s.scalars(mine.order_by(model.id)))


def unknown_since(row: AlertRow | ReplyRow, claim: Claim) -> datetime | None:
    """When an earlier attempt of this row may have posted it, if one may have."""
    started = row.post_started_at
    if started is not None and started < claim.started - _SAME_CLAIM:
        return started
    return None


def _owned(model: Model, row_id: int, claim: Claim) -> Any:
    return and_(
        model.id == row_id, model.claimed_by == claim.token, model.status == AlertStatus.SENDING
    )


def _settle(s: Session, model: Model, row_id: int, claim: Claim, values: dict[str, Any]) -> bool:
    done = s.execute(
        update(model)
        .where(_owned(model, row_id, claim))
        .values(**{"claimed_by": None, "lease_until": None, **values})
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))


def mark_sent(
    s: Session, model: Model, row_id: int, claim: Claim, ts: str | None, extra: dict[str, Any]
) -> bool:
    """Record a post Slack accepted (or found in its history); False when the lease was lost.

    The row keeps the claim's token: a record that committed but whose answer was lost is run
    again (`rerun_if_dropped`), and that second run finds it recorded by this very claim (not
    another owner's after the lease ran out) and answers True, as the first would have."""
    if _settle(
        s,
        model,
        row_id,
        claim,
        {
            "status": AlertStatus.SENT,
            "claimed_by": claim.token,
            "sent_at": shared_now(s),
            "slack_ts": ts,
            "attempts": model.attempts + 1,
            "last_error": None,
            "hold_reason": None,
            "next_attempt_at": None,
            "post_started_at": None,
            **extra,
        },
    ):
        return True
    mine = select(model.id).where(
        model.id == row_id, model.claimed_by == claim.token, model.status == AlertStatus.SENT
    )
    return s.scalar(mine) is not None


def release(s: Session, model: Model, row_id: int, claim: Claim, unknown: datetime | None) -> bool:
    """Give a row back untried (pass over, channel blocked, credentials refused): no attempt
    is counted, and an earlier unknown outcome stays flagged."""
    return _settle(
        s, model, row_id, claim, {"status": AlertStatus.PENDING, "post_started_at": unknown}
    )


def mark_skipped(s: Session, model: Model, row_id: int, claim: Claim, hold: Hold) -> bool:
    """Drop a row Slack refused for good where no retry can help (a reply whose thread was
    deleted): `skipped` with why, not a failure to re-queue. False when the lease was lost."""
    values = {"attempts": model.attempts + 1, "next_attempt_at": None, "post_started_at": None}
    why = {"last_error": hold.note, "hold_reason": hold.reason}
    return _settle(s, model, row_id, claim, {"status": AlertStatus.SKIPPED, **why, **values})


def record_failure(
    s: Session,
    model: Model,
    row_id: int,
    claim: Claim,
    error: str,
    *,
    retry_at: datetime | None,
    maybe_posted_since: datetime | None,
) -> AlertStatus | None:
    """Count a failed attempt: pending again at `retry_at`, or failed for good when None.

    `maybe_posted_since` keeps the row flagged when Slack may have taken the message after all.
    Returns the new status, or None when the lease was lost.
    """
    status = AlertStatus.PENDING if retry_at is not None else AlertStatus.FAILED
    # an alert or reply keeps when it gave up: health reports those that did recently
    gave_up = {"failed_at": utcnow() if status is AlertStatus.FAILED else None}
    ok = _settle(
        s,
        model,
        row_id,
        claim,
        {
            "status": status,
            "attempts": model.attempts + 1,
            "last_error": error[:2000],
            "hold_reason": None,
            "next_attempt_at": retry_at,
            "post_started_at": maybe_posted_since,
            **gave_up,
        },
    )
    return status if ok else None
