"""One host's politeness limit, whatever spelling of the host a feed's links use."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from newsmon.config import FetchConfig
from newsmon.fetch import Fetcher
from newsmon.turns import OutOfTime, PageTurns


def test_one_host_s_turn_is_one_queue_under_every_spelling_of_it() -> None:
    """Links to `yna.co.kr` written `ＹＮＡ.co.kr`, `YNA.CO.KR.` (and `한국일보.kr` beside
    `xn--…`) each had a queue of their own: one site got `per_host` requests per spelling."""

    async def scenario() -> list[str]:
        turns = PageTurns(1, asyncio.Semaphore(8))
        waited = []
        for held, others in (
            ("https://yna.co.kr/a", ("https://ＹＮＡ.co.kr/b", "https://YNA.CO.KR./c")),
            ("https://한국일보.kr/a", ("https://XN--3E0BM80AC2H5NO.KR:443/b",)),
        ):
            async with turns.turn(held):
                for other in others:
                    loop = asyncio.get_running_loop()
                    with pytest.raises(OutOfTime) as late:
                        async with turns.turn(other, loop.time() + 0.01):
                            pass
                    waited.append(late.value.host)
        async with turns.turn("https://yna.co.kr/d", asyncio.get_running_loop().time() + 1):
            pass  # free again
        return waited

    assert asyncio.run(scenario()) == ["ｙｎａ.co.kr", "yna.co.kr.", "xn--3e0bm80ac2h5no.kr"]


def test_one_host_s_connection_limit_counts_every_spelling_of_it() -> None:
    """`fetch.per_host` (requests in flight to one host) was counted per spelling: a feed's
    links to `yna.co.kr`, `ＹＮＡ.co.kr` and `YNA.CO.KR.` sent the host three at once."""
    in_flight: dict[str, int] = {}
    most: dict[str, int] = {}

    class Site(httpx.AsyncBaseTransport):
        """Counts the requests each host has in flight (httpx sends every spelling's IDNA)."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            host = request.url.host.rstrip(".")
            in_flight[host] = in_flight.get(host, 0) + 1
            most[host] = max(most.get(host, 0), in_flight[host])
            for _ in range(5):  # let in every other request that may come in
                await asyncio.sleep(0)
            in_flight[host] -= 1
            return httpx.Response(200, stream=httpx.ByteStream(b"ok"))

    async def fetch() -> None:
        config = FetchConfig(retries=0, per_host=1)
        fetcher = Fetcher(config, transport=Site())
        links = ("https://yna.co.kr/a", "https://ＹＮＡ.co.kr/b", "https://YNA.CO.KR./c")
        try:
            got = await asyncio.gather(
                *(fetcher.get(u, max_bytes=100, trusted=True) for u in links)
            )
        finally:
            await fetcher.aclose()
        assert [r.failure for r in got] == [None, None, None], [r.error for r in got]

    asyncio.run(fetch())
    assert most == {"yna.co.kr": 1}


def test_a_link_whose_host_a_browser_opens_is_fetched_under_any_spelling() -> None:
    """httpx reads hosts by IDNA 2008 without the mapping browsers apply: a link to
    `ＹＮＡ.co.kr` (full width) failed as "invalid URL" and the story was never read, where a
    browser opens `yna.co.kr`. Unicode hosts, capitals, ports and users still go as before."""
    asked: list[str] = []

    class Site(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            asked.append(str(request.url))
            return httpx.Response(200, stream=httpx.ByteStream(b"ok"))

    async def fetch() -> list[str | None]:
        fetcher = Fetcher(FetchConfig(retries=0), transport=Site())
        links = (
            "https://ＹＮＡ.co.kr/b?x=1",
            "https://BÜCHER.de:8443/x",
            "https://user@한국일보.kr/",
        )
        try:
            got = [await fetcher.get(u, max_bytes=100, trusted=True) for u in links]
        finally:
            await fetcher.aclose()
        assert [r.url for r in got] == list(links)  # the result names the link as written
        return [r.error for r in got]

    assert asyncio.run(fetch()) == [None, None, None]
    assert asked == [
        "https://yna.co.kr/b?x=1",
        "https://xn--bcher-kva.de:8443/x",
        "https://user@xn--3e0bm80ac2h5no.kr/",
    ]
