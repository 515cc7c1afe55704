"""The command line: ``multitrust eval | list | runs | report | leaderboard | export | data | rescore``.

One module per command group: :mod:`.eval` (list, eval, rescore), :mod:`.store` (runs, report,
leaderboard, export) and :mod:`.data` (the ``data`` sub-commands); the options they share are
declared once in :mod:`._options`, and everything printed goes through :mod:`._render`.
"""

from __future__ import annotations

import sys

import typer

from multitrust.cli import _render
from multitrust.cli.data import data_app
from multitrust.cli.eval import eval_cmd, list_tasks, rescore_cmd
from multitrust.cli.store import export_cmd, leaderboard_cmd, report_cmd, runs_cmd
from multitrust.errors import MultitrustError

__all__ = ["app", "main"]

app = typer.Typer(
    name="multitrust",
    help="Measure how trustworthy a multimodal (image + text) chat model is: the 32 MultiTrust tasks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("list")(list_tasks)
app.command("eval")(eval_cmd)
app.command("runs")(runs_cmd)
app.command("rescore")(rescore_cmd)
app.command("report")(report_cmd)
app.command("leaderboard")(leaderboard_cmd)
app.command("export")(export_cmd)
app.add_typer(data_app, name="data")


def main() -> None:
    try:
        # without standalone mode click *returns* a typer.Exit's code instead of exiting
        rc = app(standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except MultitrustError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _render.err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        _render.err_console.print(
            "interrupted: completed results are in the store; rerun the same command to resume"
        )
        sys.exit(130)
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        raise
