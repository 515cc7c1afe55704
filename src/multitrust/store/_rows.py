"""The store's record types: a run's description and one result row."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from multitrust.types import Sample, Score


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    model: str
    judge: str | None
    profile: str
    tasks: list[str]
    data: dict[str, Any]
    settings: dict[str, Any]
    package_version: str
    git_commit: str | None
    status: str
    created: float
    updated: float


@dataclass
class ResultRow:
    run_id: str
    task_id: str
    sample_id: str
    variant: str
    gen_key: str | None
    prompt: str
    images: list[dict[str, Any]]
    target: Any
    meta: dict[str, Any]
    output: str | None
    values: dict[str, float | None] | None
    label: str | None
    explanation: str | None
    scorer: str | None
    error: str | None = None
    error_kind: str | None = None

    @classmethod
    def asked(
        cls, run_id: str, task_id: str, sample: Sample, *, gen_key: str | None, prompt: str
    ) -> ResultRow:
        """The row of ``sample`` as asked, before its answer is scored (see :meth:`scored`,
        :meth:`failed`)."""
        return cls(
            run_id=run_id,
            task_id=task_id,
            sample_id=sample.id,
            variant=sample.variant,
            gen_key=gen_key,
            prompt=prompt,
            images=[i.ref() for i in sample.images],
            target=sample.target,
            meta=dict(sample.meta),
            output=None,
            values=None,
            label=None,
            explanation=None,
            scorer=None,
        )

    def scored(self, output: str, score: Score, scorer: str) -> ResultRow:
        """This row with its scored answer (``scorer``: the name recorded when the score has
        none)."""
        return replace(
            self,
            output=output,
            values=dict(score.values),
            label=score.label,
            explanation=score.explanation,
            scorer=score.scorer or scorer,
        )

    def failed(self, error: str, kind: str, output: str | None = None) -> ResultRow:
        """This row without a score: ``error`` of ``kind`` (retried on a rerun)."""
        return replace(self, output=output, error=error, error_kind=kind)
