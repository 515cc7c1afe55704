"""Local Hugging Face models: ``hf/<repo id or local dir>``.

Vision-language models load through ``AutoProcessor`` + ``AutoModelForImageTextToText``;
text-only models fall back to ``AutoTokenizer`` + ``AutoModelForCausalLM``. Prompts are
rendered with the checkpoint's own chat template (image placeholders included) and
conversations are generated in left-padded batches.

The model is loaded lazily, once, on the first call (in a worker thread so the event loop keeps
running) and freed by :meth:`HFModel.aclose`. Construction is cheap and never touches the
network. Options (``ModelOptions``): ``device`` (``cuda``/``cuda:1``/``mps``/``cpu``/``auto``,
default cuda > mps > cpu), ``dtype`` (``bfloat16``/``float16``/``float32``/``float64``/``auto``),
``batch_size`` (default 32 on GPU, 4 on CPU), ``max_image_side``; ``extra`` keys
``revision``, ``trust_remote_code`` and ``attn_implementation``. The hub token is read
from ``HF_TOKEN`` and never recorded.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

__all__ = [
    "DTYPES",
    "HFModel",
    "LoadError",
    "checkpoint_commit",
    "free_accelerator_cache",
    "hub_kwargs",
    "load_images",
    "model_kwargs",
    "pad_left",
    "place_model",
    "render_prompt",
    "resolve_device",
    "resolve_dtype",
    "truncate_at_stop",
]

from multitrust.errors import ConfigError, DataError, InputError, ModelCallError
from multitrust.models._hf_setup import (
    DTYPES,
    LoadError,
    checkpoint_commit,
    hub_kwargs,
    is_gpu,
    model_kwargs,
    place_model,
    resolve_device,
    resolve_dtype,
    scrub_token,
)
from multitrust.models.base import Model, ModelOptions, provider
from multitrust.types import GenerateConfig, Generation, Message, Sample

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image as PILImage

# measured on an H200 (docs/performance.md): 2.5x at 8, 7x at 32 over batch 1; a batch that
# runs out of memory is split in halves, so a large default is safe
DEFAULT_GPU_BATCH = 32
DEFAULT_CPU_BATCH = 4


# ---------------------------------------------------------------------------------------------
# loading (device, dtype and from_pretrained arguments: models/_hf_setup.py)


@dataclass
class _Loaded:
    """A loaded checkpoint and what we learnt while loading it."""

    model: Any
    processor: Any
    """The multimodal processor, or the tokenizer for text-only models."""
    tokenizer: Any
    multimodal: bool
    device: str
    dtype: str
    commit: str | None
    template: str
    """Where the chat template comes from: ``processor``, ``tokenizer`` or ``fallback``."""


def _load_checkpoint(name: str, options: ModelOptions, device: str, dtype: str) -> _Loaded:
    """Load model + processor (blocking; run in a worker thread)."""
    if (name.startswith((".", "/", "~")) or name.count("/") > 1) and not (
        Path(name).expanduser().is_dir()
    ):  # a path, not a hub id (namespace/name): the hub's "Repo id must use ..." would mislead
        raise LoadError(
            f"cannot load hf model {name!r}: no such directory "
            "(hf/ takes a checkpoint directory or a hub id, namespace/name)"
        )
    from transformers import (
        AutoModelForCausalLM,
        AutoModelForImageTextToText,
        AutoProcessor,
        AutoTokenizer,
    )

    hub = hub_kwargs(name, options)
    mkw = model_kwargs(device, dtype, options)
    try:
        model = AutoModelForImageTextToText.from_pretrained(name, **hub, **mkw)
        multimodal = True
    except ValueError as vlm_exc:
        # Not an image-text-to-text architecture: try a plain causal LM.
        try:
            model = AutoModelForCausalLM.from_pretrained(name, **hub, **mkw)
        except Exception as exc:
            raise LoadError(
                f"cannot load hf model {name!r}: {vlm_exc}; as a causal LM: {exc}"
            ) from None
        multimodal = False
    except Exception as exc:
        raise LoadError(f"cannot load hf model {name!r}: {exc}") from None
    model = place_model(model, device, mkw)
    try:
        processor = (
            AutoProcessor.from_pretrained(name, **hub)
            if multimodal
            else AutoTokenizer.from_pretrained(name, **hub)
        )
    except Exception as exc:
        raise LoadError(f"cannot load the processor of hf model {name!r}: {exc}") from None
    tokenizer = getattr(processor, "tokenizer", processor)
    pad_left(tokenizer)
    return _Loaded(
        model=model,
        processor=processor,
        tokenizer=tokenizer,
        multimodal=multimodal,
        device=str(model.device) if "device_map" in mkw else device,
        dtype=dtype,
        commit=checkpoint_commit(name, options) or getattr(model.config, "_commit_hash", None),
        template=_template_source(processor, tokenizer),
    )


def pad_left(tokenizer: Any) -> None:
    """Decoder-only generation needs prompts aligned on the right: pad on the left."""
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token


def _template_source(processor: Any, tokenizer: Any) -> str:
    if processor is not tokenizer and getattr(processor, "chat_template", None):
        return "processor"
    if getattr(tokenizer, "chat_template", None):
        return "tokenizer"
    return "fallback"


# ---------------------------------------------------------------------------------------------
# prompts


def load_images(messages: Sequence[Message], max_side: int | None) -> list[PILImage.Image]:
    """Decode every image of a conversation, in order; a bad one raises InputError."""
    out = []
    for m in messages:
        for im in m.images:
            try:
                pil = im.load()
            except DataError as exc:
                raise InputError(str(exc)) from None
            if max_side and max(pil.size) > max_side:
                pil.thumbnail((max_side, max_side))
            out.append(pil)
    return out


def chat_turns(messages: Sequence[Message], *, multimodal: bool) -> list[dict[str, Any]]:
    """Messages in the transformers chat format; images become ``{"type": "image"}`` items."""
    turns: list[dict[str, Any]] = []
    for m in messages:
        if multimodal:
            content: Any = [{"type": "image"} for _ in m.images]
            content.append({"type": "text", "text": m.text})
        else:
            content = m.text
        turns.append({"role": m.role, "content": content})
    return turns


def _fold_system(messages: Sequence[Message]) -> list[Message]:
    """Merge system turns into the first user turn, for templates that reject a system role."""
    system = "\n\n".join(m.text for m in messages if m.role == "system")
    rest = [m for m in messages if m.role != "system"]
    if not system or not rest:
        return rest
    first = rest[0]
    return [Message(first.role, f"{system}\n\n{first.text}", first.images), *rest[1:]]


def render_prompt(loaded: _Loaded, messages: Sequence[Message]) -> str:
    """The prompt string for one conversation, through the checkpoint's chat template."""
    if loaded.template == "fallback":
        return _plain_prompt(loaded, messages)
    owner = loaded.processor if loaded.template == "processor" else loaded.tokenizer
    try:
        return str(_apply_template(owner, messages, loaded.multimodal))
    except Exception as exc:
        error = exc
    # Some templates (Gemma, Mistral) raise on a system turn; retry with it folded in.
    if any(m.role == "system" for m in messages):
        try:
            return str(_apply_template(owner, _fold_system(messages), loaded.multimodal))
        except Exception as exc:
            error = exc
    raise InputError(f"chat template failed: {type(error).__name__}: {error}")


