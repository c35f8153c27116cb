"""Bodies within their cap: only gzip and deflate, one of them, inflated no further than the cap."""

from __future__ import annotations

import gzip
import zlib

import pytest

from newsmon.bodies import BodyCut, CappedBody, EncodingRefused, decoder_for

MB = 1024 * 1024


def chunks(data: bytes, size: int = 65536) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def read(body: CappedBody, data: bytes) -> tuple[bytes, bool, int]:
    """Feed until the body says stop; returns content, truncated, raw chunks consumed."""
    used = 0
    for chunk in chunks(data):
        used += 1
        if body.feed(chunk):
            break
    return body.content, body.truncated, used


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("gzip, gzip", "stacked"),
        ("deflate,gzip", "stacked"),
        ("br", "'br' refused"),
        ("zstd", "'zstd' refused"),
        ("compress", "'compress' refused"),
    ],
)
def test_stacked_and_unknown_codings_are_refused(header: str, reason: str) -> None:
    with pytest.raises(EncodingRefused, match=reason):
        decoder_for(header)


@pytest.mark.parametrize("header", [None, "", "identity", " Identity "])
def test_identity_needs_no_decoder(header: str | None) -> None:
    assert decoder_for(header) is None


def test_a_gzip_bomb_stops_at_the_decoded_cap() -> None:
    bomb = gzip.compress(b"\0" * (200 * MB), compresslevel=9)  # ~200 KB on the wire
    content, truncated, used = read(CappedBody("gzip", 5 * MB), bomb)
    assert truncated and len(content) == 5 * MB
    assert used <= 2  # stopped at once, the rest of the stream never inflated


@pytest.mark.parametrize("wrap", [zlib.compress, lambda d: zlib.compress(d)[2:-4]])
def test_deflate_zlib_wrapped_or_raw(wrap) -> None:
    page = b"<html>" + "뉴스 ".encode() * 5000 + b"</html>"
    content, truncated, _ = read(CappedBody("deflate", MB), wrap(page))
    assert (content, truncated) == (page, False)


def test_x_gzip_and_a_body_within_the_cap() -> None:
    page = b"<rss>" + b"x" * 100_000 + b"</rss>"
    assert read(CappedBody("x-gzip", MB), gzip.compress(page))[:2] == (page, False)


def test_the_raw_transfer_is_capped_too() -> None:
    plain = b"y" * (3 * MB)
    content, truncated, used = read(CappedBody(None, MB), plain)
    assert truncated and content == plain[:MB] and used == 17  # 16 chunks are exactly the cap
    # a deflate stream of empty blocks inflates to nothing, but its raw size still counts
    empty = b"x\x9c" + b"\x00\x00\x00\xff\xff" * 300_000  # empty stored blocks, not final
    assert len(empty) > MB
    content, truncated, _ = read(CappedBody("deflate", MB), empty)
    assert truncated and content == b""


def test_a_corrupt_gzip_body_is_refused() -> None:
    with pytest.raises(EncodingRefused, match="not valid gzip"):
        read(CappedBody("gzip", MB), b"this is not gzip at all")


@pytest.mark.parametrize(
    ("coding", "pack"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda d: zlib.compress(d)[2:-4]),
    ],
)
def test_a_compressed_stream_without_its_end_is_cut(coding: str, pack) -> None:
    """Half a stream inflates without an error; only its missing end tells it is half."""
    page = b"<html>" + bytes(range(256)) * 400 + b"</html>"
    whole = CappedBody(coding, MB)
    read(whole, pack(page))
    whole.finish()
    assert whole.content == page
    half = CappedBody(coding, MB)
    content, truncated, _ = read(half, pack(page)[: len(pack(page)) // 2])
    assert content and not truncated
    with pytest.raises(BodyCut, match=f"the {coding} body ended early"):
        half.finish()


def test_a_body_stopped_at_its_cap_or_empty_is_not_cut() -> None:
    capped = CappedBody("gzip", 1000)
    read(capped, gzip.compress(b"x" * MB))
    capped.finish()  # its end was never wanted
    assert capped.truncated
    CappedBody("gzip", MB).finish()  # no bytes at all: an empty answer marked gzip


@pytest.mark.parametrize("size", [1, 7, 65536])
def test_gzip_members_are_read_one_after_another_within_the_cap(size: int) -> None:
    """A body of several gzip members is their texts in order, whatever the chunks (a member's
    header split between two); the cap counts every member's text."""
    parts = [b"alpha " * 300, b"beta " * 300, b"gamma " * 300]
    data = b"".join(gzip.compress(p) for p in parts)
    body = CappedBody("gzip", 10 * MB)
    for chunk in (data[i : i + size] for i in range(0, len(data), size)):
        assert not body.feed(chunk)
    body.finish()
    assert body.content == b"".join(parts) and not body.truncated
    capped = CappedBody("gzip", len(parts[0]) + 10)
    assert any(capped.feed(c) for c in chunks(data, size)) and capped.truncated
    assert capped.content == b"".join(parts)[: len(parts[0]) + 10]


def test_a_second_gzip_member_cut_short_is_a_cut_body() -> None:
    data = gzip.compress(b"whole " * 200) + gzip.compress(b"cut " * 2000)[:-40]
    body = CappedBody("gzip", MB)
    body.feed(data)
    with pytest.raises(BodyCut):
        body.finish()


def test_bytes_after_the_last_gzip_member_are_ignored() -> None:
    """Padding after the stream (NULs some servers add) is not text and no error."""
    body = CappedBody("gzip", MB)
    body.feed(gzip.compress(b"text " * 100) + b"\0" * 16)
    body.finish()
    assert body.content == b"text " * 100
