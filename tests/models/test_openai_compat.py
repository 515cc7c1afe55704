"""The OpenAI-compatible backend, against the local test server (no network)."""

from __future__ import annotations

import asyncio
import base64
import gc
import io
import json
import socket
import warnings
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from PIL import Image as PILImage

from multitrust.errors import (
    AuthError,
    BadRequest,
    BadResponse,
    CallTimeout,
    ConfigError,
    ConnectionFailed,
    InputError,
    ModelCallError,
    Overloaded,
    RateLimited,
    ServerError,
)
from multitrust.models import ModelOptions, get_model
from multitrust.models._http import normalize_base_url, parse_retry_after, status_error
from multitrust.models.base import Model, public_url
from multitrust.models.openai_compat import OpenAICompatModel, build_payload, parse_completion
from multitrust.types import GenerateConfig, Generation, Image, Message
from tests.servers.openai_server import answer_for, serve

KEY = "sk-test-SECRET-0123456789abcdef"
TRANSPORTS = ("raw", "aiohttp", "httpx")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(answer="echo") as url:
        yield url


def stats(url: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(url.removesuffix("/v1") + "/stats").json()
    return body


def last_request(url: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(url.removesuffix("/v1") + "/last").json()
    return body


def model_for(url: str, transport: str = "aiohttp", **kw: Any) -> Model:
    opts = ModelOptions(
        base_url=url, api_key=kw.pop("api_key", KEY), extra={"transport": transport}, **kw
    )
    return get_model("openai/test-model", opts)


def ask(model: Model, *messages: Message, config: GenerateConfig | None = None) -> Generation:
    async def go() -> Generation:
        try:
            return await model.generate(list(messages), config or GenerateConfig(max_tokens=16))
        finally:
            await model.aclose()

    return asyncio.run(go())


def png(w: int, h: int, color: tuple[int, int, int] = (200, 30, 30)) -> Image:
    return Image.from_pil(PILImage.new("RGB", (w, h), color))


# -- pure helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://localhost:8000", "http://localhost:8000/v1"),
        ("http://localhost:8000/", "http://localhost:8000/v1"),
        ("http://h:1/v1/", "http://h:1/v1"),
        ("https://api.openai.com/v1/chat/completions", "https://api.openai.com/v1"),
        ("http://h/custom/prefix", "http://h/custom/prefix"),
    ],
)
def test_normalize_base_url(raw: str, expected: str) -> None:
    assert normalize_base_url(raw) == expected


@pytest.mark.parametrize("bad", ["localhost:8000", "ftp://h/v1", "http://", ""])
def test_bad_base_url_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError):
        normalize_base_url(bad)


def test_public_url_drops_credentials_and_query() -> None:
    assert public_url("http://user:pw@host:9/v1?key=abc") == "http://host:9/v1"


def test_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    # the millisecond header is more precise and wins
    assert parse_retry_after({"retry-after": "1", "retry-after-ms": "250"}) == 0.25
    now = 1_700_000_000.0
    date = formatdate(now + 30, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=now) == pytest.approx(30.0, abs=1.0)
    assert parse_retry_after({"retry-after": formatdate(now - 30, usegmt=True)}, now=now) == 0.0
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({"retry-after": "-5"}) is None
    assert parse_retry_after({"retry-after-ms": "nan", "retry-after": "2"}) == 2.0


def completion(message: Any, **extra: Any) -> bytes:
    return json.dumps(
        {"choices": [{"message": message, "finish_reason": "stop"}], **extra}
    ).encode()


def test_parse_completion() -> None:
    raw = completion({"content": "Yes."}, usage={"prompt_tokens": 5, "completion_tokens": 1})
    assert parse_completion(raw) == ("Yes.", 5, 1)
    assert parse_completion(completion({"content": ""})) == ("", None, None)  # empty is an answer
    parts = {"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    assert parse_completion(completion(parts))[0] == "ab"
    # a model refusal arrives in `refusal` with null content: it is the model's answer
    assert parse_completion(completion({"content": None, "refusal": "I can't."}))[0] == "I can't."


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[]",
        b'{"choices": []}',
        b'{"choices": null}',
        b'{"error": {"message": "boom"}}',
        b'{"choices": [{"message": {"content": null}}]}',
        b'{"choices": [{"text": "legacy"}]}',
    ],
)
def test_parse_completion_rejects_malformed(raw: bytes) -> None:
    with pytest.raises(BadResponse):
        parse_completion(raw)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, Overloaded),
        (504, ServerError),
        (529, Overloaded),
        (400, BadRequest),
        (404, BadRequest),
        (422, BadRequest),
        (401, AuthError),
        (403, AuthError),
        (408, CallTimeout),
    ],
)
def test_status_mapping(status: int, cls: type[ModelCallError]) -> None:
    exc = status_error(status, {"retry-after": "2"}, b'{"error": {"message": "nope"}}')
    assert type(exc) is cls
    assert "nope" in str(exc)
    if cls is RateLimited:
        assert exc.retry_after == 2.0