def _apply_template(owner: Any, messages: Sequence[Message], multimodal: bool) -> Any:
    turns = chat_turns(messages, multimodal=multimodal)
    return owner.apply_chat_template(turns, add_generation_prompt=True, tokenize=False)


def _plain_prompt(loaded: _Loaded, messages: Sequence[Message]) -> str:
    """A neutral ``Role: text`` prompt for checkpoints that ship no chat template."""
    image_token = getattr(loaded.processor, "image_token", None) or "<image>"
    lines = []
    for m in messages:
        images = "".join(f"{image_token}\n" for _ in m.images)
        lines.append(f"{m.role.capitalize()}: {images}{m.text}")
    return "\n".join(lines) + "\nAssistant:"


def truncate_at_stop(text: str, stop: Sequence[str]) -> str:
    """Cut ``text`` at the earliest stop string (the stop string itself is dropped)."""
    cut = len(text)
    for s in stop:
        if s:
            i = text.find(s)
            if i != -1:
                cut = min(cut, i)
    return text[:cut]


# ---------------------------------------------------------------------------------------------
# generation


@dataclass
class _Prepared:
    """One conversation ready to batch."""

    prompt: str
    images: list[Any]


def _generate_kwargs(loaded: _Loaded, config: GenerateConfig, prompt_len: int) -> dict[str, Any]:
    tok = loaded.tokenizer
    kw: dict[str, Any] = {"max_new_tokens": config.max_tokens, "pad_token_id": tok.pad_token_id}
    if config.temperature and config.temperature > 0:
        kw.update(do_sample=True, temperature=config.temperature)
        if config.top_p is not None:
            kw["top_p"] = config.top_p
    else:
        # Greedy, as the paper ran every model; clear sampling knobs the checkpoint may set.
        kw.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    if any(config.stop):
        kw["stopping_criteria"] = _stop_criteria(tok, [s for s in config.stop if s], prompt_len)
    return kw


