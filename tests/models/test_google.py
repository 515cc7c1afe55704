"""The Gemini backend through the real google-genai SDK, against a local fake API."""

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
from tests.servers.fake_providers import FakeProviders, Reply, fake_providers, google_response

pytest.importorskip("google.genai")

KEY = "AIza-SECRET-0123456789abcdef"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviders]:
    with fake_providers() as f:
        yield f


def gemini(fake: FakeProviders, **kw: Any) -> Model:
    opts = ModelOptions(base_url=fake.url, api_key=KEY, timeout_s=kw.pop("timeout_s", 5.0), **kw)
    return get_model("google/gemini-test", opts)


def ask(model: Model, *messages: Message, config: GenerateConfig | None = None) -> Generation:
    async def go() -> Generation:
        try:
            return await model.generate(list(messages), config or GenerateConfig(max_tokens=32))
        finally:
            await model.aclose()

    return asyncio.run(go())


def error(code: int, status: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "status": status, "message": message, "details": details or []}}


def test_request_shape_and_answer(fake: FakeProviders) -> None:
    img = Image.from_pil(PILImage.new("RGB", (5, 4), (0, 90, 200)))
    gen = ask(
        gemini(fake),
        Message("system", "Answer briefly."),
        Message("user", "What colour?", (img,)),
        Message("assistant", "Blue."),
        Message("user", "Sure?"),
        config=GenerateConfig(max_tokens=32, seed=4, stop=("END",)),
    )
    assert gen.ok and gen.text == "echo: Sure?"
    assert (gen.input_tokens, gen.output_tokens) == (7, 3)
    req = fake.requests[-1]
    assert req.path.endswith("/models/gemini-test:generateContent")
    assert req.json["systemInstruction"]["parts"] == [{"text": "Answer briefly."}]
    assert [c["role"] for c in req.json["contents"]] == ["user", "model", "user"]
    image, text = req.json["contents"][0]["parts"]
    inline = image["inlineData"]
    assert inline["mime_type" if "mime_type" in inline else "mimeType"] == "image/png"
    assert base64.urlsafe_b64decode(inline["data"]) == img.data
    assert text == {"text": "What colour?"}
    cfg = req.json["generationConfig"]
    assert cfg["maxOutputTokens"] == 32 and cfg["temperature"] == 0.0
    assert cfg["seed"] == 4 and cfg["stopSequences"] == ["END"]
    assert req.headers.get("x-goog-api-key") == KEY


def test_thought_parts_are_not_the_answer(fake: FakeProviders) -> None:
    body = google_response("final")
    body["candidates"][0]["content"]["parts"].insert(0, {"text": "thinking...", "thought": True})
    fake.push(Reply(body=body))
    assert ask(gemini(fake), Message("user", "x")).text == "final"


def test_blocked_prompt_is_a_bad_request_not_text(fake: FakeProviders) -> None:
    fake.push(Reply(body={"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {}}))
    with pytest.raises(BadRequest, match="SAFETY") as info:
        ask(gemini(fake), Message("user", "x"))
    assert not info.value.transient


def test_blocked_candidate(fake: FakeProviders) -> None:
    fake.push(Reply(body=google_response(None, finish_reason="SAFETY")))
    with pytest.raises(BadRequest, match="SAFETY"):
        ask(gemini(fake), Message("user", "x"))


def test_empty_answer_when_budget_spent(fake: FakeProviders) -> None:
    fake.push(Reply(body=google_response(None, finish_reason="MAX_TOKENS")))
    assert ask(gemini(fake), Message("user", "x")).text == ""


def test_no_candidates_is_a_bad_response(fake: FakeProviders) -> None:
    fake.push(Reply(body={"candidates": [], "usageMetadata": {}}))
    with pytest.raises(BadResponse):
        ask(gemini(fake), Message("user", "x"))


def test_retry_delay_from_error_details(fake: FakeProviders) -> None:
    retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12s"}
    fake.push(Reply(429, error(429, "RESOURCE_EXHAUSTED", "quota", [retry])))
    with pytest.raises(RateLimited) as info:
        ask(gemini(fake), Message("user", "x"))
    assert info.value.retry_after == 12.0


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        (Reply(429, error(429, "RESOURCE_EXHAUSTED", "slow"), {"retry-after": "3"}), RateLimited),
        (Reply(500, error(500, "INTERNAL", "oops")), ServerError),
        (Reply(503, error(503, "UNAVAILABLE", "overloaded")), Overloaded),
        (Reply(400, error(400, "INVALID_ARGUMENT", "bad")), BadRequest),
        (Reply(404, error(404, "NOT_FOUND", "no model")), BadRequest),
        (Reply(401, error(401, "UNAUTHENTICATED", "bad key")), AuthError),
        (Reply(403, error(403, "PERMISSION_DENIED", "denied")), AuthError),
        (Reply(reset=True), ConnectionFailed),
        (Reply(raw=b"{not json"), BadResponse),
    ],
)
def test_errors_map_to_our_classes(
    fake: FakeProviders, reply: Reply, cls: type[ModelCallError]
) -> None:
    fake.push(reply)
    with pytest.raises(cls) as info:
        ask(gemini(fake), Message("user", "x"))
    assert type(info.value) is cls
    assert str(info.value).startswith("google/gemini-test: ")


def test_timeout(fake: FakeProviders) -> None:
    fake.push(Reply(delay=3.0))
    with pytest.raises(CallTimeout):
        ask(gemini(fake, timeout_s=0.3), Message("user", "x"))


def test_key_never_in_errors_or_reprs(fake: FakeProviders) -> None:
    fake.push(Reply(400, error(400, "INVALID_ARGUMENT", f"API key not valid: {KEY}")))
    model = gemini(fake)
    with pytest.raises(BadRequest) as info:
        ask(model, Message("user", "x"))
    assert KEY not in str(info.value) and "***" in str(info.value)
    for text in (repr(model), json.dumps(model.describe()), json.dumps(model.cache_identity())):
        assert KEY not in text


def test_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="GOOGLE_API_KEY"):
        get_model("google/gemini-test")
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    assert get_model("google/gemini-test").endpoint == "google"