def test_quota_exhaustion_is_not_retried() -> None:
    body = b'{"error": {"message": "You exceeded your quota", "code": "insufficient_quota"}}'
    exc = status_error(429, {}, body)
    assert isinstance(exc, AuthError) and not exc.transient


def test_payload_official_vs_compatible() -> None:
    msgs = [Message("system", "Be brief."), Message("user", "Hi")]
    cfg = GenerateConfig(max_tokens=7, seed=3, stop=("\n",))
    local = build_payload("m", msgs, cfg)
    assert local["max_tokens"] == 7 and "max_completion_tokens" not in local
    assert local["temperature"] == 0.0 and local["seed"] == 3 and local["stop"] == ["\n"]
    assert local["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]
    official = build_payload("gpt-4o", msgs, cfg, official=True)
    assert official["max_completion_tokens"] == 7 and "max_tokens" not in official
    assert official["temperature"] == 0.0
    reasoning = build_payload("o3-mini", msgs, cfg, official=True)
    assert "temperature" not in reasoning and "top_p" not in reasoning


def test_payload_images_first_as_data_urls() -> None:
    img = png(4, 4)
    body = build_payload("m", [Message("user", "What colour?", (img, img))], GenerateConfig())
    parts = body["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["image_url", "image_url", "text"]
    url = parts[0]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == img.data


def test_images_only_in_user_messages() -> None:
    with pytest.raises(InputError):
        build_payload("m", [Message("assistant", "x", (png(2, 2),))], GenerateConfig())


# -- construction and keys ---------------------------------------------------------------------


def test_missing_key_for_openai_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY") as info:
        get_model("openai/gpt-4o")
    assert "\n" not in str(info.value)


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    model = get_model("openai/gpt-4o")
    assert model.endpoint == "https://api.openai.com/v1"
    for text in (repr(model), json.dumps(model.describe()), json.dumps(model.cache_identity())):
        assert KEY not in text


def test_local_server_without_key_sends_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with serve(api_key="EMPTY") as url:
        model = get_model("openai/m", ModelOptions(base_url=url))
        assert ask(model, Message("user", "hi")).text in ("Yes.", "No.")


def test_vllm_never_sends_the_openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("VLLM_API_KEY", raising=False)
    local = get_model("vllm/Qwen/Qwen2-VL-2B", ModelOptions(base_url="http://localhost:8000"))
    assert local.endpoint == "http://localhost:8000/v1"
    with serve(api_key="EMPTY") as url:
        model = get_model("vllm/Qwen/Qwen2-VL-2B", ModelOptions(base_url=url))
        assert ask(model, Message("user", "hi")).ok


def test_credentials_in_base_url_are_not_recorded() -> None:
    model = get_model("openai/m", ModelOptions(base_url="http://u:pw@host:1/v1?k=s"))
    assert "pw" not in json.dumps(model.describe()) and "pw" not in model.endpoint
    assert "pw" not in json.dumps(model.cache_identity()) and "pw" not in repr(model)


# -- against the server ------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_text_round_trip(server: str, transport: str) -> None:
    gen = ask(
        model_for(server, transport), Message("system", "Be brief."), Message("user", "Hello there")
    )
    assert gen.ok and gen.text == "Hello there"
    assert gen.input_tokens is not None and gen.input_tokens > 0 and gen.output_tokens == 2
    assert gen.latency_s is not None and gen.latency_s >= 0
    body = last_request(server)
    assert body["model"] == "test-model" and body["max_tokens"] == 16
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_image_arrives_as_data_url(server: str, transport: str) -> None:
    img = png(8, 6)
    gen = ask(model_for(server, transport), Message("user", "Describe", (img,)))
    assert gen.text == "Describe"
    part = last_request(server)["messages"][0]["content"][0]
    header, b64 = part["image_url"]["url"].split(",", 1)
    assert header == "data:image/png;base64"
    assert base64.b64decode(b64) == img.data


def test_max_image_side_downscales(server: str) -> None:
    ask(model_for(server, max_image_side=50), Message("user", "small", (png(200, 100),)))
    url = last_request(server)["messages"][0]["content"][0]["image_url"]["url"]
    with PILImage.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as im:
        assert im.size == (50, 25)


def test_same_model_across_event_loops(server: str) -> None:
    model = model_for(server)

    async def one(text: str) -> str | None:
        return (await model.generate([Message("user", text)], GenerateConfig())).text

    # a session cannot be closed once its loop is gone: it is dropped with its sockets, and the
    # ResourceWarnings are expected here (collected inside the test, not in a later one)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        assert asyncio.run(one("first")) == "first"
        assert asyncio.run(one("second")) == "second"  # a new loop gets a new session
        asyncio.run(model.aclose())
        gc.collect()


ERRORS = [
    ("rate_limit", RateLimited),
    ("rate_limit_bare", RateLimited),
    ("server_error", ServerError),
    ("bad_gateway", ServerError),
    ("unavailable", Overloaded),
    ("overloaded", Overloaded),
    ("reset", ConnectionFailed),
    ("malformed", BadResponse),
    ("empty_choices", BadResponse),
    ("null_content", BadResponse),
    ("bad_request", BadRequest),
    ("auth", AuthError),
]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("fault", "cls"), ERRORS)
def test_fault_maps_to_error_class(
    server: str, transport: str, fault: str, cls: type[Exception]
) -> None:
    with pytest.raises(cls) as info:
        ask(model_for(server, transport), Message("user", f"q [[fault:{fault}]]"))
    assert type(info.value) is cls
    assert str(info.value).startswith("openai/test-model: ")
    assert KEY not in str(info.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_retry_after_reaches_the_exception(server: str, transport: str) -> None:
    with pytest.raises(RateLimited) as info:
        ask(model_for(server, transport), Message("user", "[[fault:rate_limit]]"))
    assert info.value.retry_after == pytest.approx(0.05)
    with pytest.raises(RateLimited) as bare:
        ask(model_for(server, transport), Message("user", "[[fault:rate_limit_bare]]"))
    assert bare.value.retry_after is None


def test_retry_after_as_http_date() -> None:
    with (
        serve(retry_after=5, retry_after_format="date") as url,
        pytest.raises(RateLimited) as info,
    ):
        ask(model_for(url), Message("user", "[[fault:rate_limit]]"))
    assert info.value.retry_after is not None and 3.0 <= info.value.retry_after <= 6.0


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hang_is_a_timeout(server: str, transport: str) -> None:
    with pytest.raises(CallTimeout):
        ask(model_for(server, transport, timeout_s=0.3), Message("user", "[[fault:hang]]"))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_refused_connection(transport: str) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionFailed):
        ask(model_for(f"http://127.0.0.1:{port}/v1", transport), Message("user", "hi"))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_key_never_leaks_even_if_the_server_echoes_it(transport: str) -> None:
    with serve(api_key="the-right-key", echo_auth=True) as url:
        model = model_for(url, transport)
        with pytest.raises(AuthError) as info:
            ask(model, Message("user", "hi"))
    message = str(info.value)
    assert "invalid api key" in message and "***" in message
    assert KEY not in message and KEY not in repr(info.value)
    assert KEY not in repr(model) and KEY not in json.dumps(model.describe())


def test_concurrency_limit_answers_429() -> None:
    with serve(latency=0.2, max_concurrency=2, limit_retry_after=1.0) as url:
        model = model_for(url)

        async def burst() -> list[Any]:
            calls = [model.generate([Message("user", f"q{i}")], GenerateConfig()) for i in range(6)]
            out = await asyncio.gather(*calls, return_exceptions=True)
            await model.aclose()
            return out

        results = asyncio.run(burst())
        st = stats(url)
    limited = [r for r in results if isinstance(r, RateLimited)]
    assert len(limited) == 4 and all(r.retry_after == 1.0 for r in limited)
    assert sum(isinstance(r, Generation) for r in results) == 2
    assert st["max_concurrent"] == 2 and st["by_status"] == {"200": 2, "429": 4}


def test_faults_are_deterministic_and_answers_unchanged() -> None:
    """A faulty server meets the same faults on every run; retried answers equal clean ones."""
    faults = {
        "rate_limit": 0.1,
        "server_error": 0.1,
        "malformed": 0.1,
        "reset": 0.1,
        "empty_choices": 0.1,
    }
    prompts = [f"Is {i} prime?" for i in range(30)]

    async def run(url: str) -> list[str | None]:
        model = model_for(url)
        out = []
        for p in prompts:
            for _ in range(20):
                try:
                    out.append((await model.generate([Message("user", p)], GenerateConfig())).text)
                    break
                except ModelCallError as exc:
                    assert exc.transient
        await model.aclose()
        return out

    with serve(faults=faults, seed=1) as url:
        faulty = asyncio.run(run(url))
        first = stats(url)
        httpx.post(url.removesuffix("/v1") + "/reset")
        again = asyncio.run(run(url))
        second = stats(url)
    with serve() as url:
        clean = asyncio.run(run(url))
    assert faulty == again == clean == [answer_for(p, "yesno") for p in prompts]
    assert sum(first["faults"].values()) > 0
    assert first["faults"] == second["faults"] and first["by_status"] == second["by_status"]


def test_forced_fault_only_on_first_attempts(server: str) -> None:
    model = model_for(server)

    async def go() -> list[str]:
        seen = []
        for _ in range(3):
            try:
                await model.generate(
                    [Message("user", "x [[fault:unavailable:2]]")], GenerateConfig()
                )
                seen.append("ok")
            except Overloaded:
                seen.append("503")
        await model.aclose()
        return seen

    assert asyncio.run(go()) == ["503", "503", "ok"]


def test_stats_and_reset() -> None:
    with serve() as url:
        ask(model_for(url), Message("user", "a", (png(2, 2),)))
        st = stats(url)
        assert st["requests"] == 1 and st["images"] == 1 and st["by_status"] == {"200": 1}
        httpx.post(url.removesuffix("/v1") + "/reset")
        assert stats(url)["requests"] == 0


@pytest.mark.slow
def test_process_server() -> None:
    with serve(mode="process", latency=0.01, answer="fixed:hello") as url:
        assert ask(model_for(url), Message("user", "hi")).text == "hello"
        assert stats(url)["requests"] == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_preflight(server: str, transport: str) -> None:
    async def check(url: str) -> None:
        model = model_for(url, transport)
        try:
            await model.preflight()
        finally:
            await model.aclose()

    asyncio.run(check(server))  # /models answers: fine
    with serve(api_key="other") as url:
        asyncio.run(check(url))  # a 401 still proves the server is there
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConfigError, match=str(port)):
        asyncio.run(check(f"http://127.0.0.1:{port}/v1"))


