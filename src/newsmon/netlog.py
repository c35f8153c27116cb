"""What the HTTP libraries may log: every request's URL and, at DEBUG, every response's
headers. Both can carry a feed's key; the lines stay, without it (`urls.hide_secrets`)."""

from __future__ import annotations

import logging
from functools import cache

from newsmon.urls import hide_secrets

__all__ = ["hide_secrets_in_http_logs"]


class _SecretsHidden(logging.Filter):
    """httpx logs every request's URL at INFO ("HTTP Request: GET https://…?apikey=…"): a
    feed's key or password, in any log an operator turns up. The line stays, without them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = hide_secrets(record.getMessage()), None
        return True


_RESPONSE_HEADERS = "receive_response_headers.complete"


class _HeadersHidden(logging.Filter):
    """httpcore's DEBUG trace quotes every response's headers, a redirect's Location among
    them: a server's `/feed?access_token=…`, relative, which no URL rule recognises. The line
    keeps the status, not the headers; every other trace line loses its URLs' secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if text.startswith(_RESPONSE_HEADERS):
            text = text.split(", [", 1)[0] + ", [headers not shown])"
        record.msg, record.args = hide_secrets(text), None
        return True


@cache
def hide_secrets_in_http_logs() -> None:
    """Put the filters on httpx's logger and on each of httpcore's, once per process (a
    logger's filter sees only its own records, not its children's: httpcore's each by name)."""
    logging.getLogger("httpx").addFilter(_SecretsHidden())
    headers = _HeadersHidden()
    for name in ("connection", "http11", "http2", "proxy", "socks"):
        logging.getLogger(f"httpcore.{name}").addFilter(headers)
