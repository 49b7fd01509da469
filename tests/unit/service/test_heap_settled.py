"""The serving process settles its heap at start-up (``entrypoints/heap``): what the wired
service holds leaves the cyclic collector's full passes, and garbage made later is still
collected. Run in a child process: freezing is process-wide."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CHILD = """
import gc, json, os, sys
os.environ["REFUNDABLE_DB_URL"] = "sqlite:///" + sys.argv[1]
os.environ["REFUNDABLE_DEMO"] = "no"
from refundable.entrypoints.api.asgi import app_from_env
before = len(gc.get_objects())
app = app_from_env()
frozen, tracked = gc.get_freeze_count(), len(gc.get_objects())
class Node:
    pass
a, b = Node(), Node()
a.other, b.other = b, a  # a cycle made after start-up
probe = id(a)
del a, b
gc.collect()
alive = any(id(o) == probe for o in gc.get_objects())
print(json.dumps({"before": before, "frozen": frozen, "tracked": tracked, "alive": alive}))
"""


def test_the_asgi_factory_freezes_what_start_up_built(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "heap.db")],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["frozen"] > got["before"]  # the service's objects, and the interpreter's
    assert got["tracked"] < got["frozen"] / 10  # a full pass walks a tenth of it, or less
    assert got["alive"] is False  # cycles made afterwards are still collected
