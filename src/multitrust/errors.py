"""Exception types. Every user-facing error is a ``MultitrustError`` with a one-line message."""

from __future__ import annotations


class MultitrustError(Exception):
    """Base class: the CLI prints ``str(exc)`` on one line and exits non-zero."""


class ConfigError(MultitrustError):
    """Bad model name, unknown task, missing key, bad option."""


class DataError(MultitrustError):
    """Missing, corrupt or malformed input data. The message names the file (and line)."""


class Unavailable(MultitrustError):
    """A task cannot run in this configuration (no data of this kind, no judge …)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StoreBusy(MultitrustError):
    """Another process is writing the same run."""


class StoreWriteError(MultitrustError):
    """A write to the store failed (a full disk, an I/O error, a read-only file). Fatal to the
    run: nothing more can be kept, so it stops at once; what was committed before stays."""


class RunAborted(MultitrustError):
    """The run stopped itself early: its first requests all failed the same way, with an error
    retrying cannot fix (a wrong URL, a rejected key, a server that does not speak the API)."""


class ModelCallError(MultitrustError):
    """A model call failed. ``kind`` classifies it; ``transient`` says whether to retry."""

    kind: str = "other"
    transient: bool = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(ModelCallError):
    kind = "rate_limit"
    transient = True


class Overloaded(ModelCallError):
    """503 / 529 overloaded: transient, and a reason to back off concurrency."""

    kind = "server"
    transient = True


class ServerError(ModelCallError):
    """Another 5xx (500, 502, 504): transient, but not a load signal, so concurrency stays."""

    kind = "server"
    transient = True


class CallTimeout(ModelCallError):
    kind = "timeout"
    transient = True


class ConnectionFailed(ModelCallError):
    kind = "connection"
    transient = True


class BadResponse(ModelCallError):
    """Malformed body, empty choices: retried, since servers often recover."""

    kind = "bad_response"
    transient = True


class BadRequest(ModelCallError):
    kind = "bad_request"
    transient = False


class AuthError(ModelCallError):
    kind = "auth"
    transient = False


class InputError(ModelCallError):
    """The sample itself cannot be sent (e.g. a corrupt image)."""

    kind = "input"
    transient = False
