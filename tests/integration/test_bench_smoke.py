"""Smoke test of the benchmark program: every measurement gives sessmux a number.

Runs ``python3 -m bench --smoke --json`` (tiny sizes, one round) from the
repository root.  It asserts that the benchmark works end to end against
sessmux — never how fast anything is (STYLE habit 10: benchmarks are
programs, not tests).  No skip: a sessmux that cannot be measured fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
MEASUREMENTS = ("throughput", "latency", "memory", "printed", "attach", "spawn", "list",
                "reconnect", "replay", "rezume")


@pytest.fixture(scope="module")
def smoke() -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--json", "--no-install"],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    doc: dict[str, object] = json.loads(done.stdout)
    return doc


def _tables(doc: dict[str, object]) -> list[dict[str, object]]:
    tables = doc["tables"]
    assert isinstance(tables, list)
    return tables


@pytest.mark.timeout(150)
def test_every_measurement_ran(smoke: dict[str, object]) -> None:
    keys = [str(t["key"]) for t in _tables(smoke)]
    for name in MEASUREMENTS:
        assert any(k == name or k.startswith(name + "_") for k in keys), (name, keys)
    assert isinstance(smoke["header"], dict)
    assert {"date", "cpu", "cores", "kernel", "python"} <= set(smoke["header"])


@pytest.mark.timeout(150)
def test_sessmux_has_a_number_everywhere(smoke: dict[str, object]) -> None:
    for table in _tables(smoke):
        peers = table["peers"]
        assert isinstance(peers, dict)
        skipped = table["skipped"]
        assert isinstance(skipped, dict)
        if str(table["key"]).startswith(("rezume", "hosts")) and os.geteuid() != 0:
            continue  # a private sshd needs root; as root it must have run
        assert "sessmux" in peers, (table["key"], skipped.get("sessmux"))
        median = peers["sessmux"]["median"]
        if table["key"] in ("rezume_soak_lost", "rezume_soak_twice"):
            assert median == 0, (table["key"], median)  # counts of lines: none, exactly
            continue
        assert isinstance(median, float | int) and median > 0, (table["key"], median)
