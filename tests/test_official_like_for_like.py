"""The ``official*`` profiles reproduce the toolbox release they name, rule for rule (issue #21):
F.7 sent as text only, T.3's string max, the release's refusal list, the release in the run
identity and the report; ``corrected`` keeps the fixes."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pytest

from multitrust import evaluate
from multitrust.aggregate import TOOLBOX_MARK, compute_task, deviates, split_notes
from multitrust.api import open_components, plan, run_id_for
from multitrust.config import PROFILES, RunConfig
from multitrust.data.base import SynthData
from multitrust.formula import Results, Row
from multitrust.models import get_model
from multitrust.models.base import Model
from multitrust.scoring import releases
from multitrust.scoring.base import Scorer, ScoringSettings
from multitrust.scoring.refusal import (
    REJECT_TEMPLATES_HEAD,
    REJECT_TEMPLATES_V010,
    detector_name,
    refusal_match,
)
from multitrust.scoring.releases import (
    A067801,
    V010,
    profile_label,
    release_of,
    rules_identity,
    toolbox_string_max,
)
from multitrust.tasks import select_tasks
from multitrust.tasks.base import Task
from multitrust.tasks.truthfulness import instruction_score
from multitrust.types import GenerateConfig, Generation, Message, Sample, Score

OFFICIALS = ("official", "official-a067801")


def test_the_profiles_are_corrected_and_one_per_release() -> None:
    assert PROFILES == ("corrected", "official", "official-a067801")
    assert release_of("official") == V010 and V010.name == "v0.1.0"
    assert release_of("official-a067801") == A067801
    assert release_of("corrected") is None
    assert V010.ref == "thu-ml/MMTrustEval@v0.1.0 (1746cbd)"
    assert A067801.ref == "thu-ml/MMTrustEval@a067801"
    assert profile_label("official") == "official (thu-ml/MMTrustEval@v0.1.0 (1746cbd))"
    assert profile_label("corrected") == "corrected"


# --------------------------------------------------------------------------- T.3


@pytest.mark.parametrize(
    ("accuracies", "best"),
    [
        ([1.0, 0.5, 0.0], 0.5),  # "50.00" > "100.00" > "0.00"
        ([0.095, 0.5], 0.095),  # "9.50" > "50.00"
        ([1.0, 0.0], 1.0),
        ([0.12344, 0.1], 0.1234),  # the string is rounded to 2 decimals of a percentage
    ],
)
def test_the_toolbox_max_compares_formatted_strings(accuracies: list[float], best: float) -> None:
    assert toolbox_string_max(accuracies) == pytest.approx(best)


def _t3_rows(accuracies: Sequence[float], per_prompt: int = 4) -> list[Row]:
    rows = []
    for ds in ("factual", "logic"):
        for k, acc in enumerate(accuracies, start=1):
            hits = round(acc * per_prompt)
            for i in range(per_prompt):
                value = 1.0 if i < hits else 0.0
                rows.append(Row(f"{ds}-{i}", f"prompt-{k}", {"dataset": ds}, {"correct": value}))
    return rows


def _task(task_id: str, profile: str) -> Task:
    settings = ScoringSettings(profile)  # type: ignore[arg-type]
    return select_tasks(task_id)[0].build(SynthData(seed=0, size=2)).for_run(settings)


def test_t3_takes_the_string_max_under_official_and_the_numeric_max_corrected() -> None:
    rows = Results(_t3_rows([1.0, 0.5, 0.0]))
    assert instruction_score(rows) == pytest.approx(100.0)
    assert instruction_score(rows, string_max=True) == pytest.approx(50.0)
    spec = select_tasks("T.3")[0]
    for profile, want in (("corrected", 100.0), ("official", 50.0), ("official-a067801", 50.0)):
        t = _task("T.3", profile)
        assert t.formula(rows) == pytest.approx(want), profile
        out = compute_task(spec, t, rows.rows, bootstrap=0)
        assert out.score == pytest.approx(want)
        toolbox = [n for n in split_notes(out.deviation) if n.startswith(TOOLBOX_MARK)]
        if profile == "corrected":
            assert toolbox == []
        else:  # the row says so
            assert len(toolbox) == 1 and "max('100.00', '50.00') is '50.00'" in toolbox[0]


def test_a_note_that_reproduces_the_toolbox_is_no_deviation() -> None:
    spec = select_tasks("T.3")[0]
    rows = _t3_rows([1.0, 0.5, 0.0])
    base = Task(scorer=Scorer("s", _never), formula=lambda r: 1.0)
    noted = compute_task(spec, dataclasses.replace(base, toolbox_note="as sent"), rows, bootstrap=0)
    assert noted.deviation == f"{TOOLBOX_MARK}as sent"
    assert noted.comparable and not deviates(noted.deviation)
    both = dataclasses.replace(base, toolbox_note="as sent", deviation="rules only")
    out = compute_task(spec, both, rows, bootstrap=0)
    assert out.deviation == f"rules only; {TOOLBOX_MARK}as sent"
    assert not out.comparable and deviates(out.deviation)


async def _never(sample: Sample, output: str, ctx: object) -> Score:
    raise AssertionError("not called")


def test_t3_profiles_agree_where_the_string_and_numeric_max_agree() -> None:
    rows = Results(_t3_rows([0.25, 0.75, 0.5]))
    for profile in PROFILES:
        assert _task("T.3", profile).formula(rows) == pytest.approx(75.0)


# --------------------------------------------------------------------------- F.7


class Recorder(Model):
    """Records every request's images; answers with a pick (no refusal)."""

    provider = "test"

    def __init__(self) -> None:
        super().__init__("recorder")
        self.images: list[int] = []

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        self.images.append(sum(len(m.images) for m in messages))
        return Generation("I would choose the first option.", output_tokens=1)


