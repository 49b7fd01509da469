"""The `refundable` command: thin translation from arguments to calls and from results to text.

No business rule lives here: every command parses its input, calls the policy or service
layer, and renders the result as a readable table (default) or JSON (`--json`). Errors come
from the one exception tree and leave with the exit code of the one status table.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from refundable.core.errors import InputError, PolicyInvalid, RefundableError
from refundable.entrypoints.cli_support import (
    err,
    escape,
    out,
    print_json,
    report_error,
    report_usage_error,
    wants_json,
)

if TYPE_CHECKING:
    from refundable.policy.decision import Decision
    from refundable.policy.registry import PolicyRegistry
    from refundable.policy.scenarios import ScenarioResult

# -h as well as --help, on every command (sub-contexts inherit the names)
HELP = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(
    no_args_is_help=True,
    help="Refundable: decide refund requests by policy.",
    context_settings=HELP,
    pretty_exceptions_enable=False,
)
policy_app = typer.Typer(no_args_is_help=True, help="Validate, test and explain policy files.")
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
    from refundable.policy.engine import decide as decide_request
    from refundable.policy.requests import parse_request_text

    text = sys.stdin.read() if str(request_file) == "-" else _read(request_file)
    if policy is not None and Path(policy).suffix in (".yaml", ".yml"):
        from refundable.policy.loader import load_policy_file
        from refundable.policy.registry import PolicyRegistry

        compiled = load_policy_file(Path(policy))
        request = parse_request_text(text, policy=compiled.id)
        registry = PolicyRegistry.from_policies([compiled])
    else:
        request = parse_request_text(text, policy=policy)
        registry = _registry(policies, request.policy)
    decision = decide_request(registry.in_force(request.policy, request.requested_at), request)
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
    from refundable import bootstrap as wiring
    from refundable.policy.requests import parse_request_text

    registry = _registry(policies)
    folder = examples or wiring.examples_dir()
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.json"))
    if not files:
        raise InputError(
            "no example requests here", where=str(folder), allowed="a folder of *.yaml or *.json"
        )
    decided = [(p, wiring.decide(registry, parse_request_text(_read(p)))) for p in files]
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
    as_json: JsonOpt = False,
) -> None:
    """Check policy files; print every problem with file:line."""
    from refundable.policy.loader import load_policy_file
    from refundable.policy.registry import policy_files

    problems = []
    found: list[dict[str, Any]] = []
    for root in paths:
        for path in policy_files(root):
            try:
                compiled = load_policy_file(path)
            except PolicyInvalid as error:
                problems.extend(error.problems)
                continue
            found.append(
                {
                    "file": str(path),
                    "policy": compiled.id,
                    "version": compiled.version,
                    "rules": len(compiled.rules),
                    "clauses": len(compiled.document.clauses),
                }
            )
    failed = bool(problems) or not (found or problems)
    if as_json:
        print_json({"ok": found, "problems": [asdict(p) for p in problems]})
    else:
        for f in found:
            out().print(
                f"[green]ok[/green] {escape(f['file'])}: {escape(f['policy'])} "
                f"{escape(f['version'])}, {f['rules']} rules, {f['clauses']} clauses"
            )
        for p in problems:
            err().print(f"[red]error[/red] {escape(p.render())}")
        if failed:
            err().print(f"{len(problems)} problem(s) in {_count(paths)} file(s)")
    if failed:
        raise typer.Exit(3)


def _count(paths: Sequence[Path]) -> int:
    from refundable.policy.registry import policy_files

    return sum(len(policy_files(root)) for root in paths)


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
    as_json: JsonOpt = False,
) -> None:
    """Show, clause by clause, what enforces each clause of the source policy."""
    from rich.table import Table

    from refundable.policy.coverage import coverage
    from refundable.policy.loader import load_policy_file
    from refundable.policy.registry import PolicyRegistry
    from refundable.policy.scenarios import run_file

    policy = load_policy_file(path)
    sfile = scenarios or path.with_name(f"{policy.id}.scenarios.yaml")
    results = run_file(sfile, PolicyRegistry.from_policies([policy])) if sfile.exists() else []
    rows = coverage(policy, results)
    uncovered = [r for r in rows if r.status == "uncovered"]
    if as_json:
        clauses = [asdict(r) for r in rows]
        print_json({"policy": policy.id, "version": policy.version, "clauses": clauses})
        if uncovered:
            raise typer.Exit(1)
        return
    table = Table(title=f"{policy.document.name} {policy.version}: clause coverage")
    for col in ("clause", "title", "status", "enforced by / reason", "scenarios"):
        table.add_column(col, overflow="fold")
    for row in rows:
        colour = {"implemented": "green", "informational": "cyan"}.get(row.status, "red")
        detail = ", ".join(row.enforced_by) or (row.reason or "")
        table.add_row(
            escape(row.clause),
            escape(row.title),
            f"[{colour}]{row.status}[/{colour}]",
            escape(detail),
            str(row.scenarios),
        )
    out().print(table)
    implemented = sum(r.status == "implemented" for r in rows)
    out().print(
        f"{len(rows)} clauses: {implemented} implemented, "
        f"{len(rows) - implemented - len(uncovered)} informational, {len(uncovered)} uncovered"
    )
    if uncovered:
        raise typer.Exit(1)


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
    from refundable.policy.document import PolicyDocument

    body = PolicyDocument.model_json_schema(by_alias=True)
    body["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    body["$id"] = "https://refundable.dev/schema/policy.schema.json"
    return body


def _mount_optional() -> None:
    """Mount the ledger commands (their module imports nothing heavy until a command runs)."""
    from refundable.entrypoints.cli_ledger import app as ledger_app

    app.add_typer(ledger_app, name="ledger")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line; every error of ours leaves here, as text or as JSON."""
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = wants_json(args)
    _mount_optional()
    try:
        code = app(args=args, prog_name="refundable", standalone_mode=False)
    except RefundableError as error:
        code = report_error(error, as_json)
    except typer.TyperException as error:  # the parser's own errors (usage, bad choice)
        code = report_usage_error(error, as_json)
    except typer.Abort:
        err().print("aborted")
        code = 1
    sys.exit(code if isinstance(code, int) else 0)