def _stop_criteria(tokenizer: Any, stop: list[str], prompt_len: int) -> Any:
    """Stop each row once its generated text contains a stop string.

    transformers' own ``stop_strings`` needs a token-to-string table some tokenizers cannot
    build (word-level ones), so we decode the last few generated tokens instead: a stop string
    of n characters spans at most n tokens.
    """
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    window = max(len(s) for s in stop) + 1

    class StopOnStrings(StoppingCriteria):  # type: ignore[misc]  # transformers is Any to mypy
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            start = max(prompt_len, input_ids.shape[1] - window)
            tails = tokenizer.batch_decode(input_ids[:, start:], skip_special_tokens=True)
            return torch.tensor([any(s in t for s in stop) for t in tails], device=input_ids.device)

    return StoppingCriteriaList([StopOnStrings()])


def _encode(loaded: _Loaded, batch: Sequence[_Prepared]) -> Any:
    prompts = [p.prompt for p in batch]
    if loaded.multimodal:
        enc_kw: dict[str, Any] = {"text": prompts, "padding": True, "return_tensors": "pt"}
        if any(p.images for p in batch):
            # a nested list keeps each conversation's images with it (some processors need it)
            enc_kw["images"] = [p.images for p in batch]
        enc = loaded.processor(**enc_kw)
    else:
        # the chat template already wrote the BOS token where the model expects it
        enc = loaded.tokenizer(prompts, padding=True, return_tensors="pt", add_special_tokens=False)
    return enc.to(loaded.model.device)


def _count_new(row: Any, stop_ids: set[int]) -> int:
    """Generated tokens up to and including the first end/pad token."""
    n = 0
    for t in row.tolist():
        n += 1
        if t in stop_ids:
            break
    return n


def _run_batch(
    loaded: _Loaded, batch: Sequence[_Prepared], config: GenerateConfig
) -> list[Generation]:
    """Generate for conversations whose inputs are valid (blocking)."""
    import torch

    t0 = time.perf_counter()
    enc = _encode(loaded, batch)
    if config.seed is not None:
        torch.manual_seed(config.seed)
    with torch.inference_mode():
        prompt_len = enc["input_ids"].shape[1]
        out = loaded.model.generate(**enc, **_generate_kwargs(loaded, config, prompt_len))
    new = out[:, prompt_len:]
    texts = loaded.tokenizer.batch_decode(new, skip_special_tokens=True)
    latency = time.perf_counter() - t0
    stop_ids = _end_ids(loaded)
    in_counts = enc["attention_mask"].sum(dim=1).tolist()
    return [
        Generation(
            text=truncate_at_stop(text, config.stop).strip(),
            input_tokens=int(n_in),
            output_tokens=_count_new(row, stop_ids),
            latency_s=latency,
        )
        for text, row, n_in in zip(texts, new, in_counts, strict=True)
    ]


def _end_ids(loaded: _Loaded) -> set[int]:
    ids: set[int] = set()
    for v in (loaded.tokenizer.pad_token_id, loaded.model.generation_config.eos_token_id):
        if isinstance(v, int):
            ids.add(v)
        elif isinstance(v, (list, tuple)):
            ids.update(int(x) for x in v)
    return ids


def _is_oom(exc: BaseException) -> bool:
    return "out of memory" in str(exc).lower() or type(exc).__name__ == "OutOfMemoryError"


def free_accelerator_cache() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _run_isolated(
    loaded: _Loaded, batch: Sequence[_Prepared], config: GenerateConfig
) -> list[Generation | BaseException]:
    """Run a batch; if it fails, split it so one bad conversation fails alone."""
    try:
        return list(_run_batch(loaded, batch, config))
    except Exception as exc:
        if _is_oom(exc):
            free_accelerator_cache()
        if len(batch) == 1:
            if _is_oom(exc):
                return [ModelCallError(f"out of memory generating one conversation: {exc}")]
            return [ModelCallError(f"generation failed: {type(exc).__name__}: {exc}")]
        mid = len(batch) // 2
        return _run_isolated(loaded, batch[:mid], config) + _run_isolated(
            loaded, batch[mid:], config
        )


# ---------------------------------------------------------------------------------------------
# the model


