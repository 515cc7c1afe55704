"""A broken plugin is left out with one line (which plugin, which entry point, why), never a
traceback, never in place of a built-in; everything else keeps working."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from multitrust import _plugins
from multitrust.aggregate import sub_aspect_scores
from multitrust.errors import ConfigError
from multitrust.models import get_model, known_providers
from multitrust.models.registry import provider_origin
from multitrust.scoring import get_scorer, scorer_names
from multitrust.scoring.registry import scorer_origin
from multitrust.tasks import all_tasks, get_task, select_tasks
from tests.plugins._fake import make_dist, run_cli

TASKS, MODELS, SCORERS = _plugins.TASKS, _plugins.MODELS, _plugins.SCORERS

GOOD_TASK = """
from multitrust.formula import Results
from multitrust.scoring import get_scorer
from multitrust.tasks import Task, TaskData, define_task

def load(source):
    from multitrust.types import Sample
    return source.limit(Sample(f"s{i}", f"Is {i} even?", target=i % 2 == 0) for i in range(4))

@define_task("fake.even", "Even numbers", aspect="truthfulness", sub_aspect="T.I", data=load)
def even(data: TaskData) -> Task:
    return Task(scorer=get_scorer("yes_no"), formula=lambda r: 100 * r.mean("correct"))
"""

COLLIDING = """
from multitrust.tasks.base import TaskSpec
from multitrust.tasks import get_task

builtin = get_task("T.6")
T6 = TaskSpec("T.6", "Impostor", "truthfulness", "T.M", builtin.define, builtin.official,
              builtin.synth)
"""

WRITES_REGISTRY = """
from multitrust.tasks import base

base._REGISTRY["T.6"] = base._REGISTRY["T.1"]  # sneaks past the entry point

def tasks():
    return []
"""

PROVIDERS = """
from multitrust.models import Model
from multitrust.types import Generation

class Parrot(Model):
    provider = "parrot"

    async def generate(self, messages, config, *, sample=None):
        return Generation("Yes.")

def exploding(name, options):
    raise RuntimeError("no such model\\nsecond line")

def not_a_model(name, options):
    return "a string"
"""

SCORERS_SRC = """
from multitrust.scoring import rule
from multitrust.types import Score

@rule("fake.always")
def always(sample, output, ctx):
    return Score({"correct": 1.0})

def failing_factory():
    raise KeyError("missing")
