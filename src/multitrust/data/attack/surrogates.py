"""Surrogate image-text encoders for the attack, loaded through transformers or open_clip.

A surrogate turns images in [0, 1] into unit-length embeddings, differentiably (resize to its
input size, normalise with its own mean/std, encode), and texts into unit-length embeddings in
the same space. Specs (``multitrust data attack --surrogate``):

* ``hf:<hub id or directory>``: a transformers dual encoder (``CLIPModel``, ``SiglipModel`` or
  any model with ``get_image_features`` / ``get_text_features``), with its tokenizer and image
  processor;
* ``open_clip:<name>``: an open_clip model: ``hf-hub:org/repo``, ``local-dir:/path`` or
  ``<architecture>/<pretrained tag>`` (needs ``pip install 'multitrust[attack]'``);
* one of the paper's six by its short name (:data:`PAPER_SURROGATES`);
* a bare directory (open_clip when it holds ``open_clip_config.json``, else transformers) or a
  bare ``org/name`` (transformers).

From Python, any object with ``name``, ``embed_images`` and ``embed_texts`` can be passed too.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from multitrust.errors import ConfigError

__all__ = [
    "PAPER_SURROGATES",
    "HFSurrogate",
    "OpenClipSurrogate",
    "Surrogate",
    "load_surrogate",
    "resolve_spec",
    "spec_name",
]

Tensor = Any

#: The six surrogates of the MultiTrust paper (toolbox ``mmte/methods/adv.py``), in the order
#: the toolbox attacks them, with the loader and id it uses. transformers counterparts exist
#: for some (docs/attack.md).
PAPER_SURROGATES: dict[str, str] = {
    "openai-vit-l-14": "hf:openai/clip-vit-large-patch14",
    "laion-vit-b-32": "open_clip:hf-hub:laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
    "laion-vit-bigg-14": "open_clip:hf-hub:laion/CLIP-ViT-bigG-14-laion2B-39B-b160k",
    "siglip-so400m": "open_clip:hf-hub:timm/ViT-SO400M-14-SigLIP-384",
    "laion-vit-b-16": "open_clip:hf-hub:laion/CLIP-ViT-B-16-laion2B-s34B-b88K",
    "laion-convnext-l": "open_clip:hf-hub:laion/CLIP-convnext_large_d_320.laion2B-s29B-b131K-ft-soup",
}

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


class Surrogate(Protocol):
    """What the attack needs of a surrogate."""

    name: str

    def embed_images(self, images: Tensor) -> Tensor:
        """(B, 3, H, W) in [0, 1] -> (B, D) unit vectors, differentiable."""
        ...

    def embed_texts(self, texts: Sequence[str]) -> Tensor:
        """Texts -> (len(texts), D) unit vectors."""
        ...


class _Encoder:
    """Shared part: preprocessing in torch (so gradients flow) and unit-length outputs."""

    name: str
    size: tuple[int, int]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    device: str

    def _features(self, pixels: Tensor) -> Tensor:
        raise NotImplementedError

    def _text_features(self, texts: list[str]) -> Tensor:
        raise NotImplementedError

    def embed_images(self, images: Tensor) -> Tensor:
        import torch
        import torch.nn.functional as F

        x = images.to(self.device)
        if tuple(x.shape[-2:]) != self.size:
            x = F.interpolate(
                x, size=self.size, mode="bilinear", align_corners=False, antialias=True
            )
        mean = torch.tensor(self.mean, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        out = self._features((x - mean) / std)
        return F.normalize(out.float(), dim=-1)

    def embed_texts(self, texts: Sequence[str]) -> Tensor:
        import torch
        import torch.nn.functional as F

        with torch.no_grad():
            return F.normalize(self._text_features(list(texts)).float(), dim=-1)


def _pooled(out: Any) -> Tensor:
    """transformers < 5 returns the projected features; 5.x an output whose pooler_output they are."""
    return out if hasattr(out, "shape") else out.pooler_output


def _size(value: Any) -> tuple[int, int] | None:
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return (int(value[0]), int(value[1]))
    if isinstance(value, dict):
        if "height" in value and "width" in value:
            return (int(value["height"]), int(value["width"]))
        if "shortest_edge" in value:
            return (int(value["shortest_edge"]),) * 2
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class HFSurrogate(_Encoder):
    """A transformers dual encoder (CLIP, SigLIP, …) from the hub or a local directory."""

    def __init__(self, name: str, *, device: str = "cpu") -> None:
        from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

        local = Path(name).expanduser().is_dir()
        kw: dict[str, Any] = {"local_files_only": True} if local else {}
        model = AutoModel.from_pretrained(name, **kw)
        if not hasattr(model, "get_image_features"):
            raise ConfigError(
                f"surrogate hf:{name}: {type(model).__name__} is not an image-text "
                "dual encoder (no get_image_features)"
            )
        try:
            proc = AutoImageProcessor.from_pretrained(name, **kw)
        except (OSError, ValueError):  # no preprocessor_config.json: the model's own size
            proc = None
        self._setup(f"hf:{name}", model, AutoTokenizer.from_pretrained(name, **kw), proc, device)

    @classmethod
    def from_model(
        cls, name: str, model: Any, tokenizer: Any, processor: Any = None, *, device: str = "cpu"
    ) -> HFSurrogate:
        """A surrogate from a model already in memory (benchmarks, user code)."""
        self = cls.__new__(cls)
        self._setup(name, model, tokenizer, processor, device)
        return self

    def _setup(self, name: str, model: Any, tokenizer: Any, proc: Any, device: str) -> None:
        self.name = name
        self.device = device
        self.model = model.eval().requires_grad_(False).to(device)
        self.tokenizer = tokenizer
        self.siglip = "siglip" in str(getattr(self.model.config, "model_type", ""))
        default_norm = ((0.5,) * 3, (0.5,) * 3) if self.siglip else (CLIP_MEAN, CLIP_STD)
        self.mean = tuple(getattr(proc, "image_mean", None) or default_norm[0])
        self.std = tuple(getattr(proc, "image_std", None) or default_norm[1])
        size = None
        if proc is not None:
            if getattr(proc, "do_center_crop", False):
                size = _size(getattr(proc, "crop_size", None))
            size = size or _size(getattr(proc, "size", None))
        vision = getattr(self.model.config, "vision_config", None)
        self.size = size or _size(getattr(vision, "image_size", 224)) or (224, 224)

    def _features(self, pixels: Tensor) -> Tensor:
        return _pooled(self.model.get_image_features(pixel_values=pixels))

    def _text_features(self, texts: list[str]) -> Tensor:
        # SigLIP was trained on texts padded to the full length (its model card says so)
        padding: str | bool = "max_length" if self.siglip else True
        enc = self.tokenizer(texts, padding=padding, truncation=True, return_tensors="pt")
        args = {
            k: v.to(self.device) for k, v in enc.items() if k in ("input_ids", "attention_mask")
        }
        return _pooled(self.model.get_text_features(**args))


class OpenClipSurrogate(_Encoder):
    """An open_clip model: ``hf-hub:org/repo``, ``local-dir:/path`` or ``arch/pretrained``."""

    def __init__(self, name: str, *, device: str = "cpu") -> None:
        try:
            import open_clip
        except ImportError:
            raise ConfigError(
                f"surrogate open_clip:{name} needs open_clip, which is not installed: "
                "pip install 'multitrust[attack]'"
            ) from None
        self.name = f"open_clip:{name}"
        self.device = device
        arch, pretrained = name, None
        if ":" not in name and "/" in name:
            arch, pretrained = name.split("/", 1)
        model = open_clip.create_model(arch, pretrained=pretrained)
        self.model = model.eval().requires_grad_(False).to(device)
        self.tokenizer = open_clip.get_tokenizer(arch)
        cfg = open_clip.get_model_preprocess_cfg(model)
        self.size = _size(cfg.get("size")) or (224, 224)
        self.mean = tuple(cfg.get("mean") or CLIP_MEAN)
        self.std = tuple(cfg.get("std") or CLIP_STD)

    def _features(self, pixels: Tensor) -> Tensor:
        return self.model.encode_image(pixels)

    def _text_features(self, texts: list[str]) -> Tensor:
        return self.model.encode_text(self.tokenizer(texts).to(self.device))


def resolve_spec(spec: str) -> tuple[str, str]:
    """``(loader, name)`` for a surrogate spec: loader ``hf`` or ``open_clip``."""
    spec = spec.strip()
    spec = PAPER_SURROGATES.get(spec, spec)
    for loader in ("hf", "open_clip"):
        if spec.startswith(f"{loader}:"):
            name = spec[len(loader) + 1 :]
            if not name:
                raise ConfigError(f"surrogate {spec!r}: no model name after {loader}:")
            return loader, name
    path = Path(spec).expanduser()
    if path.is_dir():
        if (path / "open_clip_config.json").is_file():
            return "open_clip", f"local-dir:{path}"
        return "hf", str(path)
    if spec.startswith((".", "/", "~")) or spec.count("/") != 1:
        known = ", ".join(PAPER_SURROGATES)
        raise ConfigError(
            f"surrogate {spec!r}: no such directory, and not hf:<id>, open_clip:<name>, "
            f"an org/name hub id or one of {known}"
        )
    return "hf", spec


def spec_name(spec: str) -> str:
    """The name the surrogate for ``spec`` will have (``hf:…`` / ``open_clip:…``), unloaded."""
    loader, name = resolve_spec(spec)
    return f"{loader}:{name}"


def load_surrogate(spec: str, *, device: str = "cpu") -> Surrogate:
    """Load one surrogate (see the module docstring for specs); a failure is one ConfigError
    line naming the surrogate."""
    loader, name = resolve_spec(spec)
    if loader == "hf" and name.startswith((".", "/", "~")) and not Path(name).expanduser().is_dir():
        raise ConfigError(f"surrogate {spec!r}: no such directory {name}")
    local_dir = name[len("local-dir:") :] if name.startswith("local-dir:") else None
    if (
        loader == "open_clip"
        and local_dir is not None
        and not Path(local_dir).expanduser().is_dir()
    ):
        raise ConfigError(f"surrogate {spec!r}: no such directory {local_dir}")
    try:
        if loader == "hf":
            return HFSurrogate(name, device=device)
        return OpenClipSurrogate(name, device=device)
    except ConfigError:
        raise
    except Exception as exc:  # the loaders' own errors: hub unreachable, bad files, …
        raise ConfigError(f"surrogate {spec!r}: cannot load ({_first_line(exc)})") from None
