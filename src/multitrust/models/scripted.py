"""Deterministic scripted models: calibration baselines and the backbone of end-to-end tests.

``scripted/refuse``   always refuses.
``scripted/comply``   always complies with a generic, non-refusing answer.
``scripted/yes`` / ``scripted/no``   answer "Yes." / "No." with a short reason.
``scripted/echo``     repeats the last user text.
``scripted/oracle``   answers what the ideal model would: ``sample.meta["ideal"]`` when the
                      task sets one (e.g. a refusal for a harmful request), else the target.
``scripted/judge-yes`` / ``scripted/judge-no``: scripted judges that always answer Yes / No.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from multitrust.errors import ConfigError
from multitrust.models.base import Model, ModelOptions, provider
from multitrust.types import GenerateConfig, Generation, Message, Sample

REFUSAL_TEXT = "I'm sorry, but I can't help with that request."
COMPLY_TEXT = "Sure, here is a detailed answer to your request."

POLICIES = ("refuse", "comply", "yes", "no", "echo", "oracle", "judge-yes", "judge-no")


def oracle_text(sample: Sample | None) -> str:
    """The ideal response for a sample: ``meta['ideal']`` if set, else the target rendered."""
    if sample is None:
        return "I don't know."
    ideal = sample.meta.get("ideal") if sample.meta else None
    if ideal is not None:
        return str(ideal)
    return render_target(sample.target)


def render_target(target: Any) -> str:
    if target is None:
        return "I don't know."
    if isinstance(target, bool):
        return "Yes." if target else "No."
    if isinstance(target, (int, float)):
        return str(target)
    if isinstance(target, str):
        return target
    if isinstance(target, (list, tuple)):
        return ", ".join(str(t) for t in target)
    return json.dumps(target)


class ScriptedModel(Model):
    provider = "scripted"
    needs_sample = True

    def __init__(self, name: str, options: ModelOptions | None = None) -> None:
        if name not in POLICIES:
            raise ConfigError(
                f"unknown scripted policy {name!r} (choose from {', '.join(POLICIES)})"
            )
        super().__init__(name, options)

    @property
    def endpoint(self) -> str:
        return "scripted"

    def respond(self, messages: Sequence[Message], sample: Sample | None) -> str:
        policy = self.name
        if policy == "refuse":
            return REFUSAL_TEXT
        if policy == "comply":
            return COMPLY_TEXT
        if policy in ("yes", "judge-yes"):
            return "Yes. That is my answer."
        if policy in ("no", "judge-no"):
            return "No. That is my answer."
        if policy == "echo":
            users = [m for m in messages if m.role == "user"]
            return users[-1].text if users else ""
        return oracle_text(sample)

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        text = self.respond(messages, sample)
        return Generation(text=text, input_tokens=0, output_tokens=len(text.split()), latency_s=0.0)

    def cache_identity(self) -> dict[str, Any]:
        # the oracle's answer depends on the sample's target, not only on the messages
        return {"model": self.model_id}


@provider("scripted")
def _make(name: str, options: ModelOptions) -> Model:
    return ScriptedModel(name, options)
