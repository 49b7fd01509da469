"""`refundable schema request|decision`: the request and decision vocabularies as JSON Schema.

Integrators validate what they send and what they get back without reading our code; editors
complete request files. The schemas come from :mod:`refundable.policy.vocabulary`, the same
definitions the parser and docs/request-vocabulary.md use.
"""

from __future__ import annotations

import json

import typer

from refundable.policy.vocabulary import decision_schema, request_schema

app = typer.Typer(no_args_is_help=True, help="Print the JSON Schemas of requests and decisions.")


@app.command("request")
def request() -> None:
    """JSON Schema of a refund request (what `refundable decide` accepts)."""
    print(json.dumps(request_schema(), indent=2))


@app.command("decision")
def decision() -> None:
    """JSON Schema of a decision (what `refundable decide --json` prints)."""
    print(json.dumps(decision_schema(), indent=2))
