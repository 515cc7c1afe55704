"""The model base class never records a credential that rides in a base URL."""

from __future__ import annotations

from multitrust.models.base import Model, ModelOptions


def test_base_url_credentials_never_reach_describe_cache_key_or_endpoint() -> None:
    m = Model("x", ModelOptions(base_url="http://user:s3cret@host:8000/v1?api-key=k3y"))
    for recorded in (repr(m.describe()), repr(m.cache_identity()), m.endpoint):
        assert "s3cret" not in recorded and "k3y" not in recorded
    assert m.describe()["base_url"] == "http://host:8000/v1"


def test_without_a_base_url_the_endpoint_is_the_provider() -> None:
    class Local(Model):
        provider = "local"

    assert Local("m").endpoint == "local" and Local("m").describe()["base_url"] is None
