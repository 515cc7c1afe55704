"""Line-per-item files (models files, URL files): blank lines and ``#`` comments ignored."""

from __future__ import annotations

from pathlib import Path

from multitrust.errors import ConfigError


def list_file_lines(path: str | Path, what: str) -> list[tuple[int, str]]:
    """``(line number, text)`` of each line that says something, comments stripped; a file
    that cannot be read is a ConfigError naming it as ``the <what> file``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the {what} file {p}: {exc.strerror or exc}") from None
    lines = ((n, raw.split("#", 1)[0].strip()) for n, raw in enumerate(text.splitlines(), 1))
    return [(n, line) for n, line in lines if line]
