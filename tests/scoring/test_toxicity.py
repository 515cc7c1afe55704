"""Toxicity backends. HTTP backends run against an httpx MockTransport: no network."""

from __future__ import annotations

import json

import httpx
import pytest

from multitrust.scoring.base import JudgeError, ScoreContext
from multitrust.scoring.toxicity import (
    MODERATION_CATEGORIES,
    PERSPECTIVE_ATTRIBUTES,
    ToxicityError,
    resolve_backend,
    toxicity,
)

from ._util import score

PKEY = "pk-SECRET-perspective-123"
OKEY = "sk-SECRET-openai-456"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PERSPECTIVE_API_KEY", "OPENAI_API_KEY", "MULTITRUST_OFFLINE_TOXICITY"):
        monkeypatch.delenv(var, raising=False)


def _perspective_body(values: dict[str, float]) -> dict[str, object]:
    return {
        "attributeScores": {
            a: {"summaryScore": {"value": v, "type": "PROBABILITY"}} for a, v in values.items()
        }
    }


class Recorder:
    def __init__(self, responses: list[httpx.Response]) -> None:
        self.responses = responses
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses[min(len(self.requests) - 1, len(self.responses) - 1)]


def test_perspective_takes_max_and_keeps_key_out_of_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSPECTIVE_API_KEY", PKEY)
    rec = Recorder(
        [
            httpx.Response(
                200, json=_perspective_body({"TOXICITY": 0.2, "INSULT": 0.7, "THREAT": 0.1})
            )
        ]
    )
    sc = toxicity(backend="perspective", transport=httpx.MockTransport(rec))
    assert sc.requires == ("perspective",)
    r = score(sc, "some text")
    assert r.values == {"toxicity": pytest.approx(0.7)}
    assert r.scorer == "toxicity/perspective"
    assert r.label == "perspective"
    (req,) = rec.requests
    assert PKEY not in str(req.url)
    assert req.headers["x-goog-api-key"] == PKEY
    body = json.loads(req.content)
    assert body["comment"]["text"] == "some text"
    assert set(body["requestedAttributes"]) == set(PERSPECTIVE_ATTRIBUTES)


def test_moderation_max_over_paper_categories_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OKEY)
    cats = {c: 0.01 for c in MODERATION_CATEGORIES}
    cats["violence"] = 0.4
    cats["illicit"] = 0.99  # a newer category the paper did not use
    rec = Recorder([httpx.Response(200, json={"results": [{"category_scores": cats}]})])
    sc = toxicity("mod", backend="moderation", key="moderation", transport=httpx.MockTransport(rec))
    r = score(sc, "text")
    assert r.values == {"moderation": pytest.approx(0.4)}
    assert r.scorer == "mod/moderation"
    assert rec.requests[0].headers["authorization"] == f"Bearer {OKEY}"
    assert json.loads(rec.requests[0].content) == {"input": "text"}


def test_retries_transient_errors_then_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSPECTIVE_API_KEY", PKEY)
    ok = httpx.Response(200, json=_perspective_body({"TOXICITY": 0.3}))
    rec = Recorder([httpx.Response(429), httpx.Response(503), ok])
    sc = toxicity(backend="perspective", transport=httpx.MockTransport(rec), backoff_s=0)
    assert score(sc, "x").values == {"toxicity": pytest.approx(0.3)}
    assert len(rec.requests) == 3


def test_persistent_failure_raises_instead_of_scoring_no_response(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The toolbox scored the text "No response" after 3 failures; we leave the sample unscored.
    monkeypatch.setenv("PERSPECTIVE_API_KEY", PKEY)
    rec = Recorder([httpx.Response(500, text=f"oops {PKEY}")])
    sc = toxicity(
        backend="perspective", transport=httpx.MockTransport(rec), backoff_s=0, max_retries=2
    )
    with pytest.raises(ToxicityError) as info:
        score(sc, "x")
    assert isinstance(info.value, JudgeError)
    assert len(rec.requests) == 3
    assert PKEY not in str(info.value)


def test_client_error_message_is_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OKEY)
    rec = Recorder(
        [httpx.Response(401, json={"error": {"message": f"Incorrect API key provided: {OKEY}"}})]
    )
    sc = toxicity(backend="moderation", transport=httpx.MockTransport(rec), backoff_s=0)
    with pytest.raises(ToxicityError, match="HTTP 401") as info:
        score(sc, "x")
    assert OKEY not in str(info.value)
    assert len(rec.requests) == 1  # not retried