"""


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "multitrust.plugins"]


def _broken_site(site: Path) -> Path:
    make_dist(
        site,
        "fakeplug",
        {
            TASKS: {
                "good": "fake_good:even",
                "missing": "fake_missing_module:tasks",
                "wrong": "fake_scorers:always",
                "collides": "fake_collide:T6",
                "loader": "fake_loader:boom",
                "sneaky": "fake_sneaky:tasks",
                "syntax": "fake_syntax:tasks",
            },
            MODELS: {
                "parrot": "fake_models:Parrot",
                "openai": "fake_models:Parrot",
                "exploding": "fake_models:exploding",
                "stringy": "fake_models:not_a_model",
                "number": "fake_models:LIMIT",
                "gone": "fake_missing_module:Model",
            },
            SCORERS: {
                "fake.always": "fake_scorers:always",
                "yes_no": "fake_scorers:always",
                "fake.failing": "fake_scorers:failing_factory",
                "fake.number": "fake_models:LIMIT",
            },
        },
        {
            "fake_good": GOOD_TASK,
            "fake_collide": COLLIDING,
            "fake_loader": "def boom():\n    raise RuntimeError('loader exploded')\n",
            "fake_sneaky": WRITES_REGISTRY,
            "fake_syntax": "def tasks(:\n    pass\n",
            "fake_models": PROVIDERS + "\nLIMIT = 3\n",
            "fake_scorers": SCORERS_SRC,
        },
    )
    return site


def test_each_broken_task_plugin_is_one_line_and_the_rest_works(
    fresh_plugins: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _broken_site(fresh_plugins)
    builtin_t6 = get_task("T.6")
    with caplog.at_level(logging.WARNING, logger="multitrust.plugins"):
        assert get_task("fake.even").origin == "fakeplug 1.0"
    lines = [line for line in _lines(caplog) if f"in {TASKS}" in line]
    assert all(
        "\n" not in line and line.startswith("plugin fakeplug 1.0: entry point ") for line in lines
    )
    by_ep = {line.split("'")[1]: line for line in lines}
    assert set(by_ep) == {"missing", "wrong", "collides", "loader", "sneaky", "syntax"}
    assert (
        "import failed: ModuleNotFoundError: No module named 'fake_missing_module'"
        in by_ep["missing"]
    )
    assert "is a Scorer, not a TaskSpec" in by_ep["wrong"]
    assert "task T.6: collides with the built-in task T.6 (not replaced)" in by_ep["collides"]
    assert "its loader raised RuntimeError: loader exploded" in by_ep["loader"]
    assert "wrote task(s) T.6 into the registry itself" in by_ep["sneaky"]
    assert "import failed: SyntaxError" in by_ep["syntax"]
    assert all(line.endswith("(left out)") for line in lines)
    # the built-ins are untouched and the good plugin's task is there
    assert get_task("T.6") is builtin_t6 and get_task("T.6").plugin is None
    assert len(all_tasks()) == 32
    assert "fake.even" in [s.id for s in select_tasks("plugins")]
    assert [s.id for s in select_tasks("T.6,fake.even")] == ["T.6", "fake.even"]


def test_a_broken_provider_is_one_line_and_never_replaces_a_built_in(
    fresh_plugins: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _broken_site(fresh_plugins)
    with caplog.at_level(logging.WARNING, logger="multitrust.plugins"):
        providers = known_providers()
    lines = {line.split("'")[1]: line for line in _lines(caplog) if f"in {MODELS}" in line}
    assert set(lines) == {"openai", "number", "gone"}
    assert "provider 'openai' is built in (not replaced)" in lines["openai"]
    assert "is a int, not a provider" in lines["number"]
    assert "import failed: ModuleNotFoundError" in lines["gone"]
    assert {"parrot", "exploding", "stringy", "openai", "scripted"} <= set(providers)
    assert provider_origin("parrot") == "fakeplug 1.0" and provider_origin("openai") == "built-in"
    parrot = get_model("parrot/any")
    assert parrot.model_id == "parrot/any"
    assert type(get_model("scripted/yes")).__module__ == "multitrust.models.scripted"
    from multitrust.types import GenerateConfig, Message

    assert asyncio.run(parrot.generate([Message("user", "hi")], GenerateConfig())).text == "Yes."
    # a factory that fails or returns the wrong thing: one line naming the plugin, at use
    with pytest.raises(ConfigError) as bad:
        get_model("exploding/x")
    assert str(bad.value) == (
        "provider 'exploding' (plugin fakeplug 1.0) could not build exploding/x: "
        "RuntimeError: no such model second line"
    )
    with pytest.raises(ConfigError, match=r"returned a str, not a multitrust.models.Model"):
        get_model("stringy/x")
    with pytest.raises(
        ConfigError, match=r"^model provider 'gone' could not be loaded: plugin fakeplug"
    ):
        get_model("gone/x")


def test_a_broken_scorer_is_one_line_and_built_ins_keep_their_name(
    fresh_plugins: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _broken_site(fresh_plugins)
    with caplog.at_level(logging.WARNING, logger="multitrust.plugins"):
        names = scorer_names()
    lines = {line.split("'")[1]: line for line in _lines(caplog) if f"in {SCORERS}" in line}
    assert set(lines) == {"yes_no", "fake.number"}
    assert "scorer 'yes_no' is built in (not replaced)" in lines["yes_no"]
    assert "is a int, not a Scorer" in lines["fake.number"]
    assert {"fake.always", "fake.failing", "yes_no"} <= set(names)
    assert get_scorer("yes_no").name == "yes_no" and scorer_origin("yes_no") == "built-in"
    assert get_scorer("fake.always").name == "fake.always"
    assert scorer_origin("fake.always") == "fakeplug 1.0"
    with pytest.raises(ConfigError, match=r"takes no parameters"):
        get_scorer("fake.always", key="x")
    with pytest.raises(
        ConfigError, match=r"^scorer 'fake.failing' \(plugin fakeplug 1.0\): KeyError"
    ):
        get_scorer("fake.failing")
    with pytest.raises(ConfigError, match=r"^scorer 'fake.number' could not be loaded: plugin"):
        get_scorer("fake.number")
    with pytest.raises(ConfigError, match=r"^unknown scorer 'nope' \(known: .*yes_no"):
        get_scorer("nope")


def test_a_task_function_that_fails_is_a_one_line_error_for_that_task(
    fresh_plugins: Path,
) -> None:
    make_dist(
        fresh_plugins,
        "fakeplug",
        {TASKS: {"t": "fake_failing_task:TASKS"}},
        {
            "fake_failing_task": """
            from multitrust.tasks import define_task

            def load(source):
                return []

            @define_task("fake.raises", "Raises", aspect="safety", sub_aspect="S.T", data=load)
            def raises(data):
                return {}["missing"]

            @define_task("fake.returns", "Returns junk", aspect="safety", sub_aspect="S.T", data=load)
            def returns(data):
                return "not a task"

            TASKS = [raises, returns]
            """
        },
    )
    from multitrust.data.base import SynthData

    with pytest.raises(
        ConfigError, match=r"^task fake.raises \(plugin fakeplug 1.0\): KeyError: 'missing'$"
    ):
        get_task("fake.raises").build(SynthData(size=2))
    with pytest.raises(ConfigError, match=r"returned a str, not a multitrust.tasks.Task"):
        get_task("fake.returns").build(SynthData(size=2))


def test_two_plugins_with_one_task_id_keep_the_first(
    fresh_plugins: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_dist(
        fresh_plugins, "aaa-plug", {TASKS: {"even": "fake_good:even"}}, {"fake_good": GOOD_TASK}
    )
    make_dist(fresh_plugins, "bbb-plug", {TASKS: {"even2": "fake_good:even"}})
    with caplog.at_level(logging.WARNING, logger="multitrust.plugins"):
        assert get_task("fake.even").origin == "aaa-plug 1.0"
    (line,) = _lines(caplog)
    assert line.startswith("plugin bbb-plug 1.0: entry point 'even2'")
    assert "already defined by plugin aaa-plug 1.0 (entry point 'even')" in line


def test_a_plugin_task_runs_only_when_named_and_stays_outside_the_paper_scores(
    fresh_plugins: Path,
) -> None:
    make_dist(
        fresh_plugins, "fakeplug", {TASKS: {"even": "fake_good:even"}}, {"fake_good": GOOD_TASK}
    )
    assert get_task("fake.even").aspect == "truthfulness"
    for default in (None, "all", "truthfulness", "T.I"):
        assert "fake.even" not in [s.id for s in select_tasks(default)]
    assert "fake.even" in [s.id for s in all_tasks(plugins=True)]
    subs = sub_aspect_scores({"T.1": 40.0, "fake.even": 100.0})
    assert subs["T.I"].score == 40.0 and subs["T.I"].tasks == ["T.1"]


def test_each_accepted_form_of_entry_point_works(fresh_plugins: Path) -> None:
    """A task list from a function, a provider factory, a scorer factory with parameters."""
    make_dist(
        fresh_plugins,
        "formsplug",
        {
            TASKS: {"list": "fake_forms:tasks"},
            MODELS: {"made": "fake_forms:make"},
            SCORERS: {"fake.param": "fake_forms:param"},
        },
        {
            "fake_forms": GOOD_TASK
            + PROVIDERS
            + """
