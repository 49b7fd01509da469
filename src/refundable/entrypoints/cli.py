"""The `refundable` command: thin translation from arguments to calls and from results to text.

No business rule lives here: every command parses its input, calls the policy or service
layer, and renders the result as a readable table (default) or JSON (`--json`). Errors come
from the one exception tree and leave with the exit code of the one status table.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from refundable import bootstrap as wiring
from refundable.core.errors import PolicyInvalid, Problem, RefundableError, status_of
from refundable.core.textinput import read_bounded
from refundable.entrypoints import cli_db
from refundable.entrypoints.cli_schema import app as schema_app
from refundable.entrypoints.render_decision import print_decision
from refundable.policy.compiled import CompiledPolicy
from refundable.policy.coverage import ClauseCoverage, coverage
from refundable.policy.decision import Decision
from refundable.policy.explain import describe_policy
from refundable.policy.lint import LintWarning, lint_policy
from refundable.policy.loader import load_policy_file
from refundable.policy.registry import PolicyRegistry, policy_files
from refundable.policy.requests import parse_request_text, zones
from refundable.policy.scenarios import ScenarioResult, run_all, run_file
from refundable.policy.schema import policy_schema

app = typer.Typer(no_args_is_help=True, help="Refundable: decide refund requests by policy.")
policy_app = typer.Typer(no_args_is_help=True, help="Validate, test and explain policy files.")
app.add_typer(policy_app, name="policy")
app.add_typer(schema_app, name="schema")
app.add_typer(cli_db.app, name="db")  # schema owner's commands (h8-storage)
# soft_wrap: one line per problem or result whatever the width, so file:line stays greppable;
# escape: codes like [invalid_input] and user text are not rich markup
out = Console(highlight=False, soft_wrap=True, width=120)
err = Console(stderr=True, highlight=False, soft_wrap=True)

T = TypeVar("T")

PoliciesOpt = Annotated[
    Path | None, typer.Option("--policies", help="Directory of policy files (default: shipped)")
]


def _guard(fn: Callable[[], T]) -> T:
    """Run a command body; turn our errors into a message and the mapped exit code."""
    try:
        return fn()
    except PolicyInvalid as error:
        for problem in error.problems:
            err.print(f"[red]error[/red] {escape(problem.render())}")
        err.print(f"{len(error.problems)} problem(s)")
        raise typer.Exit(status_of(error).exit_code) from None
    except RefundableError as error:
        err.print(f"[red]error[/red] {escape(f'[{error.code}] {error}')}")
        for extra in error.details.get("problems", [])[1:]:
            err.print(f"      {escape(extra)}")
        raise typer.Exit(status_of(error).exit_code) from None


def _registry(policies: Path | None) -> PolicyRegistry:
    return wiring.registry(policies)


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

    def run() -> Decision:
        # bounded read: size, encoding and structure are checked before parsing (textinput);
        # a --policy that disagrees with the request's own policy: is refused, not overridden
        text = read_bounded(request_file)
        if policy is not None and Path(policy).suffix in (".yaml", ".yml"):
            registry = PolicyRegistry.from_policies([load_policy_file(Path(policy))])
            request = parse_request_text(text, policy=registry.ids[0], zone=zones(registry))
            return wiring.decide(registry, request)
        registry = _registry(policies)
        request = parse_request_text(text, policy=policy, zone=zones(registry))
        return wiring.decide(registry, request)

    decision = _guard(run)
    if as_json:
        print(json.dumps(decision.to_dict(), indent=2, ensure_ascii=False))
    else:
        render_decision(decision)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise typer.BadParameter(f"cannot read {path}: {error.strerror}") from None


def render_decision(d: Decision, title: str | None = None) -> None:
    print_decision(out, d, title)


@app.command()
def demo(
    policies: PoliciesOpt = None,
    examples: Annotated[Path | None, typer.Option(help="Directory of example requests")] = None,
) -> None:
    """Decide every shipped example request of every policy and print the decisions."""
    registry = _guard(lambda: _registry(policies))
    folder = examples or wiring.examples_dir()
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.json"))
    if not files:
        err.print(f"no example requests in {folder}")
        raise typer.Exit(1)
    counts: dict[str, int] = {}
    for path in files:
        decision = _guard(_decider(registry, path))
        render_decision(decision, title=f"{path.name}")
        out.print()
        counts[decision.outcome.value] = counts.get(decision.outcome.value, 0) + 1
    summary = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
    out.print(
        f"[bold]{len(files)} requests decided under {len(registry.ids)} policies:[/bold] {summary}"
    )


def _decider(registry: PolicyRegistry, path: Path) -> Callable[[], Decision]:
    return lambda: wiring.decide(registry, parse_request_text(_read(path), zone=zones(registry)))


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
        print(json.dumps(_validation_json(checked, problems, warnings, failed), indent=2))
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
            out.print(
                f"[green]ok[/green] {escape(c['file'])}: {escape(c['policy'])} "
                f"{escape(c['version'])}, {c['rules']} rules, {c['clauses']} clauses"
            )
    for w in warnings:
        err.print(f"[yellow]warning[/yellow] {escape(w.render())}")
    for p in problems:
        err.print(f"[red]error[/red] {escape(p.render())}")
    if problems or warnings or not checked:
        err.print(
            f"{len(problems)} problem(s) in {len(checked)} file(s); {len(warnings)} warning(s)"
        )


@policy_app.command("test")
def test(
    path: Annotated[
        Path | None, typer.Argument(help="Scenario file or directory (default: shipped)")
    ] = None,
    policies: PoliciesOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run scenario files ("given this request, expect this decision")."""
    path = path or wiring.policies_dir()
    root = policies or (path if path.is_dir() else path.parent)
    registry = _guard(lambda: PolicyRegistry.load(root))
    results = run_all(path, registry) if path.is_dir() else run_file(path, registry)
    _report(results, verbose)
    failed = [r for r in results if not r.passed]
    out.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed or not results:
        raise typer.Exit(1)


