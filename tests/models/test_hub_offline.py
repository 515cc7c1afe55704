"""Hub checkpoints when the hub cannot be reached: a cached one loads from the cache at once,
one that is not cached is a one-line error at once (instead of six tries per file with
backoff, ~30 s and a warning each, before the same outcome)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from multitrust.errors import ConfigError
from multitrust.models import _hf_setup
from multitrust.models._hf_setup import hub_kwargs, hub_reachable, in_hub_cache
from multitrust.models.base import ModelOptions

PROXIES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for k in PROXIES:
        monkeypatch.delenv(k, raising=False)
    hub_reachable.cache_clear()
    yield
    hub_reachable.cache_clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_probe_connects_to_hf_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{srv.getsockname()[1]}")
        assert hub_reachable() is True
    hub_reachable.cache_clear()
    port = _free_port()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")  # nothing listens
    assert _hf_setup.hub_host() == ("127.0.0.1", port)
    assert hub_reachable() is False


def test_the_default_endpoint_is_huggingface_over_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    assert _hf_setup.hub_host() == ("huggingface.co", 443)
    monkeypatch.setenv("HF_ENDPOINT", "https://mirror.example:8443/")
    assert _hf_setup.hub_host() == ("mirror.example", 8443)


def test_behind_a_proxy_the_proxy_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert hub_reachable() is True


def _cache(root: Path, repo: str) -> None:
    base = root / f"models--{repo.replace('/', '--')}"
    commit = "0" * 40
    (base / "refs").mkdir(parents=True)
    (base / "refs" / "main").write_text(commit)
    snap = base / "snapshots" / commit
    snap.mkdir(parents=True)
    (snap / "config.json").write_text("{}")


@pytest.fixture
def offline_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The hub unreachable, HF_HUB_OFFLINE unset, an empty cache at the returned folder."""
    constants = pytest.importorskip("huggingface_hub.constants")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    return tmp_path


def test_a_cached_checkpoint_loads_from_the_cache(offline_hub: Path) -> None:
    _cache(offline_hub, "org/cached")
    assert in_hub_cache("org/cached") and not in_hub_cache("org/other")
    kw = hub_kwargs("org/cached", ModelOptions())
    assert kw["local_files_only"] is True


def test_an_uncached_checkpoint_is_one_line_naming_it_and_the_host(offline_hub: Path) -> None:
    with pytest.raises(ConfigError) as info:
        hub_kwargs("org/missing", ModelOptions())
    text = str(info.value)
    assert text.startswith("org/missing: not in the local Hugging Face cache")
    assert "(127.0.0.1) cannot be reached" in text and "\n" not in text


def test_a_reachable_hub_is_left_to_the_hub_library(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(_hf_setup, "hub_reachable", lambda: True)
    assert "local_files_only" not in hub_kwargs("org/missing", ModelOptions())


def test_hf_hub_offline_skips_the_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def probe() -> bool:
        raise AssertionError("probed although HF_HUB_OFFLINE is set")

    monkeypatch.setattr(_hf_setup, "hub_reachable", probe)
    assert "local_files_only" not in hub_kwargs("org/missing", ModelOptions())


def test_a_local_directory_never_probes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(_hf_setup, "hub_reachable", lambda: pytest.fail("probed"))
    assert hub_kwargs(str(tmp_path), ModelOptions())["local_files_only"] is True
