"""The `refundable` command: thin translation from arguments to calls and from results to text.

No business rule lives here: every command parses its input, calls the policy or service
layer, and renders the result as a readable table (default) or JSON (`--json`). Errors come
from the one exception tree and leave with the exit code of the one status table.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar

import typer

from refundable.core.errors import InputError, PolicyInvalid
from refundable.entrypoints.cli_support import (
    GuardedGroup,
    LazyGroup,
    err,
    escape,
    out,
    print_json,
)

if TYPE_CHECKING:
    from refundable.core.errors import Problem
    from refundable.policy.compiled import CompiledPolicy
    from refundable.policy.coverage import ClauseCoverage
    from refundable.policy.decision import Decision
    from refundable.policy.lint import LintWarning
    from refundable.policy.registry import PolicyRegistry
    from refundable.policy.scenarios import ScenarioResult

# -h as well as --help, on every command (sub-contexts inherit the names)
HELP = {"help_option_names": ["-h", "--help"]}


class RootGroup(LazyGroup):
    """The top-level group: sub-apps mounted lazily, in this listing order (ADR 0022)."""

    lazy: ClassVar[Mapping[str, tuple[str, str]]] = MappingProxyType(
        {
            "ledger": ("refundable.entrypoints.cli_ledger", "app"),
            "schema": ("refundable.entrypoints.cli_schema", "app"),
            "db": ("refundable.entrypoints.cli_db", "app"),  # schema owner's commands
            "jobs": ("refundable.entrypoints.cli_jobs", "jobs_app"),  # due work (ADR 0036)
            "clock": ("refundable.entrypoints.cli_jobs", "clock_app"),  # test clocks (ADR 0036)
            "customers": ("refundable.entrypoints.cli_customers", "app"),  # personal data (0051)
            "serve": ("refundable.entrypoints.cli_serve", "serve_app"),  # the service (ADR 0060)
            "api-keys": ("refundable.entrypoints.cli_serve", "keys_app"),  # API keys (ADR 0058)
            "cases": ("refundable.entrypoints.cli_cases", "app"),  # refund cases (ADR 0052)
            "webhooks": ("refundable.entrypoints.cli_outbox", "webhooks_app"),  # ADR 0057
            "payouts": ("refundable.entrypoints.cli_outbox", "payouts_app"),  # ADR 0056
            "outbox": ("refundable.entrypoints.cli_outbox", "outbox_app"),  # dead letters (0067)
        }
    )


app = typer.Typer(
    cls=RootGroup,
    no_args_is_help=True,
    help="Refundable: decide refund requests by policy.",
    context_settings=HELP,
    pretty_exceptions_enable=False,
)
policy_app = typer.Typer(
    cls=GuardedGroup, no_args_is_help=True, help="Validate, test and explain policy files."
)
app.add_typer(policy_app, name="policy")

T = TypeVar("T")

PoliciesOpt = Annotated[
    Path | None, typer.Option("--policies", help="Directory of policy files (default: shipped)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


def _show_version(value: bool) -> None:
    if value:
        print(f"refundable {package_version()}")
        raise typer.Exit()


def package_version() -> str:
    """The installed distribution's version (the checkout's own when run from source)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("refundable")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        from refundable import __version__

        return __version__


@app.callback()
def root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit"
        ),
    ] = False,
) -> None:
    """Refundable: decide refund requests by policy, and keep the ledger they move."""


def _guard(fn: Callable[[], T]) -> T:
    """Run a command body. Our errors propagate to ``main``, which prints them (as text or
    JSON) and exits with the code of the STATUS table; kept so command bodies read the same."""
    return fn()


def _registry(policies: Path | None, policy_id: str | None = None) -> PolicyRegistry:
    """The compiled policies; with ``policy_id``, only that policy's files are compiled."""
    from refundable import bootstrap as wiring
    from refundable.policy.registry import PolicyRegistry

    if policy_id is None:
        return wiring.registry(policies)
    return PolicyRegistry.load(policies or wiring.policies_dir(), only=policy_id)


