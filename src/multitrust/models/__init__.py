"""Model backends behind one async protocol, named ``provider/name``."""

from multitrust.models.base import (
    Model,
    ModelOptions,
    get_model,
    known_providers,
    parse_model_name,
    provider,
)

__all__ = ["Model", "ModelOptions", "get_model", "known_providers", "parse_model_name", "provider"]
