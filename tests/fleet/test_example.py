"""examples/fleet/main.py runs offline on both backends and prints what its docstring promises.

(``tests/examples`` runs the top-level examples; this one lives in a folder and needs
a redis-server, so the fleet tests run it.)
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ._redis import RedisServer

MAIN = Path(__file__).resolve().parents[2] / "examples" / "fleet" / "main.py"


def expected_lines() -> list[str]:
    doc = ast.get_docstring(ast.parse(MAIN.read_text(encoding="utf-8"))) or ""
    block = doc.split("Expected output (fake server)::", 1)[1]
    return [line.strip() for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_fleet_example(backend: str, redis_server: RedisServer, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
    env["TMPDIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, str(MAIN), "--backend", backend],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for line in expected_lines():
        assert line in result.stdout, (line, result.stdout, result.stderr)
    assert "handed_over" in result.stdout and "store.adopted" in result.stdout
