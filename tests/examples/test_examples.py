"""Every program in ``examples/`` runs offline, exits 0 and prints what it promises.

Each example is run in a subprocess with ``sys.executable`` and without
``GEMINI_API_KEY`` (so it starts its embedded ``FakeLiveServer``), once per backend
when it accepts ``--backend``.  What it must print is read from its own docstring:
the indented lines after ``Expected output (fake server)::``, each of which must
appear in stdout.  A new example is picked up automatically.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.py"))
EXPECTED_HEADER = re.compile(r"^Expected output \(fake server\)::\s*$")
LOG_PROBLEM = re.compile(r"\[(warning|error|critical)\s*\]")  # structlog console levels
TIMEOUT = 60  # seconds per run; each takes well under 3 s


def docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def expected_lines(path: Path) -> list[str]:
    """The indented block after ``Expected output (fake server)::`` in the docstring."""
    lines = docstring(path).splitlines()
    for i, line in enumerate(lines):
        if EXPECTED_HEADER.match(line):
            block = []
            for item in lines[i + 1 :]:
                if item.strip() and not item.startswith(" "):
                    break
                if item.strip():
                    block.append(item.strip())
            return block
    return []


def backends(path: Path) -> list[str | None]:
    return ["asyncio", "trio"] if "--backend" in path.read_text(encoding="utf-8") else [None]


def offline_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
    env["PYTHONWARNINGS"] = "error::DeprecationWarning"  # keep the examples current
    env["TMPDIR"] = str(tmp_path)  # files an example writes (voice_agent's WAV) go here
    return env


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 4, f"no examples found in {EXAMPLES_DIR}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_documented_and_uses_the_public_api(path: Path) -> None:
    doc = docstring(path)
    assert doc, f"{path.name}: needs a module docstring saying what it shows"
    assert "GEMINI_API_KEY" in doc, f"{path.name}: say how to run it on the real service"
    assert expected_lines(path), f"{path.name}: add an 'Expected output (fake server)::' block"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name.split(".")[0] == "live_actor":
                private = [part for part in name.split(".") if part.startswith("_")]
                assert not private, f"{path.name}: imports private {name}"


CASES = [
    pytest.param(path, backend, id=path.stem + (f"-{backend}" if backend else ""))
    for path in EXAMPLES
    for backend in backends(path)
]


@pytest.mark.parametrize(("path", "backend"), CASES)
def test_example_runs_offline(path: Path, backend: str | None, tmp_path: Path) -> None:
    command = [sys.executable, str(path)] + (["--backend", backend] if backend else [])
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=offline_env(tmp_path),
        cwd=EXAMPLES_DIR.parent,
        check=False,
    )
    report = f"\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    assert proc.returncode == 0, f"{path.name} exited with {proc.returncode}{report}"
    assert "Traceback" not in proc.stderr, report
    assert not LOG_PROBLEM.search(proc.stdout + proc.stderr), f"a warning was logged{report}"
    missing = [line for line in expected_lines(path) if line not in proc.stdout]
    assert not missing, f"{path.name} did not print {missing}{report}"