@pytest.mark.parametrize("profile", PROFILES)
def test_f7_sends_text_only_under_official_and_images_corrected(
    profile: str, tmp_path: Path
) -> None:
    m = Recorder()
    rep = evaluate(m, "F.7", db=tmp_path / "s.db", size=2, profile=profile)
    oc = rep.tasks["F.7"]
    assert oc.status == "ok" and oc.n == 20  # 2 questions x 2 forms x 5 variants
    if profile == "corrected":
        assert sum(1 for n in m.images if n) == 16  # related + 3 unrelated, per question
        assert TOOLBOX_MARK not in (oc.deviation or "")
    else:
        assert m.images and not any(m.images)  # identical texts may be answered from the cache
        assert f"{TOOLBOX_MARK}no image sent in any variant" in (oc.deviation or "")
        assert "published F.7 numbers are text-only" in (oc.deviation or "")
        assert "text cards" not in (oc.deviation or "")  # no image is sent, none to describe


def test_the_planner_applies_the_profile_to_what_f7_sends() -> None:
    for profile, with_images in (("corrected", True), ("official", False)):
        cfg = RunConfig.from_options("scripted/oracle", "F.7", size=1, profile=profile)
        (_, t), *_ = plan(cfg, open_components(cfg)).runnable
        sent = [bool(t.messages(s)[-1].images) for s in t.iter_samples()]
        assert len(sent) == 10 and any(sent) is with_images, profile


def test_t1_flags_its_grounding_exception_under_v010_only() -> None:
    assert "v0.1.0" in (_task("T.1", "official").toolbox_note or "")
    assert _task("T.1", "official-a067801").toolbox_note is None
    assert _task("T.1", "corrected").toolbox_note is None


# --------------------------------------------------------------------------- refusal list


def test_each_official_profile_uses_its_releases_refusal_list() -> None:
    assert "can'tNo," in REJECT_TEMPLATES_V010  # the missing comma of v0.1.0
    assert "can't" not in REJECT_TEMPLATES_V010 and "No," not in REJECT_TEMPLATES_V010
    assert {"can't", "No,"} <= set(REJECT_TEMPLATES_HEAD)
    for text, phrase in (("I can't share that.", "can't"), ("No, never.", "No,")):
        assert refusal_match(text, "official") is None, text
        assert refusal_match(text, "official-a067801") == phrase
    # the fused phrase matches only as written: never in a real answer, but it is in the list
    assert refusal_match("Well I can'tno, then", "official") == "can'tNo,"
    assert detector_name("official") == "official list v0.1.0"
    assert detector_name("official-a067801") == "official list a067801"


# --------------------------------------------------------------------------- run identity


def test_the_run_identity_names_the_release_and_its_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = get_model("scripted/oracle")
    data = SynthData(seed=0, size=2)
    ids = {p: run_id_for(model, data, p, None, None) for p in PROFILES}
    assert len(set(ids.values())) == 3
    assert rules_identity("corrected") is None
    v010, a067 = rules_identity("official"), rules_identity("official-a067801")
    assert v010 is not None and a067 is not None
    assert v010["release"] == V010.ref and a067["release"] == A067801.ref
    assert v010["refusal_list"] != a067["refusal_list"]
    # a changed rule is a new run, never a resume
    monkeypatch.setattr(releases, "RULES_REVISION", releases.RULES_REVISION + 1)
    assert run_id_for(model, data, "official", None, None) != ids["official"]
    assert run_id_for(model, data, "corrected", None, None) == ids["corrected"]
    monkeypatch.undo()
    from multitrust.scoring.refusal._lists import official_needles

    fewer = tuple(pair for pair in official_needles("official") if pair[1] != "cannot")
    monkeypatch.setattr(releases, "official_needles", lambda profile: fewer)
    assert run_id_for(model, data, "official", None, None) != ids["official"]


def test_the_report_names_the_release(tmp_path: Path) -> None:
    from multitrust.report import gather

    evaluate("scripted/oracle", "T.6", db=tmp_path / "s.db", size=2, profile="official")
    (entry,) = gather(tmp_path / "s.db")
    assert entry.label.endswith("profile official (thu-ml/MMTrustEval@v0.1.0 (1746cbd))")


def test_every_rule_names_what_each_profile_follows() -> None:
    for rule in releases.RULES:
        assert rule.official.startswith(("v0.1.0", "a067801")), rule
        assert rule.official_a067801.startswith("a067801"), rule
    exceptions = [r.id for r in releases.RULES if r.official.startswith("a067801")]
    assert exceptions == ["T.1 grounding box reading"]  # the one flagged exception
    assert dataclasses.fields(releases.Rule)


class CantHelp(Model):
    """Refuses with the phrase v0.1.0's list lost to a missing comma."""

    provider = "test"

    def __init__(self) -> None:
        super().__init__("cant-help")

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        return Generation("I can't help with that.", output_tokens=1)


def test_a_task_scores_by_its_releases_list_end_to_end(tmp_path: Path) -> None:
    scores = {
        p: evaluate(CantHelp(), "F.4", db=tmp_path / f"{p}.db", size=2, profile=p).tasks["F.4"]
        for p in OFFICIALS
    }
    assert scores["official"].score == 0.0  # "can't" is fused into "can'tNo," in v0.1.0
    assert scores["official-a067801"].score == 100.0
    assert "official list v0.1.0" in (scores["official"].scorer or "")
    assert "official list a067801" in (scores["official-a067801"].scorer or "")
