"""The quick commands run with the cyclic garbage collector paused (a cold start builds many
objects and no garbage, ADR 0063); every other command, above all the long-running ones, keeps
it. Checked on the decision itself and in a real process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from refundable.entrypoints.cli import QUICK_COMMANDS, RootGroup, app, collector_paused


@pytest.mark.parametrize(
    "argv",
    [
        ["decide", "--policy", "conek", "r.yaml"],
        ["decide", "-h"],
        ["demo", "--json"],
        ["policy", "validate", "p.yaml"],
        ["schema", "request"],
        ["--version"],
        ["-h"],
    ],
)
def test_quick_commands_pause_the_collector(argv: list[str]) -> None:
    assert collector_paused(argv)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["serve"],
        ["jobs", "run"],
        ["ledger", "record", "payment"],
        ["cases", "list"],
        ["--version", "serve"],
        ["db", "upgrade"],
        ["no-such-command"],
    ],
)
def test_every_other_command_keeps_it(argv: list[str]) -> None:
    assert not collector_paused(argv)


def test_the_quick_commands_exist() -> None:
    commands = {c.name or getattr(c.callback, "__name__", "") for c in app.registered_commands}
    eager = commands | {g.name for g in app.registered_groups}
    names = eager | set(RootGroup.lazy)
    assert names >= QUICK_COMMANDS


def test_a_real_process_follows_the_decision() -> None:
    probe = (
        "import gc, sys; from refundable.entrypoints import cli; "
        "sys.argv = ['refundable'] + sys.argv[1:]; "
        "cli.app = lambda **_: print(gc.isenabled()); cli.main()"
    )
    for argv, expected in ((["decide", "x.yaml"], "False"), (["serve"], "True")):
        done = subprocess.run(
            [sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == expected, (argv, done.stderr)
