"""Test-wide setup: never touch the network, keep hub libraries offline."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
# Hugging Face datasets (loading the synthetic dataset export back) caches under ~/.cache
if "HF_DATASETS_CACHE" not in os.environ:
    import atexit
    import shutil
    import tempfile

    _hf_cache = tempfile.mkdtemp(prefix="multitrust-test-hf-datasets-")
    os.environ["HF_DATASETS_CACHE"] = _hf_cache
    atexit.register(shutil.rmtree, _hf_cache, True)

# evaluate() keeps the synthetic suite in a cache folder; tests never write to the user's one
if "MULTITRUST_CACHE" not in os.environ:
    import atexit
    import shutil
    import tempfile

    _cache = tempfile.mkdtemp(prefix="multitrust-test-cache-")
    os.environ["MULTITRUST_CACHE"] = _cache
    atexit.register(shutil.rmtree, _cache, True)
