"""A local fake of Slack's Web API and incoming webhooks, for the real slack_sdk clients.

It behaves like Slack where newsmon depends on it: `chat.postMessage` takes a channel name or ID,
answers the channel's ID and a `ts`, keeps message metadata and threads (`thread_ts` must name a
message of that channel); `conversations.history` wants a channel ID and returns metadata only
with `include_all_metadata`; `conversations.replies` and `conversations.list` page with cursors;
errors come as `{"ok": false, "error": …}`. Tests can script answers (429 with Retry-After, 5xx,
a proxy's HTML 403 or a load balancer's HTML 502, an answer trickled a byte at a time or broken off mid-body), refuse
channels, slow every post down (before or after accepting it, or only those after the first N),
fail every post for an outage, or every read (a missing history scope). Each accepted post
records when it was accepted (`at`, monotonic seconds), so pacing is measured here, on Slack's
side. Threads an admin locked refuse replies (`restricted_action_thread_locked`,
chat.postMessage: "Cannot post replies to a thread that has been locked by admins"), and
channels that take no threads refuse every reply (`restricted_action_non_threadable_channel`:
"Cannot post thread replies into a non_threadable channel") while taking top-level posts. A
threaded post's answer echoes its `thread_ts` in `message`, as Slack's does; for a parent in
`unthreaded` the reply is posted at the channel's top level and answered `ok` without it — what
slack-go/slack#1571 reports of Slack when the parent was deleted moments before the reply.
`chat.delete` deletes a message. A post names its channel by ID or name; a name is resolved
without regard to case (Slack's names are lower case: `#AI-Policy` is taken for `ai-policy`, an
assumption, Slack documents neither way) and one with a blank in it is `channel_not_found` (no
Slack name has one).

For `newsmon slack check`: `auth.test` answers who the bot is; every Web API answer carries the
token's scopes in `x-oauth-scopes`, as Slack's do; `conversations.list` and `conversations.info`
describe channels (`is_archived`, `is_member`, `is_private`) and want `channels:read` (public)
or `groups:read` (private) when `scopes` is set, answering `missing_scope` with `needed` and
`provided` otherwise; a private channel the bot is not in is invisible (`channel_not_found`,
not listed), an archived one refuses posts (`is_archived`); `conversations.history` and
`conversations.replies` want `channels:history` (public) or `groups:history` (private), and
`delay_reads` slows every answer but a post's (a Slack answering slowly). With `tls` (a
server-side SSL context, e.g. a trustme certificate) it answers over HTTPS.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from newsmon.devsite import STOP_POLL


@dataclass
class Scripted:
    """A scripted answer for the next request: an HTTP status, headers and a JSON or text body."""

    status: int = 200
    body: dict[str, Any] | str = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None  # default: application/json for dicts, text/plain else
    trickle: float = 0.0  # seconds between the answer's bytes, status line included (slowloris)
    cut: int | None = None  # send this many bytes of the body (its full length announced), close
    accepted: bool = False  # a webhook's post is taken before this answer (an answer lost)


MISSING_HISTORY_SCOPE = Scripted(
    200,
    {
        "ok": False,
        "error": "missing_scope",
        "needed": "channels:history,groups:history",
        "provided": "chat:write,channels:read",
    },
)

INTERNAL_ERROR = Scripted(200, {"ok": False, "error": "internal_error"})  # it may have posted
READS_FAILING = Scripted(503, {"ok": False, "error": "service_unavailable"})  # as a read outage

# The scopes a bot gets from the README's setup (posting, reading channels and their history).
FULL_SCOPES = frozenset(
    {"chat:write", "channels:read", "groups:read", "channels:history", "groups:history"}
)

PROXY_403 = Scripted(
    403,
    "<html><head><title>403 Forbidden</title></head><body>Access denied by proxy</body></html>",
    content_type="text/html",
)
# a load balancer's page while Slack is down: not Slack's JSON, and the post may have landed
PROXY_502 = Scripted(
    502,
    "<html><head><title>502 Bad Gateway</title></head><body><center>502 Bad Gateway</center>"
    "</body></html>",
    content_type="text/html",
)


@dataclass
class FakeSlack:
    token: str = "xoxb-test-token"
    posts: list[dict[str, Any]] = field(default_factory=list)  # accepted posts (body + ts, at…)
    # every request, accepted or not, and when it came (`at`, monotonic seconds)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    auth_headers: list[str] = field(default_factory=list)
    script: list[Scripted] = field(default_factory=list)  # consumed before normal behaviour
    # per channel (name, #name or ID: any spelling the post uses), in turn; None: that post is
    # handled as usual
    channel_script: dict[str, list[Scripted | None]] = field(default_factory=dict)
    # the incoming webhook's answers, in turn (text bodies: "invalid_payload", …); None: that
    # post is accepted as usual
    webhook_script: list[Scripted | None] = field(default_factory=list)
    unknown_channels: set[str] = field(default_factory=set)  # names or IDs: channel_not_found
    not_in_channels: set[str] = field(default_factory=set)  # names or IDs: not_in_channel
    locked_threads: set[str] = field(default_factory=set)  # parent ts: replies refused
    non_threadable: set[str] = field(default_factory=set)  # names or IDs: replies refused
    unthreaded: set[str] = field(default_factory=set)  # parent ts: replies go to the top level
    deleted: list[dict[str, Any]] = field(default_factory=list)  # posts removed by chat.delete
    outage: Scripted | None = None  # answers every chat.postMessage while set
    read_outage: Scripted | None = None  # answers every read (history, replies, list) while set
    delay_before: float = 0.0  # seconds before handling a chat.postMessage
    delay_after: float = 0.0  # seconds after accepting one, before answering
    delay_after_from: int = 0  # answer late only the posts accepted after this many
    delay_reads: float = 0.0  # seconds before answering any Web API call but chat.postMessage
    channels: dict[str, str] = field(default_factory=dict)  # name -> ID
    archived: set[str] = field(default_factory=set)  # names: listed archived, posts is_archived
    private: set[str] = field(default_factory=set)  # names of private channels
    scopes: frozenset[str] = FULL_SCOPES  # the token's, sent in x-oauth-scopes and enforced
    bot: dict[str, str] = field(
        default_factory=lambda: {
            "url": "https://newsmon-test.slack.com/",
            "team": "Newsmon Test",
            "user": "newsmon",
            "team_id": "T0000TEST",
            "user_id": "U0000BOT",
            "bot_id": "B0000BOT",
        }
    )
    port: int = 0
    tls: ssl.SSLContext | None = None  # a server-side context: Slack over HTTPS with its cert
    _server: ThreadingHTTPServer | None = None
    _last_ts: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self.port}/api/"

    @property
    def webhook_url(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self.port}/services/T000/B000/secretwebhookpart"

    @property
    def _scheme(self) -> str:
        return "https" if self.tls else "http"

    # --- what tests read --------------------------------------------------------------------

    def top_level(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Accepted posts outside threads, optionally of one channel (name or ID)."""
        cid = self._id_of(channel) if channel else None
        return [
            p
            for p in self.posts
            if not p.get("thread_ts") and (cid is None or p["channel_id"] == cid)
        ]

    def replies(self) -> list[dict[str, Any]]:
        return [p for p in self.posts if p.get("thread_ts")]

    def metadata_ids(self, event_type: str = "newsmon_alert") -> list[str]:
        """The ids carried by accepted posts' metadata of one event type, in posting order."""
        return [
            str(p["metadata"]["event_payload"]["id"])
            for p in self.posts
            if (p.get("metadata") or {}).get("event_type") == event_type
        ]

    def channel_id(self, name: str) -> str:
        with self._lock:
            return self._ensure(name)

    # --- Slack's behaviour ------------------------------------------------------------------

    def _ensure(self, name: str) -> str:
        name = name.lstrip("#").lower()
        if name not in self.channels:
            self.channels[name] = f"C{len(self.channels) + 1:08d}"
        return self.channels[name]

    def _id_of(self, channel: str | None) -> str | None:
        if not channel:
            return None
        if channel in self.channels.values():
            return channel
        return self.channels.get(channel.lstrip("#").lower())

    def _named(self, channel: str) -> set[str]:
        """Every spelling of a channel: with and without '#', its ID, its other names."""
        names = {channel, channel.lstrip("#"), "#" + channel.lstrip("#")}
        cid = self._id_of(channel)
        if cid:
            names |= {cid} | {f"#{n}" for n, i in self.channels.items() if i == cid}
            names |= {n for n, i in self.channels.items() if i == cid}
        return names

    def _refused(self, channel: str) -> str | None:
        names = self._named(channel)
        if names & self.unknown_channels:
            return "channel_not_found"
        if names & {n for n in self.private if self._is_private_hidden(n)}:
            return "channel_not_found"  # a private channel is invisible to a non-member
        if names & self.archived:
            return "is_archived"
        if names & self.not_in_channels:
            return "not_in_channel"
        return None

    def _is_member(self, name: str) -> bool:
        cid = self.channels.get(name)
        return not ({name, "#" + name, cid} & self.not_in_channels)

    def _is_private_hidden(self, name: str) -> bool:
        return name.lstrip("#") in {p.lstrip("#") for p in self.private} and not self._is_member(
            name.lstrip("#")
        )

    def _describe(self, name: str, cid: str) -> dict[str, Any]:
        """A conversation object as conversations.list and conversations.info give it."""
        private = name in {p.lstrip("#") for p in self.private}
        return {
            "id": cid,
            "name": name,
            "is_channel": not private,
            "is_group": False,
            "is_private": private,
            "is_archived": name in {a.lstrip("#") for a in self.archived},
            "is_member": self._is_member(name),
        }

    def _visible(self) -> list[tuple[str, str]]:
        """(name, ID) of the channels that exist for the bot: not unknown, not another's private."""
        gone = {c.lstrip("#") for c in self.unknown_channels}
        return [
            (n, i)
            for n, i in self.channels.items()
            if n not in gone and i not in self.unknown_channels and not self._is_private_hidden(n)
        ]

    def _missing(self, needed: list[str]) -> Scripted | None:
        lacking = [s for s in needed if s not in self.scopes]
        if not lacking:
            return None
        body = {
            "ok": False,
            "error": "missing_scope",
            "needed": ",".join(lacking),
            "provided": ",".join(sorted(self.scopes)),
        }
        return Scripted(200, body)

    def _list(self, params: dict[str, Any]) -> Scripted:
        types = str(params.get("types") or "public_channel").split(",")
        wanted = {"public_channel": "channels:read", "private_channel": "groups:read"}
        missing = self._missing([wanted[t] for t in types if t in wanted])
        if missing:
            return missing
        skip_archived = str(params.get("exclude_archived", "")).lower() in ("1", "true")
        listed = []
        for name, cid in self._visible():
            item = self._describe(name, cid)
            kind = "private_channel" if item["is_private"] else "public_channel"
            if kind in types and not (skip_archived and item["is_archived"]):
                listed.append(item)
        return self._page(listed, params, "channels")

    def _info(self, params: dict[str, Any]) -> Scripted:
        cid = str(params.get("channel") or "")
        found = [(n, i) for n, i in self._visible() if i == cid]
        if not found:  # Slack wants an ID; a name, an unknown ID or another's private channel
            return Scripted(200, {"ok": False, "error": "channel_not_found"})
        item = self._describe(*found[0])
        missing = self._missing(["groups:read" if item["is_private"] else "channels:read"])
        return missing or Scripted(200, {"ok": True, "channel": item})

    def _next_ts(self) -> str:
        now = max(time.time(), self._last_ts + 0.000001)
        self._last_ts = now
        return f"{now:.6f}"

    def _post(self, body: dict[str, Any]) -> Scripted:
        channel = str(body.get("channel") or "")
        spellings = self._named(channel)  # a script for a channel applies whatever its spelling
        key = next((k for k, v in self.channel_script.items() if v and k in spellings), None)
        scripted = self.channel_script[key].pop(0) if key is not None else None
        if scripted is not None:
            return scripted
        if self.outage is not None:
            return self.outage
        refused = self._refused(channel)
        if refused:
            return Scripted(200, {"ok": False, "error": refused})
        if channel.startswith(("C", "G", "D")) and channel not in self.channels.values():
            return Scripted(200, {"ok": False, "error": "channel_not_found"})
        if not channel.lstrip("#") or any(c.isspace() for c in channel):
            return Scripted(200, {"ok": False, "error": "channel_not_found"})  # no such name
        if not body.get("text") and not body.get("blocks"):
            return Scripted(200, {"ok": False, "error": "no_text"})
        cid = self._id_of(channel) or self._ensure(channel)
        thread = body.get("thread_ts")
        if thread and not any(
            p["channel_id"] == cid and p["ts"] == thread and not p.get("thread_ts")
            for p in self.posts
        ):
            return Scripted(200, {"ok": False, "error": "thread_not_found"})
        if thread and self._named(channel) & self.non_threadable:
            return Scripted(200, {"ok": False, "error": "restricted_action_non_threadable_channel"})
        if thread in self.locked_threads:
            return Scripted(200, {"ok": False, "error": "restricted_action_thread_locked"})
        ts = self._next_ts()
        if thread in self.unthreaded:
            body, thread = {k: v for k, v in body.items() if k != "thread_ts"}, None
        self.posts.append({**body, "ts": ts, "channel_id": cid, "at": time.monotonic()})
        message = {"ts": ts, **({"thread_ts": thread} if thread else {})}
        return Scripted(200, {"ok": True, "channel": cid, "ts": ts, "message": message})

    def _delete(self, body: dict[str, Any]) -> Scripted:
        cid, ts = self._id_of(str(body.get("channel") or "")), str(body.get("ts") or "")
        for post in self.posts:
            if post["channel_id"] == cid and post["ts"] == ts:
                self.posts.remove(post)
                self.deleted.append(post)
                return Scripted(200, {"ok": True, "channel": cid, "ts": ts})
        return Scripted(200, {"ok": False, "error": "message_not_found"})

    def _message(self, post: dict[str, Any], with_metadata: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "ts": post["ts"], "text": post.get("text", "")}
        if post.get("blocks"):  # as Slack returns a message posted with blocks
            out["blocks"] = post["blocks"]
        if post.get("thread_ts"):
            out["thread_ts"] = post["thread_ts"]
        if with_metadata and post.get("metadata"):
            out["metadata"] = post["metadata"]
        return out

    @staticmethod
    def _page(items: list[Any], params: dict[str, Any], key: str) -> Scripted:
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 100)
        chunk = items[start : start + limit]
        more = start + limit < len(items)
        body = {
            "ok": True,
            key: chunk,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }
        return Scripted(200, body)

    def _history(self, params: dict[str, Any], replies: bool) -> Scripted:
        cid = str(params.get("channel") or "")
        if cid not in self.channels.values():  # Slack wants an ID here, not a name
            return Scripted(200, {"ok": False, "error": "channel_not_found"})
        name = next(n for n, i in self.channels.items() if i == cid)
        private = name in {p.lstrip("#") for p in self.private}
        missing = self._missing(["groups:history" if private else "channels:history"])
        if missing:
            return missing
        meta = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        oldest = float(params.get("oldest") or 0)
        if replies:
            parent = str(params.get("ts") or "")
            found = [
                p
                for p in self.posts
                if p["channel_id"] == cid and (p["ts"] == parent or p.get("thread_ts") == parent)
            ]
            if not found:
                return Scripted(200, {"ok": False, "error": "thread_not_found"})
            msgs = [self._message(p, meta) for p in found if float(p["ts"]) >= oldest]
            return self._page(msgs, params, "messages")
        msgs = [
            self._message(p, meta)
            for p in reversed(self.posts)
            if p["channel_id"] == cid and not p.get("thread_ts") and float(p["ts"]) >= oldest
        ]
        return self._page(msgs, params, "messages")

    def _answer(self, path: str, auth: str, body: dict[str, Any]) -> Scripted:
        with self._lock:
            self.attempts.append({"path": path, **body, "at": time.monotonic()})
            self.auth_headers.append(auth)
            if self.script:
                return self.script.pop(0)
            if path.startswith("/services/"):
                scripted = self.webhook_script.pop(0) if self.webhook_script else None
                if scripted is not None:
                    if scripted.accepted:
                        self.posts.append({**body, "ts": None, "channel_id": None})
                    return scripted
                if self.outage is not None:
                    return Scripted(self.outage.status, "service_unavailable")
                self.posts.append({**body, "ts": None, "channel_id": None, "at": time.monotonic()})
                return Scripted(200, "ok")
            if auth != f"Bearer {self.token}":
                return Scripted(200, {"ok": False, "error": "invalid_auth"})
            if path == "/api/chat.postMessage":
                return self._post(body)
            if path == "/api/chat.delete":
                return self._delete(body)
            if path.startswith("/api/conversations.") and self.read_outage is not None:
                return self.read_outage
            if path == "/api/auth.test":
                return Scripted(200, {"ok": True, **self.bot})
            if path == "/api/conversations.history":
                return self._history(body, replies=False)
            if path == "/api/conversations.replies":
                return self._history(body, replies=True)
            if path == "/api/conversations.list":
                return self._list(body)
            if path == "/api/conversations.info":
                return self._info(body)
            return Scripted(200, {"ok": False, "error": "unknown_method"})

    # --- the server ---------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self, body: dict[str, Any]) -> None:
                path = urlsplit(self.path).path
                posting = path == "/api/chat.postMessage"
                if posting and fake.delay_before:
                    time.sleep(fake.delay_before)
                if path.startswith("/api/") and not posting and fake.delay_reads:
                    time.sleep(fake.delay_reads)
                answer = fake._answer(path, self.headers.get("Authorization", ""), body)
                valid = self.headers.get("Authorization") == f"Bearer {fake.token}"
                if path.startswith("/api/") and valid and "x-oauth-scopes" not in answer.headers:
                    # as Slack does on every Web API answer to a valid token
                    scopes = ",".join(sorted(fake.scopes))
                    answer = replace(answer, headers={**answer.headers, "x-oauth-scopes": scopes})
                if posting and fake.delay_after and len(fake.posts) > fake.delay_after_from:
                    time.sleep(fake.delay_after)
                self._reply(answer)

            def _reply(self, answer: Scripted) -> None:
                is_json = isinstance(answer.body, dict)
                payload = json.dumps(answer.body).encode() if is_json else str(answer.body).encode()
                ctype = answer.content_type or ("application/json" if is_json else "text/plain")
                if answer.trickle or answer.cut is not None:
                    self._raw(answer, payload, ctype)
                    return
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", ctype)
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client went away (a killed process)
                    pass

            def _raw(self, answer: Scripted, payload: bytes, ctype: str) -> None:
                head = [f"HTTP/1.1 {answer.status} Scripted", f"Content-Type: {ctype}"]
                head += [f"{k}: {v}" for k, v in answer.headers.items()]
                head += [f"Content-Length: {len(payload)}", "Connection: close", "", ""]
                raw = "\r\n".join(head).encode() + payload[: answer.cut]
                self.close_connection = True
                try:
                    if not answer.trickle:
                        self.wfile.write(raw)
                        return
                    for i in range(len(raw)):
                        self.wfile.write(raw[i : i + 1])
                        self.wfile.flush()
                        time.sleep(answer.trickle)
                except OSError:  # the client gave up
                    pass

            def do_GET(self) -> None:
                self._handle(dict(parse_qsl(urlsplit(self.path).query)))

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype:
                    body = json.loads(raw or b"{}")
                else:
                    body = dict(parse_qsl(raw.decode()))
                body.update(parse_qsl(urlsplit(self.path).query))
                self._handle(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        if self.tls is not None:  # a failed handshake is dropped by socketserver: no answer
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        threading.Thread(  # stops within STOP_POLL, not socketserver's half second
            target=self._server.serve_forever, args=(STOP_POLL,), daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        """Forget what was posted and every scripted behaviour (channels keep their IDs)."""
        with self._lock:
            for kept in (self.posts, self.attempts, self.auth_headers, self.script, self.deleted):
                kept.clear()
            self.channel_script.clear()
            for names in (self.unknown_channels, self.not_in_channels, self.locked_threads):
                names.clear()
            for more in (self.non_threadable, self.unthreaded, self.archived, self.private):
                more.clear()
            self.scopes = FULL_SCOPES
            self.outage = self.read_outage = None
            self.delay_before = self.delay_after = self.delay_reads = 0.0
            self.delay_after_from = 0


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    try:
        yield server
    finally:
        server.stop()
