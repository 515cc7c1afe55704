"""Run planning, adaptive limiter, retry policy, batching."""

from multitrust.engine.limiter import AdaptiveLimiter, LimiterRegistry
from multitrust.engine.retry import RetryPolicy, call_with_retry
from multitrust.engine.runner import Engine, EngineConfig, cache_key

__all__ = [
    "AdaptiveLimiter",
    "Engine",
    "EngineConfig",
    "LimiterRegistry",
    "RetryPolicy",
    "cache_key",
    "call_with_retry",
]
