"""multitrust: measure how trustworthy a multimodal (image + text) chat model is.

Implements the 32 tasks of the MultiTrust benchmark (arXiv 2406.07057) on the official data
release or a seeded synthetic suite, against local Hugging Face models and API models.

    >>> from multitrust import evaluate
    >>> report = evaluate("scripted/oracle", "T.6", data="synth")  # doctest: +SKIP
"""

from multitrust._version import __version__

__all__ = [
    "GenerateConfig",
    "Generation",
    "Image",
    "Message",
    "RunConfig",
    "RunReport",
    "Sample",
    "Score",
    "__version__",
    "evaluate",
    "evaluate_async",
    "evaluate_many",
    "is_refusal",
    "load_results",
    "load_task_results",
    "run",
    "run_async",
]

from typing import TYPE_CHECKING, Any

from multitrust.types import GenerateConfig, Generation, Image, Message, Sample, Score

if TYPE_CHECKING:  # the lazy names below, typed for checkers (loaded on first use at run time)
    from multitrust.api import RunReport, evaluate, evaluate_async, run, run_async
    from multitrust.config import RunConfig
    from multitrust.many import evaluate_many
    from multitrust.results import load_results, load_task_results
    from multitrust.scoring.refusal import is_refusal


def __getattr__(name: str) -> Any:
    # heavy modules load on first use, so `import multitrust` stays fast
    if name in ("evaluate", "RunReport", "evaluate_async", "run", "run_async"):
        from multitrust import api

        return getattr(api, name)
    if name == "evaluate_many":
        from multitrust.many import evaluate_many

        return evaluate_many
    if name == "RunConfig":
        from multitrust.config import RunConfig

        return RunConfig
    if name == "is_refusal":
        from multitrust.scoring.refusal import is_refusal

        return is_refusal
    if name in ("load_results", "load_task_results"):
        from multitrust import results

        return getattr(results, name)
    raise AttributeError(f"module 'multitrust' has no attribute {name!r}")
