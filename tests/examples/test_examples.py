"""Every program in ``examples/`` runs offline, exits 0 and prints what it promises.

Each example is run in a subprocess with ``sys.executable`` and without
``GEMINI_API_KEY``/``GOOGLE_API_KEY`` (so it starts its embedded ``FakeLiveServer``),
once per backend when it accepts ``--backend``.  What it must print is read from its
own docstring: the indented lines after ``Expected output (fake server)::``, each of
which must appear in stdout (the answers, tool results, counts: the fake server is
deterministic).  A new example is picked up automatically.  A few examples get extra
checks on the files they write; the web bridge, a server, is driven by a WebSocket
client.

The runs are independent and mostly wait (on the fake server's pacing, on 1 FPS video),
so they start together, a few at a time, when the session starts: the whole suite takes
about as long as its slowest examples.
"""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import subprocess
import sys
import wave
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from websockets.exceptions import ConnectionClosedError
from websockets.sync.client import connect

from live_actor.testing import silence, speech, transcribe

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.py"))
EXPECTED_HEADER = re.compile(r"^Expected output \(fake server\)::\s*$")
LOG_PROBLEM = re.compile(r"\[(warning|error|critical)\s*\]\s*(\S+)")  # structlog console
TIMEOUT = 60  # seconds per run; the slowest takes ~4 s alone
PARALLEL = 4  # runs at once: they mostly sleep
#: Examples that serve until stopped: driven by their own test below.
SERVERS = {"web_bridge"}
#: Log events an example provokes on purpose (the test fails on any other warning).
EXPECTED_LOG_EVENTS = {
    # the plain session's end at the duration limit is logged as the session giving up
    "context_compression": {"live_actor.supervisor.gave_up"},
}


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
    env["TMPDIR"] = str(tmp_path)  # files an example writes (WAVs, logs) go here
    return env


def run_example(
    path: Path, backend: str | None, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(path)] + (["--backend", backend] if backend else [])
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=offline_env(tmp_path),
        cwd=EXAMPLES_DIR.parent,
        check=False,
    )


CASES = [
    pytest.param(path, backend, id=path.stem + (f"-{backend}" if backend else ""))
    for path in EXAMPLES
    if path.stem not in SERVERS
    for backend in backends(path)
]
Key = tuple[Path, "str | None"]


@pytest.fixture(scope="session")
def example_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[Key, tuple[Path, Future[subprocess.CompletedProcess[str]]]]]:
    """Start the selected example runs at once (``PARALLEL`` at a time)."""
    selected: list[Key] = [
        cast(Key, (item.callspec.params["path"], item.callspec.params["backend"]))
        for item in request.session.items
        if isinstance(item, pytest.Function)
        and item.originalname == "test_example_runs_offline"
        and hasattr(item, "callspec")
    ]
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        runs = {}
        for path, backend in selected:
            tmp = tmp_path_factory.mktemp(f"{path.stem}-{backend}")
            runs[(path, backend)] = (tmp, pool.submit(run_example, path, backend, tmp))
        yield runs
        for _tmp, future in runs.values():
            future.cancel()


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 15, f"examples missing from {EXAMPLES_DIR}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_documented_and_uses_the_public_api(path: Path) -> None:
    doc = docstring(path)
    source = path.read_text(encoding="utf-8")
    assert doc, f"{path.name}: needs a module docstring saying what it shows"
    assert "GEMINI_API_KEY" in doc, f"{path.name}: say how to run it on the real service"
    assert expected_lines(path), f"{path.name}: add an 'Expected output (fake server)::' block"
    for needle in ('"--api-key"', "GOOGLE_API_KEY", "GEMINI_API_KEY", "FakeLiveServer"):
        assert needle in source, f"{path.name}: fake by default, real with a key ({needle})"
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name.split(".")[0] == "live_actor":
                private = [part for part in name.split(".") if part.startswith("_")]
                assert not private, f"{path.name}: imports private {name}"


def check_run(path: Path, proc: subprocess.CompletedProcess[str]) -> None:
    report = f"\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    assert proc.returncode == 0, f"{path.name} exited with {proc.returncode}{report}"
    assert "Traceback" not in proc.stderr, report
    allowed = EXPECTED_LOG_EVENTS.get(path.stem, set())
    logged = {m.group(2) for m in LOG_PROBLEM.finditer(proc.stdout + proc.stderr)}
    assert logged <= allowed, f"{path.name} logged {sorted(logged - allowed)}{report}"
    missing = [line for line in expected_lines(path) if line not in proc.stdout]
    assert not missing, f"{path.name} did not print {missing}{report}"


