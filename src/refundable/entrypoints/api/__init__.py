"""The HTTP API (``/v1``): FastAPI routes that only translate.

A route turns a JSON body into a command or a query, runs it through the service layer, and
turns the receipt or the read model into JSON; errors leave as ``application/problem+json``
with the project's stable codes. ``create_app`` (in :mod:`.app`) wires it to a bootstrapped
:class:`refundable.bootstrap.App`; ``refundable serve`` runs it.
"""