@app.command()
def decide(
    request_file: Annotated[Path, typer.Argument(help="Request as YAML or JSON ('-' for stdin)")],
    policy: Annotated[str | None, typer.Option("--policy", "-p", help="Policy id or file")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the full decision as JSON")
    ] = False,
    policies: PoliciesOpt = None,
) -> None:
    """Decide one request and print the decision."""
    from refundable.config import pydantic_plugins_paused

    # our models are built while it runs (on first use, ADR 0063): no plugin scan (ADR 0022)
    with pydantic_plugins_paused():
        _decide(request_file, policy, as_json, policies)


def _decide(request_file: Path, policy: str | None, as_json: bool, policies: Path | None) -> None:
    from refundable import bootstrap as wiring
    from refundable.core.textinput import read_bounded
    from refundable.policy.requests import parse_request_text, zones

    # bounded read: size, encoding and structure are checked before parsing (textinput);
    # a --policy that disagrees with the request's own policy: is refused, not overridden
    text = read_bounded(request_file)
    if policy is not None and Path(policy).suffix in (".yaml", ".yml"):
        from refundable.policy.loader import load_policy_file
        from refundable.policy.registry import PolicyRegistry

        registry = PolicyRegistry.from_policies([load_policy_file(Path(policy))])
        request = parse_request_text(text, policy=registry.ids[0], zone=zones(registry))
    else:
        # with --policy ID only that policy's files are compiled (ADR 0022)
        registry = _registry(policies, policy)
        request = parse_request_text(text, policy=policy, zone=zones(registry))
    decision = wiring.decide(registry, request)
    if as_json:
        print_json(decision.to_dict())
    else:
        render_decision(decision)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(
            f"cannot read the file: {error.strerror}",
            where=str(path),
            allowed="a readable UTF-8 file, or '-' for standard input",
        ) from None


def render_decision(d: Decision, title: str | None = None) -> None:
    """The decision table for people (entrypoints/render_decision.py)."""
    from refundable.entrypoints.render_decision import print_decision

    print_decision(out(), d, title)


