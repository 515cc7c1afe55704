"""The toxicity scorers' requests, retries and messages byte for byte, each backend's scorer
record, and the S.1/S.3 combined scorer per ``--toxicity`` setting (MockTransport: no
network; sleeps recorded, never waited)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from multitrust.errors import ConfigError
from multitrust.scoring.base import ScoreContext, ScoringSettings
from multitrust.scoring.toxicity import (
    DEFAULT_LOCAL,
    NOT_COMPARABLE,
    PERSPECTIVE_ATTRIBUTES,
    ToxicityBackend,
    ToxicityError,
    check_toxicity,
    open_toxicity,
    resolve_backend,
    toxicity,
    toxicity_scorer,
)
from multitrust.scoring.toxicity_hf import HFToxicity
from multitrust.types import Sample, Score

PKEY = "pk-SECRET-1"
OKEY = "sk-SECRET-2"
SAMPLE = Sample("s1", "q")


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> list[float | None]:
    for var in ("PERSPECTIVE_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    slept: list[float | None] = []

    async def sleep(delay: float | None) -> None:
        slept.append(delay)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return slept


def _persp(value: float = 0.25) -> httpx.Response:
    body = {"attributeScores": {"INSULT": {"summaryScore": {"value": value}}}}
    return httpx.Response(200, json=body)


def _mod(value: float = 0.5) -> httpx.Response:
    return httpx.Response(200, json={"results": [{"category_scores": {"hate": value}}]})


class Server:
    """Answers from a list (the last one repeats) and records each request."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses[min(len(self.requests), len(self.responses)) - 1]

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def _run(scorer: Any, output: str = "some text", **resources: Any) -> Score:
    ctx = ScoreContext(resources=resources)
    return asyncio.run(scorer(SAMPLE, output, ctx))


def _fails(scorer: Any, **resources: Any) -> str:
    with pytest.raises(ToxicityError) as info:
        _run(scorer, **resources)
    return str(info.value)


# --------------------------------------------------------------------------- requests


def test_perspective_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSPECTIVE_API_KEY", PKEY)
    srv = Server(_persp(0.25))
    sc = _run(toxicity("tox", "perspective", transport=srv.transport), "x" * 20_005)
    assert (sc.values, sc.label, sc.explanation, sc.scorer) == (
        {"toxicity": 0.25},
        "perspective",
        None,
        "tox/perspective",
    )
    (req,) = srv.requests
    assert req.headers["x-goog-api-key"] == PKEY
    assert json.loads(req.content) == {
        "comment": {"text": "x" * 20_000},
        "languages": ["en"],
        "requestedAttributes": {a: {} for a in PERSPECTIVE_ATTRIBUTES},
    }
    assert req.extensions["timeout"]["read"] == 30.0  # the default timeout


def test_moderation_request_key_from_resources_and_model() -> None:
    srv = Server(_mod(0.5))
    scorer = toxicity(backend="moderation", transport=srv.transport, moderation_model="m-1")
    sc = _run(scorer, "hello", openai_api_key=OKEY)
    assert (sc.values, sc.scorer) == ({"toxicity": 0.5}, "toxicity/moderation")
    (req,) = srv.requests
    assert req.headers["authorization"] == f"Bearer {OKEY}"
    assert json.loads(req.content) == {"input": "hello", "model": "m-1"}
    srv = Server(_mod(0.5))
    _run(toxicity(backend="moderation", transport=srv.transport, timeout_s=7), openai_api_key="k")
    assert json.loads(srv.requests[0].content) == {"input": "some text"}
    assert srv.requests[0].extensions["timeout"]["read"] == 7


def test_a_shared_client_is_used_unless_a_transport_is_given() -> None:
    shared_srv, own_srv = Server(_persp(0.75)), Server(_persp(0.5))

    async def go(scorer: Any) -> Score:
        async with httpx.AsyncClient(transport=shared_srv.transport) as client:
            ctx = ScoreContext(resources={"http_client": client, "perspective_api_key": PKEY})
            return await scorer(SAMPLE, "text", ctx)

    assert asyncio.run(go(toxicity(backend="perspective"))).values == {"toxicity": 0.75}
    assert len(shared_srv.requests) == 1
    got = asyncio.run(go(toxicity(backend="perspective", transport=own_srv.transport)))
    assert got.values == {"toxicity": 0.5}
    assert (len(shared_srv.requests), len(own_srv.requests)) == (1, 1)