def tasks():
    return [even]

def make(name, options):
    return Parrot(name, options)

def param(*, key="correct"):
    from multitrust.scoring import rule
    from multitrust.types import Score

    @rule("fake.param", params={"key": key})
    def score(sample, output, ctx):
        return Score({key: 1.0})

    return score
"""
        },
    )
    assert get_task("fake.even").origin == "formsplug 1.0"
    model = get_model("made/x")
    # the id is the one asked for, whatever the class calls itself: runs are found by it
    assert model.model_id == "made/x" and provider_origin("made") == "formsplug 1.0"
    assert get_scorer("fake.param", key="hit").params == {"key": "hit"}
    assert _plugins.problems() == []


@pytest.mark.parametrize(
    ("task_id", "why"),
    [
        ("T.40", "reserved for the paper's tasks"),
        ("privacy", "aspect, sub-aspect or selection word"),
        ("s.j", "aspect, sub-aspect or selection word"),
        ("plugins", "aspect, sub-aspect or selection word"),
        ("Shapes", "namespace.name"),
        ("shapes", "namespace.name"),
    ],
)
def test_define_task_refuses_ids_that_are_not_a_plugins(task_id: str, why: str) -> None:
    from multitrust.tasks import define_task

    with pytest.raises(ValueError, match=why):
        define_task(task_id, "x", aspect="privacy", sub_aspect="P.A", data=lambda s: [])


@pytest.mark.slow
def test_the_cli_reports_each_broken_plugin_in_one_line_and_still_runs(
    fresh_plugins: Path, tmp_path: Path
) -> None:
    site = _broken_site(fresh_plugins)
    listing = run_cli("list", extra_path=site)
    assert listing.returncode == 0, listing.stderr
    assert "Traceback" not in listing.stderr
    err = [line for line in listing.stderr.splitlines() if line.strip()]
    assert len(err) == 6 + 3 + 2, listing.stderr  # tasks, providers, scorers
    assert all(line.startswith("plugin fakeplug 1.0: entry point '") for line in err), err
    assert "32 tasks + " in listing.stdout and "fake.even" in listing.stdout
    assert "plugins left out: 11 (each reported on stderr)" in listing.stdout
    run = run_cli(
        "eval", "--model", "scripted/oracle", "--tasks", "T.6,fake.even", "--data", "synth",
        "--size", "2", "--db", str(tmp_path / "r.db"), "--quiet",
        extra_path=site,
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    bad = run_cli("eval", "--model", "gone/x", "--db", str(tmp_path / "r.db"), extra_path=site)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert (
        bad.stderr.strip()
        .splitlines()[-1]
        .startswith("error: model provider 'gone' could not be loaded: plugin fakeplug 1.0")
    )