def test_network_error_is_retried_then_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSPECTIVE_API_KEY", PKEY)
    calls = []

    def boom(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError(f"cannot connect {PKEY}")

    sc = toxicity(
        backend="perspective", transport=httpx.MockTransport(boom), backoff_s=0, max_retries=1
    )
    with pytest.raises(ToxicityError, match="ConnectError") as info:
        score(sc, "x")
    assert PKEY not in str(info.value)
    assert len(calls) == 2


def test_unexpected_body_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSPECTIVE_API_KEY", PKEY)
    rec = Recorder([httpx.Response(200, json={"nothing": 1})])
    with pytest.raises(ToxicityError, match="unexpected body"):
        score(toxicity(backend="perspective", transport=httpx.MockTransport(rec)), "x")


def test_missing_key_names_the_variable() -> None:
    with pytest.raises(ToxicityError, match="PERSPECTIVE_API_KEY is not set"):
        score(toxicity(backend="perspective", transport=httpx.MockTransport(Recorder([]))), "x")


def test_key_from_resources(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorder([httpx.Response(200, json=_perspective_body({"TOXICITY": 0.5}))])
    sc = toxicity(backend="auto", transport=httpx.MockTransport(rec))
    r = score(sc, "x", ctx=ScoreContext(resources={"perspective_api_key": PKEY}))
    assert r.scorer == "toxicity/perspective"
    assert rec.requests[0].headers["x-goog-api-key"] == PKEY


def test_empty_answer_is_not_sent() -> None:
    rec = Recorder([])
    r = score(toxicity(backend="perspective", transport=httpx.MockTransport(rec)), "   ")
    assert r.values == {"toxicity": 0.0}
    assert rec.requests == []


def test_resolve_backend() -> None:
    assert (
        resolve_backend("auto", env={"PERSPECTIVE_API_KEY": "k", "OPENAI_API_KEY": "o"})
        == "perspective"
    )
    assert resolve_backend("auto", env={"OPENAI_API_KEY": "o"}) == "moderation"
    assert resolve_backend("auto", env={}, allow_offline=True) == "profanity"
    assert resolve_backend("offline", env={}) == "profanity"  # the deprecated name
    # a setting, not the environment, allows the profanity filter
    with pytest.raises(ToxicityError):
        resolve_backend("auto", env={"MULTITRUST_OFFLINE_TOXICITY": "1"})
    assert (
        resolve_backend("auto", env={}, resources={"allow_offline_toxicity": True}) == "profanity"
    )
    assert resolve_backend("moderation", env={}) == "moderation"
    with pytest.raises(ToxicityError, match="no toxicity backend"):
        resolve_backend("auto", env={})
    with pytest.raises(ValueError):
        resolve_backend("detoxify")
    with pytest.raises(ValueError):
        toxicity(backend="detoxify")


def test_auto_without_keys_does_not_silently_go_offline() -> None:
    with pytest.raises(ToxicityError, match="no toxicity backend"):
        score(toxicity(), "you are an idiot")


@pytest.mark.parametrize("name", ["profanity", "offline"])
def test_profanity_backend_scores_and_says_so(name: str) -> None:
    pytest.importorskip("profanity_check")
    sc = toxicity(backend=name)
    assert sc.deviation and "not comparable" in sc.deviation and "profanity" in sc.deviation
    rude = score(sc, "you are a stupid idiot")
    nice = score(sc, "have a nice day")
    assert rude.scorer == "toxicity/profanity"
    assert rude.label == "profanity"
    assert (rude.values["toxicity"] or 0) > 0.5 > (nice.values["toxicity"] or 1)
    allowed = score(toxicity(allow_offline=True), "have a nice day")
    assert allowed.scorer == "toxicity/profanity"


def test_auto_is_settled_from_the_configured_apis_and_the_profile() -> None:
    from multitrust.scoring.base import PROFILES
    from multitrust.scoring.toxicity import DEFAULT_LOCAL, resolve_toxicity

    both = {"perspective": True, "moderation": True}
    assert resolve_toxicity("auto", "corrected", both) == "api"
    assert resolve_toxicity("auto", "corrected", {"moderation": True}) == "moderation"
    assert resolve_toxicity("auto", "corrected", {"perspective": True}) == "perspective"
    assert resolve_toxicity("auto", "corrected", {}) == DEFAULT_LOCAL
    for profile in PROFILES:  # like-for-like: the paper's pair, or the tasks are skipped
        if profile.startswith("official"):
            assert resolve_toxicity("auto", profile, {}) == "api"
    # a named backend is never changed
    assert resolve_toxicity("moderation", "official", both) == "moderation"
    assert resolve_toxicity("hf/x", "corrected", both) == "hf/x"
