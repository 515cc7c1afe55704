"""Model backends behind one async protocol, named ``provider/name``."""

from multitrust.models.base import Model, ModelOptions, provider
from multitrust.models.registry import get_model, known_providers, parse_model_name

__all__ = ["Model", "ModelOptions", "get_model", "known_providers", "parse_model_name", "provider"]