@app.command()
def demo(
    policies: PoliciesOpt = None,
    examples: Annotated[Path | None, typer.Option(help="Directory of example requests")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide every shipped example request of every policy and print the decisions."""
    from refundable.config import pydantic_plugins_paused

    # our models are built while it runs (on first use, ADR 0063): no plugin scan (ADR 0022)
    with pydantic_plugins_paused():
        _demo(policies, examples, as_json)


def _demo(policies: Path | None, examples: Path | None, as_json: bool) -> None:
    from refundable import bootstrap as wiring
    from refundable.policy.requests import parse_request_text, zones

    registry = _registry(policies)
    folder = examples or wiring.examples_dir()
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.json"))
    if not files:
        raise InputError(
            "no example requests here", where=str(folder), allowed="a folder of *.yaml or *.json"
        )
    zone = zones(registry)
    decided = [(p, wiring.decide(registry, parse_request_text(_read(p), zone=zone))) for p in files]
    if as_json:
        print_json([{"file": p.name, "decision": d.to_dict()} for p, d in decided])
        return
    counts: dict[str, int] = {}
    for path, decision in decided:
        render_decision(decision, title=f"{path.name}")
        out().print()
        counts[decision.outcome.value] = counts.get(decision.outcome.value, 0) + 1
    summary = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
    out().print(
        f"[bold]{len(files)} requests decided under {len(registry.ids)} policies:[/bold] {summary}"
    )


@policy_app.command("validate")
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Policy files or directories")],
    strict: Annotated[
        bool, typer.Option("--strict", help="Treat warnings (shadowed rules) as errors")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Check policy files; print every problem with file:line, and warn about rules that an
    earlier rule always pre-empts (shadowed rules)."""
    from refundable.policy.lint import lint_policy
    from refundable.policy.loader import load_policy_file
    from refundable.policy.registry import policy_files

    problems: list[Problem] = []
    warnings: list[LintWarning] = []
    checked: list[dict[str, Any]] = []
    for root in paths:
        for path in policy_files(root):
            try:
                compiled = load_policy_file(path)
            except PolicyInvalid as error:
                problems.extend(error.problems)
                checked.append({"file": str(path), "valid": False})
                continue
            found = lint_policy(compiled, str(path))
            warnings.extend(found)
            checked.append(_validated(path, compiled, len(found)))
    failed = bool(problems) or not checked or (strict and bool(warnings))
    if as_json:
        print_json(_validation_json(checked, problems, warnings, failed))
    else:
        _print_validation(checked, problems, warnings)
    if failed:
        raise typer.Exit(3)


def _validated(path: Path, compiled: CompiledPolicy, warnings: int) -> dict[str, Any]:
    return {
        "file": str(path),
        "valid": True,
        "policy": compiled.id,
        "version": compiled.version,
        "rules": len(compiled.rules),
        "clauses": len(compiled.document.clauses),
        "warnings": warnings,
    }


def _validation_json(
    checked: list[dict[str, Any]],
    problems: list[Problem],
    warnings: list[LintWarning],
    failed: bool,
) -> dict[str, Any]:
    return {
        "ok": not failed,
        "files": checked,
        "problems": [
            {"file": p.file, "line": p.line, "message": p.message, "allowed": p.allowed}
            for p in problems
        ],
        "warnings": [w.to_dict() for w in warnings],
    }


def _print_validation(
    checked: list[dict[str, Any]], problems: list[Problem], warnings: list[LintWarning]
) -> None:
    for c in checked:
        if c["valid"]:
            out().print(
                f"[green]ok[/green] {escape(c['file'])}: {escape(c['policy'])} "
                f"{escape(c['version'])}, {c['rules']} rules, {c['clauses']} clauses"
            )
    for w in warnings:
        err().print(f"[yellow]warning[/yellow] {escape(w.render())}")
    for p in problems:
        err().print(f"[red]error[/red] {escape(p.render())}")
    if problems or warnings or not checked:
        err().print(
            f"{len(problems)} problem(s) in {len(checked)} file(s); {len(warnings)} warning(s)"
        )


@policy_app.command("test")
def test(
    path: Annotated[
        Path | None, typer.Argument(help="Scenario file or directory (default: shipped)")
    ] = None,
    policies: PoliciesOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Run scenario files ("given this request, expect this decision")."""
    from refundable import bootstrap as wiring
    from refundable.policy.registry import PolicyRegistry
    from refundable.policy.scenarios import run_all, run_file

    path = path or wiring.policies_dir()
    root = policies or (path if path.is_dir() else path.parent)
    registry = PolicyRegistry.load(root)
    results = run_all(path, registry) if path.is_dir() else run_file(path, registry)
    failed = [r for r in results if not r.passed]
    if as_json:
        print_json(
            {
                "passed": len(results) - len(failed),
                "failed": len(failed),
                "results": [_scenario_json(r) for r in results],
            }
        )
    else:
        _report(results, verbose)
        out().print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed or not results:
        raise typer.Exit(1)


def _scenario_json(r: ScenarioResult) -> dict[str, Any]:
    return {
        "file": r.file,
        "line": r.line,
        "name": r.name,
        "passed": r.passed,
        "mismatches": list(r.mismatches),
        "clauses": list(r.clauses),
    }


def _report(results: list[ScenarioResult], verbose: bool) -> None:
    for r in results:
        if r.passed:
            if verbose:
                out().print(f"[green]PASS[/green] {escape(f'{r.file}:{r.line} {r.name}')}")
            continue
        out().print(f"[red]FAIL[/red] {escape(f'{r.file}:{r.line} {r.name}')}")
        for m in r.mismatches:
            out().print(f"     {escape(m)}")


@policy_app.command("coverage")
def coverage_cmd(
    path: Annotated[Path, typer.Argument(help="A policy file")],
    scenarios: Annotated[Path | None, typer.Option(help="Its scenario file")] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail when an implemented clause is never tested")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON")] = False,
) -> None:
    """Show, clause by clause, what enforces each clause of the source policy, the rules
    that cite it and the scenarios that exercise it; flag clauses no scenario tests."""
    from refundable.policy.coverage import coverage
    from refundable.policy.loader import load_policy_file
    from refundable.policy.registry import PolicyRegistry
    from refundable.policy.scenarios import run_file

    policy = load_policy_file(path)
    sfile = scenarios or path.with_name(f"{policy.id}.scenarios.yaml")
    results = run_file(sfile, PolicyRegistry.from_policies([policy])) if sfile.exists() else []
    rows = coverage(policy, results)
    uncovered = [r for r in rows if r.status == "uncovered"]
    untested = [r for r in rows if r.untested]
    failed = bool(uncovered) or (strict and bool(untested))
    if as_json:
        body = {
            "policy": policy.id,
            "version": policy.version,
            "scenario_file": str(sfile) if sfile.exists() else None,
            "ok": not failed,
            "clauses": [r.to_dict() for r in rows],
        }
        print_json(body)
    else:
        _print_coverage(policy, rows)
    if failed:
        raise typer.Exit(1)


def _scenario_lines(row: ClauseCoverage) -> str:
    """How many scenarios exercise a clause, and the lines of the first few."""
    shown = ", ".join(str(s.line) for s in row.exercised_by[:4])
    more = ", …" if len(row.exercised_by) > 4 else ""
    word = "line" if len(row.exercised_by) == 1 else "lines"
    return escape(f"{len(row.exercised_by)} ({word} {shown}{more})") if row.exercised_by else ""


def _print_coverage(policy: CompiledPolicy, rows: list[ClauseCoverage]) -> None:
    from rich.table import Table

    files = sorted({s.file for r in rows for s in r.exercised_by})
    table = Table(
        title=f"{policy.document.name} {policy.version}: clause coverage",
        caption=f"scenario lines refer to {', '.join(files)}" if files else None,
    )
    for col in ("clause", "title", "status", "enforced by / reason", "scenarios"):
        table.add_column(col, overflow="fold")
    for row in rows:
        colour = {"implemented": "green", "informational": "cyan"}.get(row.status, "red")
        detail = ", ".join(row.enforced_by) or (row.reason or "")
        tested = (
            "[red]untested[/red]"
            if row.untested
            else "outside decisions (own tests)"
            if row.outside_decisions and not row.exercised_by
            else _scenario_lines(row)
        )
        table.add_row(
            escape(row.clause),
            escape(row.title),
            f"[{colour}]{row.status}[/{colour}]",
            escape(detail),
            tested,
        )
    out().print(table)
    uncovered = sum(r.status == "uncovered" for r in rows)
    implemented = sum(r.status == "implemented" for r in rows)
    untested = [r for r in rows if r.untested]
    out().print(
        f"{len(rows)} clauses: {implemented} implemented, "
        f"{len(rows) - implemented - uncovered} informational, {uncovered} uncovered; "
        f"{len(untested)} implemented but never tested"
    )
    for r in untested:
        err().print(
            f"[yellow]untested[/yellow] clause {escape(r.clause)} ({escape(r.title)}): "
            f"enforced by {escape(', '.join(r.enforced_by))}, but no scenario's decision cites it"
        )


@policy_app.command("explain")
def explain(path: Annotated[Path, typer.Argument(help="A policy file")]) -> None:
    """Print a policy in plain language: promises, fees, rules in order, readings."""
    from refundable.policy.explain import describe_policy
    from refundable.policy.loader import load_policy_file

    out().print(describe_policy(load_policy_file(path)), markup=False)


@policy_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of policy documents (for editors)."""
    print_json(policy_schema())


def policy_schema() -> dict[str, Any]:
    from refundable.policy.schema import policy_schema as build  # lazy: cold start

    return build()


# Commands that decide or check and exit within a second: while they run, the cyclic garbage
# collector is paused. Their start builds hundreds of thousands of objects (model classes,
# dataclasses, the compiled policy), none of them garbage, and the collector's passes over
# them were about a tenth of a cold `decide` (docs/benchmarks.md, start-up; ADR 0063).
# Reference counting still frees everything that is not a cycle. Every other command (the
# server, jobs, ledger writes, anything added later) keeps the collector.
QUICK_COMMANDS = frozenset({"decide", "demo", "policy", "schema"})


def collector_paused(argv: Sequence[str]) -> bool:
    """Whether this invocation is a quick one (see QUICK_COMMANDS) or only asks for the
    version or help."""
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is None:
        return all(a in ("--version", "--help", "-h") for a in argv) and bool(argv)
    return first in QUICK_COMMANDS


def main() -> None:
    """The console script: run the app (errors are handled by its group, GuardedGroup)."""
    if collector_paused(sys.argv[1:]):
        gc.disable()
    app(prog_name="refundable")
