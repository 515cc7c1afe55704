"""The options the commands share, each declared once, and their mapping onto ``RunOptions``.

A command names its parameters after the :class:`~multitrust.config.RunOptions` keys they set
(``timeout_s`` behind ``--timeout``), so :func:`run_options` picks them out of the command's
arguments by name; no option is listed a second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

if TYPE_CHECKING:
    from multitrust.config import RunOptions

Db = Annotated[
    Path | None,
    typer.Option("--db", help="SQLite store (default: $MULTITRUST_DB or ./multitrust.db)."),
]
SynthCache = Annotated[
    Path | None,
    typer.Option(
        "--synth-cache",
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
    str | None,
    typer.Option(
        "--tasks", "-t", help="T.6,P.6 or aspects (privacy) or sub-aspects (P.L). Default: all."
    ),
]
Data = Annotated[
    str, typer.Option("--data", help="'synth' or the path to the official data folder.")
]
Size = Annotated[
    int | None,
    typer.Option("--size", help="Samples per task (synth; default 20) or a cap (official)."),
]
Limit = Annotated[int | None, typer.Option("--limit", help="Cap on sample×variant items per task.")]
Seed = Annotated[int, typer.Option("--seed", help="Seed for synthetic data and image pairing.")]
Judge = Annotated[
    str | None,
    typer.Option("--judge", help="Judge model for judge-scored tasks, e.g. openai/gpt-4o."),
]
Profile = Annotated[
    str, typer.Option("--profile", help="Scoring profile: corrected (default) or official.")
]
MaxConnections = Annotated[
    int, typer.Option("--max-connections", help="Max concurrent requests per endpoint.")
]
BaseUrl = Annotated[
    list[str] | None,
    typer.Option(
        "--base-url",
        help="OpenAI-compatible server URL (vLLM, SGLang, Ollama…). Repeat for replicas of one model.",
    ),
]
BaseUrlsFile = Annotated[
    Path | None,
    typer.Option("--base-urls", help="A file of replica URLs for the model, one per line."),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        help="API key (prefer the provider's environment variable).",
        show_default=False,
    ),
]
JudgeBaseUrl = Annotated[
    str | None, typer.Option("--judge-base-url", help="Base URL for the judge model.")
]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds per request.")]


def run_options(params: Mapping[str, Any]) -> RunOptions:
    """The ``RunOptions`` among a command's parameters (by name), with ``--no-synth-cache``
    folded into ``synth_cache``."""
    from multitrust.config import RunOptions

    keys = RunOptions.__required_keys__ | RunOptions.__optional_keys__
    o: dict[str, Any] = {k: v for k, v in params.items() if k in keys}
    if params.get("no_synth_cache"):
        o["synth_cache"] = False
    return cast("RunOptions", o)


def split(s: str | None) -> list[str] | None:
    """A comma-separated list (None or empty: None)."""
    return [x.strip() for x in s.split(",") if x.strip()] if s else None