KEY40 = "sk-live-Aq7Wp2Zr9Xm4Lk8Vt3Nb6Hc1Jd5Fs0Ge"


@pytest.mark.parametrize(
    "text",
    [
        f"Bearer {KEY40}",
        f"got {KEY40[:20]}",  # a server that echoes a cut key
        f"tail {KEY40[-9:]} end",
        f"x{KEY40[5:13]}y{KEY40[20:28]}",  # two separate 8-character runs
    ],
)
def test_redact_hides_every_run_of_eight_key_characters(text: str) -> None:
    from multitrust.models._http import redact

    out = redact(text, KEY40)
    assert not any(KEY40[i : i + 8] in out for i in range(len(KEY40) - 7)), out
    assert "***" in out


def test_redact_leaves_other_text_and_short_runs_alone() -> None:
    from multitrust.models._http import redact

    assert redact("no key here, sk-live", KEY40) == "no key here, sk-live"
    assert redact("abcd1234 and abcd", "abcd1234") == "*** and abcd"
    assert redact("EMPTY stays", "EMPTY") == "EMPTY stays"


def test_an_error_body_is_redacted_before_it_is_cut() -> None:
    for offset in range(150, 210, 3):
        body = (b"x" * offset + b" Authorization: Bearer " + KEY40.encode()).decode()
        err = status_error(500, {}, body.encode(), (KEY40,))
        assert not any(KEY40[i : i + 8] in str(err) for i in range(len(KEY40) - 7)), offset


