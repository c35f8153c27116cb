"""Fetchers share one TLS context for each CA setting (loading the CA bundle for each client of
each pass cost CPU), and still trust what `SSL_CERT_FILE` / `SSL_CERT_DIR` say when they say it."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from newsmon.netguard import tls_context


def _cas(context: object) -> int:
    return int(context.cert_store_stats()["x509_ca"])  # type: ignore[attr-defined]


def test_one_context_is_shared_while_the_ca_setting_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    default = tls_context()
    assert tls_context() is default and _cas(default) > 50  # certifi's bundle

    pem = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    own = tls_context()
    assert own is not default and _cas(own) == 1 and tls_context() is own

    trustme.CA().cert_pem.write_to_path(str(pem), append=True)  # the operator adds a CA
    assert _cas(tls_context()) == 2

    monkeypatch.delenv("SSL_CERT_FILE")
    assert tls_context() is default
