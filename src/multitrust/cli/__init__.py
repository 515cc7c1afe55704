"""The command line: ``multitrust eval | list | runs | report | leaderboard | export | merge | data | rescore``.

One module per command group: :mod:`.eval` (list, eval, rescore), :mod:`.store` (runs, report,
leaderboard, export, merge) and :mod:`.data` (the ``data`` sub-commands); the options they share are
declared once in :mod:`._options`, and everything printed goes through :mod:`._render`.

Exit codes: 0 done; 1 a command's own failure (a model that could not run, data that does not
verify); 2 a usage or configuration error (one line on stderr, never a traceback); 3 a run that
finished with errored samples or tasks; 130 interrupted (Ctrl-C), 143 stopped by SIGTERM.
"""

from __future__ import annotations

import functools
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Annotated, Any, TypeVar

import typer

from multitrust.cli import _render
from multitrust.cli import data as data_cmds
from multitrust.cli._attack import data_attack
from multitrust.cli.eval import eval_cmd, list_tasks, rescore_cmd
from multitrust.cli.store import export_cmd, leaderboard_cmd, merge_cmd, report_cmd, runs_cmd
from multitrust.errors import MultitrustError

__all__ = ["app", "main"]

_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="multitrust",
    help="Measure how trustworthy a multimodal (image + text) chat model is: the 32 MultiTrust tasks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=_SETTINGS,
)
data_app = typer.Typer(
    help="Get and check the official MultiTrust data; draw the synthetic suite ahead of a run; make R.4/R.5 adversarial images.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable[..., Any])

RESUME_HINT = "completed results are in the store; rerun the same command to resume"
#: What an interrupted command leaves behind, for the commands that are not a run.
NOTHING_WRITTEN = "nothing was written; rerun the same command to start again"
HINTS = {
    "synth": "the tasks drawn so far are kept in the synthetic-data cache (an --export folder "
    "is written only when complete); rerun the same command to go on",
    "fetch": "files already downloaded are kept; rerun the same command to go on",
    "fetch-images": "images already downloaded are kept; rerun the same command to go on",
    "attack": "images already attacked are kept; rerun the same command to go on",
    "verify": "nothing was changed",
    "list": "nothing was changed",
    "runs": "nothing was changed",
    "leaderboard": "nothing was changed",
    "report": NOTHING_WRITTEN,
    "export": NOTHING_WRITTEN,
    "merge": NOTHING_WRITTEN,
}
_stopped_by: list[int] = []
"""The signal that stopped this process (SIGINT or SIGTERM), once one has."""


def _interruptible(fn: F, hint: str = RESUME_HINT) -> F:
    """A command that answers Ctrl-C or SIGTERM with what it leaves behind (``hint``: for a run,
    how to resume) and exit 130/143 (typer would turn the KeyboardInterrupt into a silent exit
    130)."""

    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KeyboardInterrupt:
            how = "stopped (SIGTERM)" if signal.SIGTERM in _stopped_by else "interrupted"
            _render.err_console.print(
                f"{how}: {hint}", markup=False, highlight=False, soft_wrap=True
            )
            raise typer.Exit(143 if signal.SIGTERM in _stopped_by else 130) from None

    return command  # type: ignore[return-value]


_COMMANDS: tuple[tuple[typer.Typer, str, Callable[..., Any]], ...] = (
    (app, "list", list_tasks),
    (app, "eval", eval_cmd),
    (app, "runs", runs_cmd),
    (app, "rescore", rescore_cmd),
    (app, "report", report_cmd),
    (app, "leaderboard", leaderboard_cmd),
    (app, "export", export_cmd),
    (app, "merge", merge_cmd),
    (data_app, "verify", data_cmds.data_verify),
    (data_app, "synth", data_cmds.data_synth),
    (data_app, "fetch", data_cmds.data_fetch),
    (data_app, "fetch-images", data_cmds.data_fetch_images),
    (data_app, "attack", data_attack),
)
for _typer, _name, _fn in _COMMANDS:
    _typer.command(_name)(_interruptible(_fn, HINTS.get(_name, RESUME_HINT)))
app.add_typer(data_app, name="data")


def _show_version(value: bool) -> None:
    if value:
        from multitrust._version import __version__

        print(f"multitrust {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            is_eager=True,
            callback=_show_version,
        ),
    ] = False,
) -> None:
    """Measure how trustworthy a multimodal (image + text) chat model is: the 32 MultiTrust tasks."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (timeout, Slurm, docker, Kubernetes) stops a run as Ctrl-C does: the run is
    cancelled, marked interrupted in the store, and the resume hint is printed."""
    _stopped_by.append(signal.SIGTERM)
    on_int = signal.getsignal(signal.SIGINT)
    if callable(on_int):
        on_int(signal.SIGINT, frame)  # asyncio's handler cancels the run; Python's raises
    else:
        raise KeyboardInterrupt


def _click_error(exc: BaseException) -> int | None:
    """The exit code for click's own exceptions, whichever click raised them (typer ≥ 0.29
    bundles its own copy as ``typer._click``), after printing one line; None for any other."""
    names = {c.__name__ for c in type(exc).__mro__}
    code = getattr(exc, "exit_code", None)
    if not isinstance(code, int):
        return None
    if "NoArgsIsHelpError" in names:
        ctx = getattr(exc, "ctx", None)
        print(ctx.get_help() if ctx is not None else exc, file=sys.stderr)
        return code
    if "ClickException" in names:
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path if ctx is not None else 'multitrust'} --help')"
        print(f"error: {_render.clean(' '.join(message.split()))}{hint}", file=sys.stderr)
        return code
    if "Exit" in names:
        return code
    return None


def main(argv: Sequence[str] | None = None) -> None:
    """The ``multitrust`` console script."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        # without standalone mode click *returns* a typer.Exit's code instead of exiting
        rc = app(
            args=list(argv) if argv is not None else None,
            prog_name="multitrust",
            standalone_mode=False,
        )
    except MultitrustError as exc:
        print(f"error: {_render.clean(exc)}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        _render.err_console.print("interrupted", markup=False, highlight=False)
        sys.exit(130)
    except Exception as exc:
        code = _click_error(exc)
        if code is None:
            raise
        sys.exit(code)
    if isinstance(rc, int) and rc:
        sys.exit(rc)
