"""Shared fixtures, and the guard that keeps every test on this machine."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from tests import factories

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address) -> bool:
    if isinstance(address, (str, bytes)):  # unix socket path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded(real):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise ConnectionRefusedError(f"tests may not reach outside this machine (tried {address!r})")
        return real(self, address)

    return connect


@pytest.fixture(autouse=True, scope="session")
def _no_network_outside_loopback():
    """Tests never reach the internet: any non-loopback connection fails loudly."""
    socket.socket.connect = _guarded(_real_connect)
    socket.socket.connect_ex = _guarded(_real_connect_ex)
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def alice(db):
    return factories.person("alice")


@pytest.fixture
def bob(db):
    return factories.person("bob")


@pytest.fixture
def carol(db):
    return factories.person("carol")


@pytest.fixture
def dave(db):
    return factories.person("dave")