def test_a_secret_in_the_base_url_query_is_never_quoted() -> None:
    # a library error that quotes the whole URL (aiohttp's InvalidURL does) loses the secret
    url = "http://127.0.0.1:9/v1?api-version=2024-06-01&sig=Zx9Qw8Er7Ty6Ui5Op4"
    model = get_model("openai/m", ModelOptions(base_url=url))
    assert isinstance(model, OpenAICompatModel)
    err = model._prefixed(ConnectionFailed(f"cannot connect to {url}/chat/completions"))
    assert "Zx9Qw8Er" not in str(err) and "api-version=2024-06-01" in str(err)


def test_url_credentials_win_over_a_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-Qw8Er7Ty6Ui5Op4As3")
    url = "http://bob:Pw9-Long-Secret@127.0.0.1:9/v1"
    model = get_model("openai/m", ModelOptions(base_url=url, extra={"transport": "raw"}))
    assert isinstance(model, OpenAICompatModel)
    sent = str(vars(model._transport)["_headers"])
    assert "Authorization: Basic " in sent and "sk-env" not in sent
    assert "Pw9-Long-Secret" not in repr(model) and model.base_url == "http://127.0.0.1:9/v1"
    with pytest.raises(ConfigError, match="user:password") as info:
        get_model("openai/m", ModelOptions(base_url=url, api_key="sk-given-Zx9Qw8Er7Ty6"))
    assert "Pw9-Long-Secret" not in str(info.value)