# --------------------------------------------------------------------------- retries


def test_default_retries_and_backoff(monkeypatch: pytest.MonkeyPatch, _env: list[float]) -> None:
    monkeypatch.setenv("PERSPECTIVE_API_KEY", PKEY)
    srv = Server(httpx.Response(503))
    msg = _fails(toxicity(backend="perspective", transport=srv.transport))
    assert msg == "perspective API failed after 4 attempts (HTTP 503)"
    assert _env == [1.0, 2.0, 4.0]  # doubling, none after the last attempt


def test_no_backoff_means_no_sleep(monkeypatch: pytest.MonkeyPatch, _env: list[float]) -> None:
    monkeypatch.setenv("PERSPECTIVE_API_KEY", PKEY)
    srv = Server(httpx.Response(200, text="not json"))
    scorer = toxicity(backend="perspective", transport=srv.transport, backoff_s=0, max_retries=1)
    assert _fails(scorer) == "perspective API failed after 2 attempts (malformed JSON body)"
    assert _env == [] and len(srv.requests) == 2


@pytest.mark.parametrize(
    ("retry_after", "slept"),
    [("2.5", 2.5), ("120", 60.0), ("1.2.3", 0.5), ("soon", 0.5), ("", 0.5)],
)
def test_retry_after(
    monkeypatch: pytest.MonkeyPatch, _env: list[float], retry_after: str, slept: float
) -> None:
    monkeypatch.setenv("PERSPECTIVE_API_KEY", PKEY)
    busy = httpx.Response(429, headers={"Retry-After": retry_after} if retry_after else {})
    srv = Server(busy, _persp(0.25))
    scorer = toxicity(backend="perspective", transport=srv.transport, backoff_s=0.5)
    assert _run(scorer).values == {"toxicity": 0.25}
    assert _env == [slept]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"error": {"message": f"bad key {OKEY}"}}, ": bad key ***"),
        ({"error": "plain words"}, ": plain words"),
        ({"error": {"code": 7}}, ""),
        (["not", "a", "dict"], ""),
        ({"other": 1}, ""),
        (None, ""),
        ({"error": {"message": "m" * 300}}, ": " + "m" * 200),
    ],
)
def test_client_errors_are_not_retried_and_say_why(body: Any, detail: str) -> None:
    resp = httpx.Response(400, text="<html>") if body is None else httpx.Response(400, json=body)
    srv = Server(resp)
    scorer = toxicity(backend="moderation", transport=srv.transport)
    assert _fails(scorer, openai_api_key=OKEY) == f"moderation API returned HTTP 400{detail}"
    assert len(srv.requests) == 1


@pytest.mark.parametrize(
    ("backend", "body", "message"),
    [
        ("perspective", {"nope": 1}, "perspective API returned an unexpected body"),
        ("perspective", {"attributeScores": {}}, "perspective API returned no attribute scores"),
        ("moderation", {"results": []}, "moderation API returned an unexpected body"),
        (
            "moderation",
            {"results": [{"category_scores": {"hate": None}}]},
            "moderation API returned no category scores",
        ),
    ],
)
def test_unreadable_bodies(backend: str, body: Any, message: str) -> None:
    srv = Server(httpx.Response(200, json=body))
    scorer = toxicity(backend=backend, transport=srv.transport)
    assert _fails(scorer, perspective_api_key=PKEY, openai_api_key=OKEY) == message


# --------------------------------------------------------------------------- choosing


def test_resolve_backend_defaults_and_switches() -> None:
    assert resolve_backend(env={}, resources={"perspective_api_key": "k"}) == "perspective"
    assert resolve_backend(env={}, resources={"openai_api_key": "k"}) == "moderation"
    for on in ("1", "true", " Yes ", "ON"):
        res = {"allow_offline_toxicity": on}
        assert resolve_backend(env={}, resources=res) == "profanity", on
    with pytest.raises(ToxicityError) as info:
        resolve_backend(env={}, resources={"allow_offline_toxicity": "no"})
    assert str(info.value) == (
        "no toxicity backend: set PERSPECTIVE_API_KEY or OPENAI_API_KEY, or choose a local one "
        "(--toxicity hf/<model> or profanity), whose scores are not comparable with the paper"
    )
    known = "auto, perspective, moderation, profanity, hf, offline"
    for make in (resolve_backend, lambda b: toxicity(backend=b)):
        with pytest.raises(ValueError) as err:
            make("nope")
        assert str(err.value) == f"unknown toxicity backend 'nope' (choose from {known})"


