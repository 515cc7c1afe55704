"""The Anthropic backend through the real SDK, against a local fake API (no network)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image as PILImage

from multitrust.errors import (
    AuthError,
    BadRequest,
    BadResponse,
    CallTimeout,
    ConfigError,
    ConnectionFailed,
    ModelCallError,
    Overloaded,
    RateLimited,
    ServerError,
)
from multitrust.models import ModelOptions, get_model
from multitrust.models.base import Model
from multitrust.types import GenerateConfig, Generation, Image, Message
from tests.servers.fake_providers import FakeProviders, Reply, anthropic_message, fake_providers

pytest.importorskip("anthropic")

KEY = "sk-ant-SECRET-0123456789abcdef"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviders]:
    with fake_providers() as f:
        yield f


def claude(fake: FakeProviders, **kw: Any) -> Model:
    opts = ModelOptions(base_url=fake.url, api_key=KEY, timeout_s=kw.pop("timeout_s", 5.0), **kw)
    return get_model("anthropic/claude-test", opts)


def ask(model: Model, *messages: Message, config: GenerateConfig | None = None) -> Generation:
    async def go() -> Generation:
        try:
            return await model.generate(list(messages), config or GenerateConfig(max_tokens=32))
        finally:
            await model.aclose()

    return asyncio.run(go())


def error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def test_request_shape_and_answer(fake: FakeProviders) -> None:
    img = Image.from_pil(PILImage.new("RGB", (5, 4), (0, 90, 200)))
    gen = ask(
        claude(fake),
        Message("system", "Answer briefly."),
        Message("user", "What colour?", (img,)),
        config=GenerateConfig(max_tokens=32, stop=("END",)),
    )
    assert gen.ok and gen.text == "echo: What colour?"
    assert (gen.input_tokens, gen.output_tokens) == (11, 3)
    req = fake.requests[-1]
    assert req.path == "/v1/messages"
    assert req.json["system"] == "Answer briefly."
    assert req.json["max_tokens"] == 32 and req.json["stop_sequences"] == ["END"]
    (msg,) = req.json["messages"]
    assert msg["role"] == "user"
    image, text = msg["content"]
    assert image["type"] == "image" and image["source"]["media_type"] == "image/png"
    assert base64.b64decode(image["source"]["data"]) == img.data
    assert text == {"type": "text", "text": "What colour?"}
    # the key goes in a header, nowhere else
    assert KEY in (req.headers.get("X-Api-Key", "") + req.headers.get("Authorization", ""))


def test_multi_turn_roles(fake: FakeProviders) -> None:
    ask(claude(fake), Message("user", "a"), Message("assistant", "b"), Message("user", "c"))
    msgs = fake.requests[-1].json["messages"]
    assert [m["role"] for m in msgs] == ["user", "assistant", "user"]
    assert "system" not in fake.requests[-1].json


def test_empty_content_is_an_empty_answer(fake: FakeProviders) -> None:
    fake.push(Reply(body=anthropic_message("", stop_reason="refusal")))
    assert ask(claude(fake), Message("user", "x")).text == ""


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        (Reply(429, error("rate_limit_error", "slow down"), {"retry-after": "7"}), RateLimited),
        (Reply(529, error("overloaded_error", "overloaded")), Overloaded),
        (Reply(500, error("api_error", "internal")), ServerError),
        (Reply(503, error("api_error", "unavailable")), Overloaded),
        (Reply(400, error("invalid_request_error", "bad image")), BadRequest),
        (Reply(404, error("not_found_error", "no such model")), BadRequest),
        (Reply(401, error("authentication_error", "invalid x-api-key")), AuthError),
        (Reply(403, error("permission_error", "forbidden")), AuthError),
        (Reply(reset=True), ConnectionFailed),
        (Reply(raw=b"{not json"), BadResponse),
    ],
)
def test_errors_map_to_our_classes(
    fake: FakeProviders, reply: Reply, cls: type[ModelCallError]
) -> None:
    fake.push(reply)
    with pytest.raises(cls) as info:
        ask(claude(fake), Message("user", "x"))
    assert type(info.value) is cls
    assert str(info.value).startswith("anthropic/claude-test: ")
    if cls is RateLimited:
        assert info.value.retry_after == 7.0


def test_timeout(fake: FakeProviders) -> None:
    fake.push(Reply(delay=3.0))
    with pytest.raises(CallTimeout):
        ask(claude(fake, timeout_s=0.3), Message("user", "x"))


def test_key_never_in_errors_or_reprs(fake: FakeProviders) -> None:
    fake.push(Reply(401, error("authentication_error", f"invalid x-api-key: {KEY}")))
    model = claude(fake)
    with pytest.raises(AuthError) as info:
        ask(model, Message("user", "x"))
    assert KEY not in str(info.value) and "***" in str(info.value)
    for text in (repr(model), json.dumps(model.describe()), json.dumps(model.cache_identity())):
        assert KEY not in text


def test_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        get_model("anthropic/claude-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    assert get_model("anthropic/claude-test").endpoint == "anthropic"
