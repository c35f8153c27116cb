"""Reading a response body within its cap: content codings decoded here, bounded on both sides.

httpx would decode gzip or deflate without a limit (a 400 MB bomb in a 400 KB body) and accept
stacked codings (`gzip, gzip`). So newsmon asks only for what it can cap (`gzip, deflate`),
refuses stacked or unknown codings, reads the raw stream, and inflates it incrementally with
zlib's `max_length`: decoding stops as soon as the decoded size passes the cap, and the raw
transfer is capped too (a stream that inflates to nothing still ends). A gzip or deflate
stream whose end never came (the connection's body ended, by its Content-Length or its last
chunk, in the middle of it) is `BodyCut`: half a page is not the page.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

ACCEPT_ENCODING = "gzip, deflate"
_GZIP_MAGIC = b"\x1f\x8b"


class EncodingRefused(Exception):
    """A content coding newsmon will not decode, or a body that is not what it claims."""


class BodyCut(Exception):
    """A compressed body that ended before its stream did: what arrived is only a part."""


class _Inflater:
    """One gzip or deflate stream; deflate as servers send it (zlib-wrapped, or raw)."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._wbits = 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS
        self._zlib = zlib.decompressobj(self._wbits)
        self._started = False

    def decode(self, data: bytes, limit: int) -> bytes:
        """At most `limit` (> 0) decoded bytes from `data`; fewer means all of it was used.
        A gzip body may hold several members one after another (RFC 1952): each is inflated
        in turn; bytes after the last that start no member (padding) are ignored."""
        try:
            out = self._zlib.decompress(data, limit)
            while self._next_member() and len(out) < limit:
                rest = self._zlib.unused_data
                self._zlib = zlib.decompressobj(self._wbits)
                out += self._zlib.decompress(rest, limit - len(out))
        except zlib.error:
            if self.coding == "deflate" and not self._started:  # raw deflate, no zlib header
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                self._started = True
                return self.decode(data, limit)
            raise EncodingRefused(f"the body is not valid {self.coding}") from None
        self._started = True
        return out

    def _next_member(self) -> bool:
        """Whether another gzip member has begun after the one just ended (its magic number
        whole: a header split between two chunks waits for the next)."""
        return (
            self.coding == "gzip"
            and self._zlib.eof
            and self._zlib.unused_data.startswith(_GZIP_MAGIC)
        )

    @property
    def ended(self) -> bool:
        """Whether the stream's own end (gzip's trailer, deflate's last block) has been read."""
        return self._zlib.eof


def decoder_for(content_encoding: str | None) -> _Inflater | None:
    """The decoder for a Content-Encoding header (None: identity); EncodingRefused for stacked
    or unknown codings."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) > 1:
        raise EncodingRefused(f"stacked content encodings refused ({', '.join(codings)})")
    coding = {"x-gzip": "gzip"}.get(codings[0], codings[0])
    if coding not in ("gzip", "deflate"):
        raise EncodingRefused(f"content encoding {coding[:40]!r} refused (not asked for)")
    return _Inflater(coding)


class CappedBody:
    """A body as it arrives: `feed` each raw chunk until it returns True (the cap is reached),
    then `content` is the decoded body, at most `max_bytes`, and `truncated` says whether
    more was there (decoded or raw size over the cap)."""

    def __init__(self, content_encoding: str | None, max_bytes: int) -> None:
        self._decoder = decoder_for(content_encoding)
        self._max = max_bytes
        self._out = bytearray()
        self._received = 0
        self.truncated = False

    def feed(self, chunk: bytes) -> bool:
        self._received += len(chunk)
        room = self._max - len(self._out)
        self._out += self._decoder.decode(chunk, room + 1) if self._decoder else chunk[: room + 1]
        if len(self._out) > self._max or self._received > self._max:
            self.truncated = True
        return self.truncated

    def finish(self) -> None:
        """After the last chunk of a body read whole: BodyCut if its compressed stream had not
        ended. No bytes at all is an empty body (servers mark empty answers gzip too)."""
        if self._decoder and self._received and not self.truncated and not self._decoder.ended:
            raise BodyCut(
                f"the {self._decoder.coding} body ended early "
                f"({self._received} bytes received, its end missing)"
            )

    @property
    def content(self) -> bytes:
        return bytes(self._out[: self._max])


async def read_capped(
    raw: AsyncIterator[bytes], content_encoding: str | None, max_bytes: int
) -> tuple[bytes, bool]:
    """The decoded body within `max_bytes`, and whether it was cut. Reading stops at the cap:
    nothing past it is downloaded or inflated. BodyCut: a compressed body ended early."""
    body = CappedBody(content_encoding, max_bytes)
    async for chunk in raw:
        if body.feed(chunk):
            return body.content, True
    body.finish()
    return body.content, body.truncated