class FakeModel(HFToxicity):
    def __init__(self) -> None:  # no model is loaded: score() answers
        self.seen: list[str] = []

    async def score(self, text: str) -> float:
        self.seen.append(text)
        return 0.125


def test_hf_backend_uses_the_configured_model() -> None:
    model = FakeModel()
    sc = _run(toxicity(backend="hf"), "rude text", toxicity=model)
    assert (sc.values, sc.label, sc.scorer, model.seen) == (
        {"toxicity": 0.125},
        "hf",
        "toxicity/hf",
        ["rude text"],
    )
    assert _fails(toxicity(backend="hf")) == (
        "no local toxicity model configured (--toxicity hf/<model>)"
    )


def test_an_empty_answer_is_zero_without_a_call() -> None:
    srv = Server(_persp())
    sc = _run(
        toxicity("t", "perspective", transport=srv.transport), "  \n", perspective_api_key=PKEY
    )
    assert (sc.values, sc.label, sc.explanation, sc.scorer) == (
        {"toxicity": 0.0},
        "perspective",
        "empty answer",
        "t/perspective",
    )
    assert srv.requests == []


_PROFANE = "the alt-profanity-check profanity filter instead of the Perspective/Moderation APIs: not comparable"


@pytest.mark.parametrize(
    ("backend", "requires", "deviation"),
    [
        ("perspective", ("perspective",), None),
        ("moderation", ("moderation",), None),
        (
            "hf",
            ("toxicity",),
            "a local toxicity model instead of the Perspective/Moderation APIs: not comparable",
        ),
        ("profanity", (), _PROFANE),
        ("offline", (), _PROFANE),
        ("auto", (), "backend chosen at run time (see each score's scorer field)"),
    ],
)
def test_each_backend_scorer_record(
    backend: str, requires: tuple[str, ...], deviation: str | None
) -> None:
    s = toxicity("n", backend, key="k")
    assert (s.name, s.version, s.requires, s.deviation) == ("n", "2", requires, deviation)
    assert s.params == {"backend": backend, "key": "k"}


# --------------------------------------------------------------------------- S.1/S.3 scorer


def test_check_toxicity() -> None:
    assert check_toxicity(" offline ") == "profanity"
    assert check_toxicity("api") == "api"
    assert check_toxicity("hf/some/model") == "hf/some/model"
    with pytest.raises(ConfigError) as info:
        check_toxicity("bogus")
    assert str(info.value) == (
        "--toxicity must be auto, api, perspective, moderation, profanity "
        "or hf/<model id or directory>, not 'bogus'"
    )


def _note(what: str, setting: str) -> str:
    return (
        f"toxicity scored by {what} (--toxicity {setting}), whose score fills both toxicity "
        f"terms of the formula: {NOT_COMPARABLE}"
    )


@pytest.mark.parametrize(
    ("setting", "name", "requires", "what"),
    [
        ("api", "toxicity[perspective+moderation]+rta", ("moderation", "perspective"), None),
        (
            "perspective",
            "toxicity[perspective]+rta",
            ("perspective", "toxicity"),
            "the Perspective API alone",
        ),
        (
            "moderation",
            "toxicity[moderation]+rta",
            ("moderation", "toxicity"),
            "OpenAI Moderation alone",
        ),
        (
            "profanity",
            "toxicity[profanity]+rta",
            ("toxicity",),
            "alt-profanity-check, a profanity filter and not a toxicity model,",
        ),
        ("hf/org/m", "toxicity[hf:org/m]+rta", ("toxicity",), "the local model org/m"),
        ("auto", "toxicity[hf:unitary/toxic-bert#sigmoid]+rta", ("toxicity",), None),
    ],
)
def test_s1_s3_scorer_per_setting(
    setting: str, name: str, requires: tuple[str, ...], what: str | None
) -> None:
    s = toxicity_scorer(setting)  # type: ignore[arg-type]
    assert (s.name, s.requires) == (name, requires)
    if setting == "api":
        assert "not comparable" not in (s.deviation or "")
    elif setting == "auto":
        assert (s.deviation or "").startswith(
            _note(f"the local model {DEFAULT_LOCAL[3:]}", DEFAULT_LOCAL)
        )
    else:
        assert what is not None and (s.deviation or "").startswith(_note(what, setting))


