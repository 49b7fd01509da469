"""What every `refundable` command shares: the consoles, JSON output and the one way out for errors.

Kept apart from the commands so the start-up path stays short: Rich is imported the first time a
table is printed, never for `--json` output or an error. Errors leave in one place,
:class:`GuardedGroup` ``.main``: text on stderr, or ``{"error": {...}}`` on stderr when the
command line asked for ``--json`` (docs/decisions/0021-cli-output-and-errors.md). Being the
group's own ``main``, it also holds when a test drives the app through Typer's ``CliRunner``.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from typer import Abort, TyperException
from typer.core import TyperGroup

from refundable.core.errors import PolicyInvalid, RefundableError, status_of

if TYPE_CHECKING:
    from rich.console import Console
    from typer._click.core import Command, Context  # typer vendors click

JSON_FLAG = "--json"
USAGE_ERROR = "usage_error"  # the code of an error click finds in the arguments themselves


@lru_cache(maxsize=1)
def out() -> Console:
    """Standard output for tables. soft_wrap: one line per row whatever the width, so file:line
    stays greppable; highlight off: user text is never coloured by guesswork."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, width=120)


@lru_cache(maxsize=1)
def err() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def escape(text: str) -> str:
    """User text and codes like ``[invalid_input]`` are never read as Rich markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def print_json(body: Any) -> None:
    """Data as JSON on stdout: UTF-8 as is, two-space indent, nothing else on the stream."""
    sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")


def wants_json(args: Sequence[str]) -> bool:
    """Did the command line ask for JSON? Arguments after ``--`` are operands, not options."""
    head = args[: args.index("--")] if "--" in args else args
    return JSON_FLAG in head


def report_error(error: RefundableError, as_json: bool) -> int:
    """Print one of our errors on stderr and return its exit code from the STATUS table."""
    if as_json:
        _json_stderr({"error": error.to_dict()})
    elif isinstance(error, PolicyInvalid):
        for problem in error.problems:
            err().print(f"[red]error[/red] {escape(problem.render())}")
        err().print(f"{len(error.problems)} problem(s)")
    else:
        err().print(f"[red]error[/red] {escape(f'[{error.code}] {error}')}")
        for extra in error.details.get("problems", [])[1:]:
            err().print(f"      {escape(str(extra))}")
    return status_of(error).exit_code


def report_usage_error(error: TyperException, as_json: bool) -> int:
    """An argument the parser refused (unknown option, bad choice, missing argument)."""
    if as_json:
        _json_stderr({"error": {"code": USAGE_ERROR, "message": error.format_message()}})
    else:
        show = getattr(error, "show", None)  # usage errors print the usage line and a hint
        if show is not None:
            show()
        else:
            err().print(f"[red]error[/red] {escape(error.format_message())}")
    return error.exit_code


def _json_stderr(body: dict[str, Any]) -> None:
    sys.stderr.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")


class GuardedGroup(TyperGroup):
    """A command group whose ``main`` turns every error into output and an exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        as_json = wants_json(argv)
        try:
            code = super().main(argv, prog_name, complete_var, False, windows_expand_args, **extra)
        except RefundableError as error:
            code = report_error(error, as_json)
        except TyperException as error:  # the parser's own errors (usage, bad choice)
            code = report_usage_error(error, as_json)
        except Abort:
            err().print("aborted")
            code = 1
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


class LazyGroup(GuardedGroup):
    """A guarded group whose sub-apps are imported only when one of them is invoked or listed.

    ``ledger`` (with ``ledger record``: the service layer and the whole policy package), ``db``,
    ``jobs``, ``clock`` and ``schema`` cost about 0.3 s of imports; mounted eagerly they were
    paid by every ``decide`` (docs/decisions/0022-package-and-start-up.md). ``lazy`` maps each
    sub-command name, in listing order, to ``(module, attribute)`` of its Typer app; ``--help``
    still lists them (listing imports them: help is not on the hot path).
    """

    lazy: ClassVar[Mapping[str, tuple[str, str]]] = {}

    def list_commands(self, ctx: Context) -> list[str]:
        eager = super().list_commands(ctx)
        return [*eager, *(name for name in self.lazy if name not in eager)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            from typer.main import get_group

            module, attribute = self.lazy[cmd_name]
            group = get_group(getattr(importlib.import_module(module), attribute))
            group.name = cmd_name
            self.commands[cmd_name] = group
        return super().get_command(ctx, cmd_name)
