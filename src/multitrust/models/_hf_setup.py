"""Setting up a local Hugging Face checkpoint: device and dtype, ``from_pretrained`` keyword
arguments, the hub token (read from the environment, never recorded) and the weights' commit.
Shared by :mod:`multitrust.models.hf` and the scorers' local classifiers."""

from __future__ import annotations

import functools
import os
import re
import socket
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from multitrust.errors import ConfigError, ModelCallError
from multitrust.models.base import ModelOptions, env_key

DTYPES = ("auto", "bfloat16", "float16", "float32", "float64")


class LoadError(ModelCallError):
    """The checkpoint could not be loaded: every call fails fast with this, not retried."""

    kind = "other"
    transient = False


def resolve_device(requested: str | None) -> str:
    """``requested`` if given, else the best available: cuda > mps > cpu."""
    if requested:
        return requested
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def resolve_dtype(requested: str | None, device: str) -> str:
    """The dtype name to load weights in: bf16 on a GPU that supports it, else fp32 (or fp16)."""
    if requested and requested != "auto":
        if requested not in DTYPES:
            raise ConfigError(
                f"unknown dtype {requested!r} for hf models (choose from {', '.join(DTYPES)})"
            )
        return requested
    if device.startswith("cuda") or device == "auto":
        import torch

        if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
            return "bfloat16"
        return "float16" if torch.cuda.is_available() else "float32"
    if device == "mps":
        return "float16"
    return "float32"


def is_gpu(device: str) -> bool:
    return device.startswith("cuda") or device in ("mps", "auto")


def hub_kwargs(name: str, options: ModelOptions) -> dict[str, Any]:
    """Keyword arguments shared by every ``from_pretrained`` call."""
    kw: dict[str, Any] = {"trust_remote_code": bool(options.extra.get("trust_remote_code", False))}
    if Path(name).expanduser().is_dir():
        # A local directory must never reach for the hub, even without HF_HUB_OFFLINE.
        kw["local_files_only"] = True
        return kw
    if options.extra.get("revision"):
        kw["revision"] = str(options.extra["revision"])
    token = env_key("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
    if token:
        kw["token"] = token
    if not _truthy(os.environ.get("HF_HUB_OFFLINE", "")) and not hub_reachable():
        # without this, every file is asked for 6 times with backoff (~30 s, a warning each)
        # before the cache is used or the load fails
        host = hub_host()[0]
        if not in_hub_cache(name, kw.get("revision")):
            raise ConfigError(
                f"{name}: not in the local Hugging Face cache, and the hub ({host}) cannot be "
                "reached: download it once where it can (or set HF_ENDPOINT or a proxy)"
            )
        kw["local_files_only"] = True
    return kw


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def hub_host() -> tuple[str, int]:
    """The hub's host and port (``HF_ENDPOINT`` or huggingface.co)."""
    url = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    return url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)


@functools.cache
def hub_reachable(timeout_s: float = 3.0) -> bool:
    """Whether a TCP connection to the hub opens (name lookup and connect, once per process).
    Through a proxy (``HTTPS_PROXY`` and the like, as :func:`urllib.request.getproxies` reads
    them) the hub is taken as reachable: the proxy decides."""
    if urllib.request.getproxies():
        return True
    try:
        socket.create_connection(hub_host(), timeout=timeout_s).close()
    except OSError:
        return False
    return True


def in_hub_cache(name: str, revision: str | None = None) -> bool:
    """Whether hub checkpoint ``name`` (its config.json) is in the local cache."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    try:
        found = try_to_load_from_cache(name, "config.json", revision=revision)
    except Exception:  # a malformed repo id: the load itself will say so
        return False
    return isinstance(found, str)


def scrub_token(text: str) -> str:
    """``text`` with the hub token (if any) masked: error messages end up in the store."""
    token = env_key("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
    return text.replace(token, "***") if token else text


def model_kwargs(device: str, dtype: str, options: ModelOptions) -> dict[str, Any]:
    import torch
    import transformers

    kw: dict[str, Any] = {}
    major_minor = tuple(int(p) for p in transformers.__version__.split(".")[:2])
    # transformers renamed torch_dtype to dtype in 4.56
    kw["dtype" if major_minor >= (4, 56) else "torch_dtype"] = getattr(torch, dtype)
    if device == "auto" and not has_accelerate():
        raise LoadError(
            "device 'auto' (spread over all GPUs) needs accelerate: pip install accelerate"
        )
    if device != "cpu" and has_accelerate():
        # loads weights straight onto the device instead of through CPU memory
        kw["device_map"] = device if device == "auto" else {"": device}
    if options.extra.get("attn_implementation"):
        kw["attn_implementation"] = str(options.extra["attn_implementation"])
    return kw


def place_model(model: Any, device: str, mkw: dict[str, Any]) -> Any:
    """Move a freshly loaded model to its device (when accelerate did not) and set eval mode."""
    if "device_map" not in mkw and device not in ("cpu", "auto"):
        model = model.to(device)
    return model.eval()


def has_accelerate() -> bool:
    try:
        import accelerate  # noqa: F401
    except ImportError:
        return False
    return True


_SNAPSHOT = re.compile(r"snapshots/([0-9a-f]{40})/")


def checkpoint_commit(name: str, options: ModelOptions) -> str | None:
    """The git commit of the weights, from the hub cache's ``snapshots/<sha>/`` path.

    Offline: only the local cache is consulted. None for plain local directories.
    """
    path: Any = Path(name).expanduser() / "config.json"
    if not Path(name).expanduser().is_dir():
        try:
            from huggingface_hub import try_to_load_from_cache

            path = try_to_load_from_cache(
                name, "config.json", revision=options.extra.get("revision")
            )
        except Exception:
            return None
    if not isinstance(path, (str, Path)):
        return None
    m = _SNAPSHOT.search(Path(path).as_posix())
    return m.group(1) if m else None
