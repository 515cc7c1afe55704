"""multitrust values as inspect_ai values and back: samples, messages, generation settings.

Pure conversions, no registry and no model calls. A multitrust :class:`~multitrust.types.Sample`
becomes one inspect ``Sample`` whose input is the task's rendered chat (system turn, then the
user turn with its images first, as the engine sends it) and whose metadata carries everything
the multitrust scorer and formula read (id, variant, text, target, meta), so a score can be
recomputed from the eval log alone (``inspect score``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inspect_ai.dataset import Sample as InspectSample
from inspect_ai.model import (
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
    ContentImage,
    ContentText,
)
from inspect_ai.model import GenerateConfig as InspectGenerateConfig

from multitrust.formula import Row
from multitrust.tasks.base import Task
from multitrust.types import GenerateConfig, Image, Message, Sample


def image_content(image: Image) -> ContentImage:
    """An image for inspect: a file on disk by its absolute path (inspect reads it when the
    model is called), an in-memory image (synthetic data) as a ``data:`` URI."""
    if image.data is None and image.path is not None:
        return ContentImage(image=str(Path(image.path).resolve()))
    encoded = base64.b64encode(image.read_bytes()).decode("ascii")
    return ContentImage(image=f"data:{image.mime};base64,{encoded}")


def chat_message(message: Message) -> ChatMessageSystem | ChatMessageUser | ChatMessageAssistant:
    """One multitrust chat turn as inspect's message; images come before the text, as the
    engine sends them."""
    if message.role == "system":
        return ChatMessageSystem(content=message.text)
    if message.role == "assistant":
        return ChatMessageAssistant(content=message.text)
    if not message.images:
        return ChatMessageUser(content=message.text)
    parts: list[ContentImage | ContentText] = [image_content(i) for i in message.images]
    parts.append(ContentText(text=message.text))
    return ChatMessageUser(content=parts)


def generate_config(config: GenerateConfig) -> InspectGenerateConfig:
    """A task's generation settings (greedy, its token budget) as inspect's config."""
    return InspectGenerateConfig(
        max_tokens=config.max_tokens,
        temperature=config.temperature,
        top_p=config.top_p,
        seed=config.seed,
        stop_seqs=list(config.stop) or None,
    )


def target_text(target: Any) -> str:
    """The ground truth as inspect shows it (a string; JSON for anything else)."""
    if target is None:
        return ""
    return target if isinstance(target, str) else json.dumps(target, sort_keys=True)


def sample_metadata(sample: Sample) -> dict[str, Any]:
    """What the multitrust scorer and formula need, kept in the inspect sample's metadata."""
    return {
        "id": sample.id,
        "variant": sample.variant,
        "text": sample.text,
        "target": sample.target,
        "meta": dict(sample.meta),
        "images": [i.origin or i.sha256[:12] for i in sample.images],
    }


def to_inspect_sample(task: Task, sample: Sample) -> InspectSample:
    """The inspect sample for one multitrust sample of ``task`` (id ``<id>@<variant>``)."""
    return InspectSample(
        input=[chat_message(m) for m in task.messages(sample)],
        target=target_text(sample.target),
        id=sample.uid,
        metadata=sample_metadata(sample),
    )


def sample_from_metadata(metadata: Mapping[str, Any]) -> Sample:
    """The multitrust sample a scorer reads (no pixels: scorers read text, target and meta)."""
    try:
        return Sample(
            id=str(metadata["id"]),
            text=str(metadata["text"]),
            target=metadata.get("target"),
            meta=dict(metadata.get("meta") or {}),
            variant=str(metadata.get("variant") or "text"),
        )
    except KeyError as exc:
        raise ValueError(f"not a multitrust sample: its metadata has no {exc.args[0]!r}") from None


def score_row(metadata: Mapping[str, Any], value: Any) -> Row:
    """A scored sample as the task formula reads it, from the score's metadata and value."""
    values = value if isinstance(value, Mapping) else {}
    return Row(
        str(metadata.get("id")),
        str(metadata.get("variant") or "text"),
        dict(metadata.get("meta") or {}),
        {str(k): None if v is None else float(v) for k, v in values.items()},
        metadata.get("label"),
    )
