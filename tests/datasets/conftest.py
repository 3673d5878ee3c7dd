"""Fixtures of the dataset tests: a local HTTP server and an isolated cache folder."""

from __future__ import annotations

import pytest

from tests.datasets.fakes import Server

PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


@pytest.fixture
def server(monkeypatch):
    """A server on 127.0.0.1 (proxies unset so that urllib connects to it directly)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    srv = Server()
    yield srv
    srv.close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty dataset cache, also set as CNNTOOL_DATA_DIR (the user's real cache is never touched)."""
    root = tmp_path / "cache"
    monkeypatch.setenv("CNNTOOL_DATA_DIR", str(root))
    return root
