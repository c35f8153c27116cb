"""HTTPS through the pinned connections: the address policy picks the IP, TLS still names the host.

`netguard.PinnedBackend` connects to an address the policy checked, not to the host name, so
the TLS handshake must still send the host name (SNI) and check the certificate against it, or
every HTTPS feed would either fail or be open to anyone who answers on that address. A local
HTTPS server on 127.0.0.1 with certificates from a test CA (trustme) stands in for the site;
the fetcher trusts that CA through SSL_CERT_FILE, as an operator behind a TLS-inspecting proxy
would. A certificate that is not accepted is its own failure kind, sent nothing and is not
retried within the pass.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from newsmon.config import FetchConfig
from newsmon.devsite import SiteServer
from newsmon.fetch import FailureKind, Fetcher, FetchResult

HOST = "news.example.test"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trusted(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fetcher trusts the test CA (and nothing else) for this test."""
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


def _site(tmp_path: Path, cert: trustme.LeafCert) -> SiteServer:
    root = tmp_path / "site"
    root.mkdir(exist_ok=True)
    (root / "feed.xml").write_text("<rss version='2.0'><channel><title>t</title></channel></rss>")
    (root / "story.html").write_text("<html><body><p>story</p></body></html>")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return SiteServer(root.resolve(), tls=context).start()


@pytest.fixture
def site(request: pytest.FixtureRequest, ca: trustme.CA, tmp_path: Path) -> Iterator[SiteServer]:
    """A site whose certificate is the one `request.param` describes."""
    kind = getattr(request, "param", "valid")
    if kind == "untrusted":
        cert = trustme.CA().issue_cert(HOST)
    elif kind == "other name":
        cert = ca.issue_cert("other.example.test")
    elif kind == "expired":
        now = dt.datetime.now(dt.UTC)
        cert = ca.issue_cert(
            HOST, not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1)
        )
    else:
        cert = ca.issue_cert(HOST)
    server = _site(tmp_path, cert)
    try:
        yield server
    finally:
        server.stop()


def _fetch(site: SiteServer, path: str, *, user: bool) -> FetchResult:
    """GET https://news.example.test:<port><path>, the name resolving to the site's loopback
    address; `user`: as a configured feed (the user's host), else as a third-party link that
    passes the address policy only because 127.0.0.1 is listed as allowed."""
    url = f"https://{HOST}:{site.port}{path}"

    async def go() -> FetchResult:
        config = FetchConfig(retries=2, allowed_networks=["127.0.0.1/32"])
        fetcher = Fetcher(config, resolver=lambda host: [site.host] if host == HOST else [])
        try:
            return await fetcher.get(url, max_bytes=MB, trusted=user)
        finally:
            await fetcher.aclose()

    return asyncio.run(go())


@pytest.mark.usefixtures("trusted")
@pytest.mark.parametrize("user", [True, False], ids=["configured feed", "third-party link"])
def test_https_to_a_pinned_address_names_the_host_and_checks_its_certificate(
    site: SiteServer, user: bool
) -> None:
    result = _fetch(site, "/feed.xml" if user else "/story.html", user=user)

    assert result.ok, result.error
    assert result.content.startswith(b"<rss" if user else b"<html")
    # the handshake asked for the host by name, though the socket went to 127.0.0.1
    assert site.server_names == [HOST]
    assert site.paths_requested() == ["/feed.xml" if user else "/story.html"]


@pytest.mark.usefixtures("trusted")
@pytest.mark.parametrize(
    ("site", "why"),
    [
        ("other name", "Hostname mismatch"),
        ("expired", "expired"),
        ("untrusted", "unable to get local issuer certificate"),
    ],
    indirect=["site"],
)
@pytest.mark.parametrize("user", [True, False], ids=["configured feed", "third-party link"])
def test_a_certificate_that_is_not_accepted_is_one_line_and_nothing_is_sent(
    site: SiteServer, why: str, user: bool
) -> None:
    result = _fetch(site, "/feed.xml", user=user)

    assert result.failure is FailureKind.CERTIFICATE
    assert result.error is not None and result.error.startswith("TLS certificate not accepted")
    assert why.lower() in result.error.lower()
    assert "\n" not in result.error
    assert not result.transient  # retries=2, yet one handshake: it would fail the same way
    assert len(site.server_names) == 1
    assert site.requests == []  # no request (and no header) went to a host not proven
    assert result.content == b""
