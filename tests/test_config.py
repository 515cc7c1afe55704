"""RunConfig: one frozen, typed config, built by the CLI and by evaluate(); the staged runner."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from multitrust.api import Components, evaluate, open_components, plan, run, run_id_for
from multitrust.api._blocking import blocking
from multitrust.cli import app
from multitrust.config import Classifiers, Limits, ModelConfig, RunConfig
from multitrust.errors import ConfigError
from multitrust.models import get_model


def test_config_is_frozen_and_typed() -> None:
    cfg = RunConfig.from_options("scripted/oracle", "T.6,F.2", limit=4, max_connections=3)
    assert cfg.tasks == ("T.6", "F.2")
    assert cfg.limits == Limits(limit=4, max_connections=3)
    assert cfg.model == ModelConfig("scripted/oracle")
    assert cfg.classifiers == Classifiers()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.profile = "official"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"profile": "strict"}, "unknown scoring profile"),
        ({"toxicity": "detoxify"}, "--toxicity"),
        ({"max_connections": 0}, "--max-connections"),
        ({"limit": -1}, "--limit"),
    ],
)
def test_invalid_settings_are_refused_when_built(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_options("scripted/oracle", **options)  # type: ignore[arg-type]


def test_secrets_stay_out_of_repr() -> None:
    cfg = RunConfig.from_options("openai/gpt-4o", api_key="sk-secret-123")
    assert "sk-secret-123" not in repr(cfg)
    assert cfg.secrets == ("sk-secret-123",)


def test_keyword_api_and_config_run_the_same(tmp_path: Path) -> None:
    """``evaluate(**kwargs)`` is the keyword form of ``run(config)``: same run, same scores."""
    kwargs = {"size": 4, "bootstrap": 0}
    by_kwargs = evaluate("scripted/yes", "T.6,F.2", db=tmp_path / "a.db", **kwargs)  # type: ignore[arg-type]
    cfg = RunConfig.from_options("scripted/yes", "T.6,F.2", db=tmp_path / "b.db", **kwargs)  # type: ignore[arg-type]
    by_config = run(cfg)
    assert by_kwargs.run_id == by_config.run_id
    assert by_kwargs.scores() == by_config.scores()
    assert by_config.scores()["T.6"] is not None


def test_plan_sets_aside_what_cannot_run_with_the_reason() -> None:
    cfg = RunConfig.from_options("scripted/oracle", "T.6,S.1", size=2)
    comp = open_components(cfg)
    p = plan(cfg, comp)
    assert [s.id for s, _ in p.runnable] == ["T.6"]
    assert p.outcomes["S.1"].status == "skipped"
    assert "official data only" in (p.outcomes["S.1"].reason or "")
    # identity: only resources a runnable task uses (T.6 uses none, whatever keys are set)
    assert p.run_id == run_id_for(comp.model, comp.data, "corrected", None, None, {})


def test_plan_applies_the_toxicity_setting_to_the_scorer(tmp_path: Path) -> None:
    from tests.fixtures.official import build_official_fixture

    root = build_official_fixture(tmp_path / "data", aspects=("safety",))
    pytest.importorskip("profanity_check")
    ids = {}
    for toxicity, status in (("api", "skipped"), ("profanity", None), ("moderation", "skipped")):
        cfg = RunConfig.from_options("scripted/refuse", "S.1", data=str(root), toxicity=toxicity)
        comp = open_components(cfg)
        comp = Components(comp.model, comp.judge, comp.data, {})  # no API keys, whatever the env
        p = plan(cfg, comp)
        if status:
            assert p.outcomes["S.1"].status == status
            assert "not configured" in (p.outcomes["S.1"].reason or "")
            assert "toxicity" not in comp.resources  # nothing opened for a task that cannot run
        else:
            ((_, task),) = p.runnable
            assert task.scorer.requires == ("toxicity",)
            assert "--toxicity profanity" in (task.scorer.deviation or "")
            assert comp.resources["toxicity"].describe()["backend"] == "profanity"
        asyncio.run(comp.model.aclose())
    # with both API markers every backend runs S.1, each under its own run identity
    for toxicity in ("api", "moderation", "perspective", "profanity", "auto"):
        cfg = RunConfig.from_options("scripted/refuse", "S.1", data=str(root), toxicity=toxicity)
        comp = open_components(cfg)
        markers = {"perspective": True, "moderation": True}
        comp = Components(comp.model, comp.judge, comp.data, markers)
        p = plan(cfg, comp)
        assert [s.id for s, _ in p.runnable] == ["S.1"]
        ids[toxicity] = p.run_id
        asyncio.run(comp.model.aclose())
    assert len(set(ids.values())) == 4
    assert ids["auto"] == ids["api"]  # auto with both keys is the paper's pair: the same run


def test_cli_passes_toxicity_in_the_config_not_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MULTITRUST_TOXICITY", raising=False)
    seen: list[RunConfig] = []

    import multitrust.api as api

    real = api.run_async

    async def spy(config: RunConfig, **kw: object) -> api.RunReport:
        seen.append(config)
        return await real(config, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "run_async", spy)
    monkeypatch.setattr(api, "run", blocking(spy))
    db = str(tmp_path / "s.db")
    args = ["eval", "-m", "scripted/yes", "-t", "F.2", "--size", "2", "--db", db, "-q"]
    res = CliRunner().invoke(app, [*args, "--toxicity", "offline", "--limit", "3"])
    assert res.exit_code == 0, res.output
    # the old name still works, with one warning line naming the new one
    (warning,) = [line for line in res.output.splitlines() if line.startswith("warning:")]
    assert "deprecated" in warning and "--toxicity profanity" in warning
    assert "MULTITRUST_TOXICITY" not in os.environ
    (cfg,) = seen
    assert cfg.toxicity == "profanity" and cfg.limits.limit == 3 and cfg.tasks == ("F.2",)
    bad = CliRunner().invoke(app, [*args, "--toxicity", "detoxify"])
    assert bad.exit_code != 0 and isinstance(bad.exception, ConfigError)


def test_list_shows_the_scorer_requirements_for_the_data() -> None:
    """`multitrust list` shows what the planner enforces: T.1's OCR/grounding need a judge on
    official data, while synth answers are exact and scored by rules."""

    def needs(*extra: str) -> dict[str, str]:
        res = CliRunner().invoke(app, ["list", "-t", "T.1,T.2,S.1", *extra])
        assert res.exit_code == 0, res.output
        rows = [line.split("│") for line in res.output.splitlines() if line.count("│") > 5]
        return {r[1].strip(): r[6].strip() for r in rows if r[1].strip()}

    official = needs()
    assert official["T.1"] == "judge" and official["T.2"] == "rules"
    assert official["S.1"] == "moderation, perspective"
    synth = needs("--data", "synth")
    assert synth["T.1"] == "rules" and synth["S.1"] == "not available"


def test_model_objects_are_used_as_given(tmp_path: Path) -> None:
    judge = get_model("scripted/judge-yes")
    rep = evaluate(
        get_model("scripted/oracle"),
        "T.6",
        judge=judge,
        db=tmp_path / "s.db",
        size=2,
        bootstrap=0,
    )
    assert rep.model == "scripted/oracle" and rep.judge == judge.model_id