@pytest.mark.parametrize(("path", "backend"), CASES)
def test_example_runs_offline(
    path: Path,
    backend: str | None,
    example_runs: dict[Key, tuple[Path, Future[subprocess.CompletedProcess[str]]]],
) -> None:
    tmp, future = example_runs[(path, backend)]
    proc = future.result(timeout=TIMEOUT * len(example_runs))
    check_run(path, proc)
    extra_checks = {"voice_agent": check_wav_reply, "structured_logs": check_log_files}
    if path.stem in extra_checks:
        extra_checks[path.stem](proc.stdout, tmp)


def check_wav_reply(stdout: str, tmp: Path) -> None:
    """The reply WAV is 24 kHz mono 16-bit and holds the spoken answer."""
    match = re.search(r"reply: ([\d.]+) s of 24 kHz audio in (\S+)", stdout)
    assert match, stdout
    reply = Path(match.group(2))
    assert reply.is_relative_to(tmp), "the example writes to the temp dir by default"
    assert (reply.parent / "question.wav").exists(), "the sample question is a WAV file too"
    with wave.open(str(reply), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24000, 1, 2)
        pcm = wav.readframes(wav.getnframes())
    assert abs(len(pcm) / 48000 - float(match.group(1))) < 0.01
    # the fake speaks its text in the same tone code as speech(): decode the answer
    assert transcribe(pcm) == "Got it, your name is Bob."


def check_log_files(stdout: str, tmp: Path) -> None:
    """The JSON lines are live_actor events without the key; the page was written."""
    found = re.search(r"JSON lines in (\S+)", stdout), re.search(r"page written: (\S+)", stdout)
    assert found[0] and found[1], stdout
    log, page = Path(found[0].group(1)), Path(found[1].group(1))
    assert log.is_relative_to(tmp) and page.is_relative_to(tmp)
    lines = log.read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert {e.get("session_id") for e in events} == {"front-desk"}
    names = {e["event"] for e in events}
    assert {"live_actor.supervisor.reconnecting", "live_actor.session.closed"} <= names, names
    assert "offline-key-not-for-logs" not in log.read_text()
    html = page.read_text()
    assert "front-desk" in html and "<html" in html.lower()


# ---------------------------------------------------------------------- web bridge


def first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert proc.stdout is not None
        return pool.submit(proc.stdout.readline).result(timeout=timeout)


def test_web_bridge_forwards_browser_audio_both_ways(tmp_path: Path) -> None:
    path = EXAMPLES_DIR / "web_bridge.py"
    proc = subprocess.Popen(
        [sys.executable, str(path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=offline_env(tmp_path),
        cwd=EXAMPLES_DIR.parent,
    )
    try:
        line = first_line(proc, timeout=TIMEOUT)
        match = re.match(r"serving on (http://\S+)", line)
        assert match, line
        url = match.group(1)
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200
        assert "getUserMedia" in page.text and "16000" in page.text and "24000" in page.text

        pcm = speech("my name is Bob") + silence(800)  # what the page sends: 16 kHz PCM
        audio, messages = b"", list[dict[str, Any]]()
        with connect(url.replace("http", "ws", 1) + "/ws", open_timeout=10) as ws:
            for start in range(0, len(pcm), 640):
                ws.send(pcm[start : start + 640])
            while not messages or not messages[-1].get("turn_complete"):
                message = ws.recv(timeout=30)
                if isinstance(message, bytes):
                    audio += message
                else:
                    messages.append(json.loads(message))
        assert messages == [
            {"you": "my name is Bob"},
            {"model": "Got it, your name is Bob."},
            {"turn_complete": True},
        ]
        assert transcribe(audio) == "Got it, your name is Bob."  # the 24 kHz reply, intact

        with connect(url.replace("http", "ws", 1) + "/ws", open_timeout=10) as ws:
            ws.send(b"odd")  # not 16-bit PCM
            with pytest.raises(ConnectionClosedError) as closed:
                ws.recv(timeout=30)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1003
        assert "16-bit PCM" in closed.value.rcvd.reason
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            out, err = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    check_run(path, subprocess.CompletedProcess(proc.args, proc.returncode, line + out, err))
    assert out.count("browser connected") == out.count("browser disconnected") == 2