def _report(results: list[ScenarioResult], verbose: bool) -> None:
    for r in results:
        if r.passed:
            if verbose:
                out.print(f"[green]PASS[/green] {escape(f'{r.file}:{r.line} {r.name}')}")
            continue
        out.print(f"[red]FAIL[/red] {escape(f'{r.file}:{r.line} {r.name}')}")
        for m in r.mismatches:
            out.print(f"     {escape(m)}")


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
    policy = _guard(lambda: load_policy_file(path))
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
        print(json.dumps(body, indent=2))
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
    out.print(table)
    uncovered = sum(r.status == "uncovered" for r in rows)
    implemented = sum(r.status == "implemented" for r in rows)
    untested = [r for r in rows if r.untested]
    out.print(
        f"{len(rows)} clauses: {implemented} implemented, "
        f"{len(rows) - implemented - uncovered} informational, {uncovered} uncovered; "
        f"{len(untested)} implemented but never tested"
    )
    for r in untested:
        err.print(
            f"[yellow]untested[/yellow] clause {escape(r.clause)} ({escape(r.title)}): "
            f"enforced by {escape(', '.join(r.enforced_by))}, but no scenario's decision cites it"
        )


@policy_app.command("explain")
def explain(path: Annotated[Path, typer.Argument(help="A policy file")]) -> None:
    """Print a policy in plain language: promises, fees, rules in order, readings."""
    policy: CompiledPolicy = _guard(lambda: load_policy_file(path))
    out.print(describe_policy(policy), markup=False)


@policy_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of policy documents (for editors)."""
    print(json.dumps(policy_schema(), indent=2))


def _mount_optional() -> None:
    """Mount the ledger commands when the ledger entry point is present."""
    try:
        from refundable.entrypoints.cli_ledger import app as ledger_app
    except ImportError:
        return
    app.add_typer(ledger_app, name="ledger")


def main() -> None:
    _mount_optional()
    app()
