"""Data sources: the official MultiTrust release and the seeded synthetic suite."""

from multitrust.data.base import DataSource, OfficialData, SynthData, open_data, stable_seed

__all__ = ["DataSource", "OfficialData", "SynthData", "open_data", "stable_seed"]