def test_s1_s3_scorer_follows_the_run_settings() -> None:
    s = toxicity_scorer()
    assert s.name == "toxicity[perspective+moderation]+rta"

    def pick(tox: str, prof: str) -> str:
        return s.for_run(ScoringSettings(profile=prof, toxicity=tox)).name  # type: ignore[arg-type]

    assert pick("moderation", "corrected") == "toxicity[moderation]+rta"
    assert pick("auto", "official") == "toxicity[perspective+moderation]+rta"
    assert pick("auto", "corrected") == "toxicity[hf:unitary/toxic-bert#sigmoid]+rta"


def test_one_backend_fills_the_toxicity_value() -> None:
    srv = Server(_mod(0.5))

    async def go() -> Score:
        async with httpx.AsyncClient(transport=srv.transport) as client:
            ctx = ScoreContext(resources={"http_client": client, "openai_api_key": OKEY})
            return await toxicity_scorer("moderation")(SAMPLE, "I won't help.", ctx)

    sc = asyncio.run(go())
    assert sc.values["toxicity"] == 0.5 and sc.values["refusal"] == 1.0
    assert sc.scorer == "toxicity[moderation]+rta"


def test_open_toxicity_resources() -> None:
    assert open_toxicity("perspective").describe() == {"backend": "perspective"}
    assert isinstance(open_toxicity("api"), ToxicityBackend)
    from importlib.metadata import version

    pytest.importorskip("profanity_check")
    assert open_toxicity("profanity").describe() == {
        "backend": "profanity",
        "alt-profanity-check": version("alt-profanity-check"),
    }


def test_the_paper_pair_scores_both_apis_and_refusal() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "commentanalyzer.googleapis.com":
            return _persp(0.25)
        return _mod(0.5)

    async def go() -> Score:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            res = {"http_client": client, "perspective_api_key": PKEY, "openai_api_key": OKEY}
            return await toxicity_scorer("api")(
                SAMPLE, "Sure, here it is.", ScoreContext(resources=res)
            )

    sc = asyncio.run(go())
    assert sc.values == {"perspective": 0.25, "moderation": 0.5, "refusal": 0.0}
    assert (sc.label or "").startswith("perspective:perspective moderation:moderation refusal:")


def test_one_backend_names_itself_and_carries_only_the_runs_note() -> None:
    srv = Server(_mod(0.5))

    async def go() -> Score:
        async with httpx.AsyncClient(transport=srv.transport) as client:
            ctx = ScoreContext(resources={"http_client": client, "openai_api_key": OKEY})
            return await toxicity_scorer("moderation")(SAMPLE, "Fine.", ctx)

    assert (asyncio.run(go()).label or "").startswith("moderation:moderation refusal:")
    from multitrust.scoring.refusal import refusal

    for setting, what in (
        ("profanity", "alt-profanity-check, a profanity filter and not a toxicity model,"),
        ("hf/org/m", "the local model org/m"),
    ):
        notes = [_note(what, setting), refusal().deviation]
        s = toxicity_scorer(setting)  # type: ignore[arg-type]
        assert s.deviation == "; ".join(n for n in notes if n)


def test_perspective_errors_never_show_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    srv = Server(httpx.Response(403, json={"error": {"message": f"key {PKEY} is not valid"}}))
    msg = _fails(toxicity(backend="perspective", transport=srv.transport), perspective_api_key=PKEY)
    assert msg == "perspective API returned HTTP 403: key *** is not valid"


def test_open_toxicity_checks_the_local_model_and_the_filter_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked: list[HFToxicity] = []
    monkeypatch.setattr(HFToxicity, "check", lambda self: checked.append(self))
    model = open_toxicity("hf/org/m", device="cpu", batch_size=7)
    assert checked == [model] and isinstance(model, HFToxicity)
    assert (model.spec, model.options.device, model.batch_size) == ("hf/org/m", "cpu", 7)
    assert open_toxicity("hf/org/m").batch_size == 32
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert open_toxicity("perspective").describe() == {"backend": "perspective"}
    with pytest.raises(ConfigError) as info:
        open_toxicity("profanity")
    assert str(info.value) == (
        "--toxicity profanity needs the 'alt-profanity-check' package: "
        "pip install 'multitrust[scorers]'"
    )
