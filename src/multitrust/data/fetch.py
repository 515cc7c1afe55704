"""``multitrust data fetch``: download the gated official dataset with the user's token.

The dataset (Hugging Face ``thu-ml/MultiTrust``) is gated and non-commercial: you must accept
its terms on the hub first. We never redistribute it. The token comes from ``HF_TOKEN`` or the
Hugging Face login cache and is never printed or stored.
"""

from __future__ import annotations

import os
from pathlib import Path

from multitrust.errors import ConfigError, DataError


def fetch(
    dest: str | Path, *, repo: str = "thu-ml/MultiTrust", revision: str | None = None
) -> Path:
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError
    except ImportError:
        raise ConfigError(
            "fetching needs huggingface_hub: pip install 'multitrust[data]'"
        ) from None
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if token is None:
        try:
            from huggingface_hub import get_token

            token = get_token()
        except Exception:
            token = None
    if not token:
        raise ConfigError(
            f"no Hugging Face token: {repo} is gated. Accept its terms on the hub, then set HF_TOKEN "
            "or run `hf auth login`"
        )
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    try:
        path = snapshot_download(
            repo_id=repo, repo_type="dataset", revision=revision, local_dir=str(dest), token=token
        )
    except GatedRepoError:
        raise ConfigError(
            f"access to {repo} has not been granted to this token: request it on the dataset page"
        ) from None
    except RepositoryNotFoundError:
        raise ConfigError(f"dataset {repo} not found, or this token cannot see it") from None
    except HfHubHTTPError as exc:
        raise DataError(
            f"download of {repo} failed: HTTP {getattr(exc.response, 'status_code', '?')}"
        ) from None
    except OSError as exc:
        raise DataError(
            f"download of {repo} failed: {type(exc).__name__}: {exc}".replace(token, "***")
        ) from None
    root = Path(path)
    # the release may nest the tree under data/
    return (
        root / "data"
        if (root / "data").is_dir() and not (root / "unrelated_images").is_dir()
        else root
    )