class HFModel(Model):
    """A local transformers checkpoint, generated in left-padded batches."""

    provider = "hf"
    # One model on one device: the engine must serialise calls (and we also hold a lock).
    concurrent = False

    def __init__(self, name: str, options: ModelOptions | None = None) -> None:
        super().__init__(name, options)
        o = self.options
        if o.dtype is not None and o.dtype not in DTYPES:
            raise ConfigError(
                f"unknown dtype {o.dtype!r} for hf models (choose from {', '.join(DTYPES)})"
            )
        if o.batch_size is not None and o.batch_size < 1:
            raise ConfigError(f"batch size must be >= 1, got {o.batch_size}")
        self._loaded: _Loaded | None = None
        self._load_error: LoadError | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._batch_size: int | None = o.batch_size
        #: How many times the checkpoint was loaded (tests check it stays at one).
        self.load_count = 0

    # -- settings ------------------------------------------------------------------------------

    @property
    def max_batch_size(self) -> int:
        if self._batch_size is None:
            gpu = is_gpu(resolve_device(self.options.device))
            self._batch_size = DEFAULT_GPU_BATCH if gpu else DEFAULT_CPU_BATCH
        return self._batch_size

    @max_batch_size.setter
    def max_batch_size(self, value: int) -> None:
        self._batch_size = value

    def _device_dtype(self) -> tuple[str, str]:
        if self._loaded is not None:
            return self._loaded.device, self._loaded.dtype
        device = resolve_device(self.options.device)
        return device, resolve_dtype(self.options.dtype, device)

    def describe(self) -> dict[str, Any]:
        device, dtype = self._device_dtype()
        d = super().describe()
        d.update(
            device=device,
            dtype=dtype,
            batch_size=self.max_batch_size,
            revision=self.options.extra.get("revision"),
            commit=self._loaded.commit if self._loaded else None,
        )
        if self._loaded is not None:
            d.update(
                architecture=type(self._loaded.model).__name__,
                multimodal=self._loaded.multimodal,
                chat_template=self._loaded.template,
            )
        return d

    def cache_identity(self) -> dict[str, Any]:
        ident = super().cache_identity()
        # weights revision and precision change the output; batch size and device do not
        ident.update(revision=self.options.extra.get("revision"), dtype=self._device_dtype()[1])
        return ident

    # -- lifecycle -----------------------------------------------------------------------------

    def _get_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def preflight(self) -> None:
        """Load before the run: a checkpoint that cannot load is one clear error, not one per sample."""
        try:
            await self.load()
        except LoadError as exc:
            first = (str(exc).strip().splitlines() or ["unknown error"])[0]
            raise ConfigError(
                f"{first} (a hub id needs the hub; offline, pass a local directory)"
            ) from None

    async def load(self) -> None:
        """Load the checkpoint now (idempotent). Raises LoadError if it cannot be loaded."""
        async with self._get_lock():
            await self._ensure_loaded()

    async def _ensure_loaded(self) -> _Loaded:
        if self._loaded is not None:
            return self._loaded
        if self._load_error is not None:
            raise self._load_error
        device, dtype = self._device_dtype()
        self.load_count += 1
        try:
            self._loaded = await asyncio.to_thread(
                _load_checkpoint, self.name, self.options, device, dtype
            )
        except Exception as exc:
            # fail fast on every later call, never reload in a loop
            detail = str(exc) if isinstance(exc, LoadError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, LoadError):
                detail = f"cannot load hf model {self.name!r}: {detail}"
            self._load_error = LoadError(scrub_token(detail))
            raise self._load_error from None
        return self._loaded

    async def aclose(self) -> None:
        loaded, self._loaded = self._loaded, None
        if loaded is None:
            return
        del loaded
        free_accelerator_cache()

    # -- generation ----------------------------------------------------------------------------

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        [result] = await self.generate_batch([messages], config)
        if isinstance(result, BaseException):
            raise result
        return result

    async def generate_batch(
        self,
        batch: Sequence[Sequence[Message]],
        config: GenerateConfig,
        *,
        samples: Sequence[Sample | None] | None = None,
    ) -> list[Generation | BaseException]:
        if not batch:
            return []
        async with self._get_lock():
            try:
                loaded = await self._ensure_loaded()
            except LoadError as exc:
                return [exc for _ in batch]
            return await asyncio.to_thread(self._generate_sync, loaded, batch, config)

    def _generate_sync(
        self, loaded: _Loaded, batch: Sequence[Sequence[Message]], config: GenerateConfig
    ) -> list[Generation | BaseException]:
        """Prepare each conversation (a bad one fails alone), then generate the rest together."""
        results: list[Generation | BaseException | None] = [None] * len(batch)
        ready: list[tuple[int, _Prepared]] = []
        for i, messages in enumerate(batch):
            try:
                ready.append((i, self._prepare(loaded, messages)))
            except ModelCallError as exc:
                results[i] = exc
            except Exception as exc:  # an unexpected input problem still fails only its slot
                results[i] = InputError(f"cannot prepare input: {type(exc).__name__}: {exc}")
        if ready:
            outs = _run_isolated(loaded, [p for _, p in ready], config)
            for (i, _), res in zip(ready, outs, strict=True):
                results[i] = res
        return [r if r is not None else ModelCallError("no result") for r in results]

    def _prepare(self, loaded: _Loaded, messages: Sequence[Message]) -> _Prepared:
        if not loaded.multimodal and any(m.images for m in messages):
            raise InputError(f"hf/{self.name} is a text-only model and cannot take images")
        images = load_images(messages, self.options.max_image_side)
        return _Prepared(render_prompt(loaded, messages), images)


@provider("hf")
def _make(name: str, options: ModelOptions) -> Model:
    return HFModel(name, options)
