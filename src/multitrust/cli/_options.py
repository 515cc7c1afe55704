"""The options the commands share, each declared once, and their mapping onto ``RunOptions``.

A command names its parameters after the :class:`~multitrust.config.RunOptions` keys they set
(``timeout_s`` behind ``--timeout``), so :func:`run_options` picks them out of the command's
arguments by name; no option is listed a second time. Values that can never be right (a size
of 0, a negative timeout) are refused while the command line is parsed, with one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

if TYPE_CHECKING:
    from multitrust.config import RunOptions
    from multitrust.many import ModelEntry


def _positive(value: float | None) -> float | None:
    if value is not None and not value > 0:
        raise typer.BadParameter(f"must be more than 0, not {value:g}")
    return value


Db = Annotated[
    Path | None,
    typer.Option(
        "--db", metavar="FILE", help="SQLite store (default: $MULTITRUST_DB or ./multitrust.db)."
    ),
]
SynthCache = Annotated[
    Path | None,
    typer.Option(
        "--synth-cache",
        metavar="DIR",
        help="Where the synthetic suite is kept once drawn (default: $MULTITRUST_CACHE or ~/.cache/multitrust).",
    ),
]
NoSynthCache = Annotated[
    bool,
    typer.Option(
        "--no-synth-cache", help="Draw the synthetic suite again instead of reading it back."
    ),
]
Tasks = Annotated[
    list[str] | None,
    typer.Option(
        "--tasks",
        "-t",
        metavar="IDS",
        help="T.6,P.6 or aspects (privacy) or sub-aspects (P.L); repeatable. Default: all.",
    ),
]
Models = Annotated[
    str | None,
    typer.Option(
        "--models",
        metavar="FILE|IDS",
        help="Models: a file, one per line (provider/name [--base-url URL]..., see docs/scale.md), "
        "or a comma-separated list of provider/name ids.",
    ),
]
Data = Annotated[
    str,
    typer.Option(
        "--data", metavar="synth|DIR", help="'synth' or the path to the official data folder."
    ),
]
Size = Annotated[
    int | None,
    typer.Option(
        "--size",
        metavar="N",
        min=1,
        help="Samples per task (synth; default 20) or a cap (official).",
    ),
]
Limit = Annotated[
    int | None,
    typer.Option("--limit", metavar="N", min=1, help="Cap on sample×variant items per task."),
]
Seed = Annotated[
    int, typer.Option("--seed", metavar="N", help="Seed for synthetic data and image pairing.")
]
#: rescore's sample selection: each left out is taken from the model's last stored run
_LAST = "Default: the last stored run's."
StoredTasks = Annotated[
    list[str] | None,
    typer.Option(
        "--tasks",
        "-t",
        metavar="IDS",
        help="T.6,P.6 or aspects (privacy) or sub-aspects (P.L); repeatable. Default: the tasks of the model's last stored run.",
    ),
]
StoredData = Annotated[
    str | None,
    typer.Option(
        "--data", metavar="synth|DIR", help=f"'synth' or the official data folder. {_LAST}"
    ),
]
StoredSize = Annotated[
    int | None,
    typer.Option(
        "--size", metavar="N", min=1, help=f"Samples per task (synth) or a cap (official). {_LAST}"
    ),
]
StoredLimit = Annotated[
    int | None,
    typer.Option(
        "--limit", metavar="N", min=1, help=f"Cap on sample×variant items per task. {_LAST}"
    ),
]
StoredSeed = Annotated[int | None, typer.Option("--seed", metavar="N", help=f"Seed. {_LAST}")]
Judge = Annotated[
    str | None,
    typer.Option(
        "--judge",
        metavar="PROVIDER/NAME",
        help="Judge model for judge-scored tasks, e.g. openai/gpt-4o (built only when a task uses it).",
    ),
]
JudgeApiKey = Annotated[
    str | None,
    typer.Option(
        "--judge-api-key",
        metavar="KEY",
        help="The judge's API key (prefer its provider's environment variable).",
        show_default=False,
    ),
]
JudgeBaseUrl = Annotated[
    str | None,
    typer.Option("--judge-base-url", metavar="URL", help="Base URL for the judge model."),
]
Profile = Annotated[
    str,
    typer.Option(
        "--profile",
        metavar="corrected|official|official-a067801",
        help="Scoring profile: corrected (default: the toolbox's defects fixed), official (the "
        "paper-era toolbox release v0.1.0, rule for rule) or official-a067801 (its current "
        "release). See docs/scoring.md.",
    ),
]
MaxConnections = Annotated[
    int,
    typer.Option(
        "--max-connections", metavar="N", min=1, help="Max concurrent requests per endpoint."
    ),
]
BaseUrl = Annotated[
    list[str] | None,
    typer.Option(
        "--base-url",
        metavar="URL",
        help="OpenAI-compatible server URL (vLLM, SGLang, Ollama…). Repeat for replicas of one model.",
    ),
]
BaseUrlsFile = Annotated[
    Path | None,
    typer.Option(
        "--base-urls", metavar="FILE", help="A file of replica URLs for the model, one per line."
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        metavar="KEY",
        help="The model's API key (prefer the provider's environment variable).",
        show_default=False,
    ),
]
Timeout = Annotated[
    float,
    typer.Option("--timeout", metavar="SECONDS", callback=_positive, help="Seconds per request."),
]
StopAfterErrors = Annotated[
    int,
    typer.Option(
        "--stop-after-errors",
        metavar="N",
        min=0,
        help="Stop at once when the first N requests all fail with the same error no retry can "
        "fix (a wrong URL or model name, a rejected key); 0: never.",
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")]
HarmClassifier = Annotated[
    str | None,
    typer.Option(
        "--harm-classifier",
        metavar="PROVIDER/NAME",
        help="HarmBench classifier for S.4-S.6 attack success: hf/cais/HarmBench-Llama-2-13b-cls, or openai/<name> with --harm-base-url.",
    ),
]
HarmBaseUrl = Annotated[
    str | None,
    typer.Option(
        "--harm-base-url",
        metavar="URL",
        help="OpenAI-compatible server serving the harm classifier.",
    ),
]
RefusalClassifier = Annotated[
    str | None,
    typer.Option(
        "--refusal-classifier",
        metavar="PROVIDER/NAME",
        help="OR the Do-Not-Answer action classifier into refusal rates, as the paper did: hf/LibrAI/longformer-action-ro.",
    ),
]

RefusalJudge = Annotated[
    str | None,
    typer.Option(
        "--refusal-judge",
        metavar="PROVIDER/NAME",
        help="Also ask this judge model whether each refusal-rate answer declines the request "
        "(fixed prompt refusal-judge-v1; cached, rescorable); it decides the refusal rate. It is "
        "the run's judge (--judge may be left out). Corrected profile only.",
    ),
]


def _toxicity(value: str | None) -> str | None:
    """``--toxicity offline`` still works, with a one-line warning: it is the profanity filter."""
    if value is not None and value.strip() == "offline":
        import sys

        print(
            "warning: --toxicity offline is deprecated: it is the alt-profanity-check profanity "
            "filter, not a toxicity model; use --toxicity profanity",
            file=sys.stderr,
        )
        return "profanity"
    return value


Toxicity = Annotated[
    str | None,
    typer.Option(
        "--toxicity",
        metavar="BACKEND",
        callback=_toxicity,
        help="S.1/S.3 toxicity: auto (default: Perspective + OpenAI moderation when both keys are set, else moderation, else a local model), api, perspective, moderation, hf/<model id or dir>[#label] (a local classifier) or profanity (a profanity filter); all but api are not comparable with the paper.",
    ),
]
Output = Annotated[Path, typer.Option("--output", "-o", metavar="FILE", help="File to write.")]


def run_options(params: Mapping[str, Any]) -> RunOptions:
    """The ``RunOptions`` among a command's parameters (by name), with ``--no-synth-cache``
    folded into ``synth_cache``."""
    from multitrust.config import RunOptions

    keys = RunOptions.__required_keys__ | RunOptions.__optional_keys__
    o: dict[str, Any] = {k: v for k, v in params.items() if k in keys}
    if params.get("no_synth_cache"):
        o["synth_cache"] = False
    return cast("RunOptions", o)


def tasks(values: Sequence[str] | None) -> str | None:
    """Every ``--tasks`` given (each may be a comma list), as one selection."""
    items = [t.strip() for v in values or () for t in v.split(",") if t.strip()]
    return ",".join(dict.fromkeys(items)) or None


def model_entries(value: str | None) -> list[ModelEntry]:
    """``--models``: a models file if one is there, otherwise a comma list of provider/name."""
    from multitrust.errors import ConfigError
    from multitrust.many import ModelEntry, read_models_file

    if not value:
        return []
    path = Path(value)
    if path.is_file():
        return read_models_file(path)
    ids = [x.strip() for x in value.split(",") if x.strip()]
    bad = [x for x in ids if "/" not in x.strip("/")]
    if not ids or bad:
        raise ConfigError(
            f"--models {value!r}: no such file, and not a comma list of provider/name ids"
        )
    return [ModelEntry(x) for x in ids]


def output_file(path: Path) -> Path:
    """``--output``: a file whose folder exists (checked before any work is done)."""
    from multitrust.errors import ConfigError

    if path.is_dir():
        raise ConfigError(f"--output {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise ConfigError(f"--output {path}: no such folder {path.parent}")
    return path
