"""Adaptive concurrency limiting, one limiter per endpoint: see :mod:`multitrust._limiter`.

The limiter is a leaf asyncio primitive that both the engine and the model replica pool use,
so it lives below both; this module keeps the engine's import path.
"""

from multitrust._limiter import AdaptiveLimiter, LimiterRegistry

__all__ = ["AdaptiveLimiter", "LimiterRegistry"]
