"""Shared helpers of the session, reconnect and soak benchmarks.

* :func:`quiet_logging`: structlog drops everything below WARNING (the library
  does not configure structlog; its default prints every event, which would
  distort timings).
* :class:`ServerProcess`: a :class:`~live_actor.testing.FakeLiveServer` in a
  separate process, so its CPU time is not charged to the client being measured.
  Run directly (``python bench/_common.py --port 0``) it is that server: it
  prints ``PORT <n>`` and serves until stdin closes.
* :func:`bench_responder`: ``"stream N"`` makes the model reply with N letters;
  with ``output_char_ms=40`` every letter becomes exactly one 40 ms 24 kHz audio
  message (1920 B of PCM), so AUDIO sessions get exactly N ``inlineData`` messages.
* :func:`machine`, :func:`percentile`, :func:`append_results`.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import platform
import re
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import structlog

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
MODEL = "gemini-live-2.5-flash-preview"
API_KEY = "bench-key"
#: 40 ms of 24 kHz s16le audio per reply character (see ``_conn._stream_text``).
OUTPUT_CHAR_MS = 40.0


def quiet_logging() -> None:
    """Drop every structlog event below WARNING (keeps logging out of the timings)."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def bench_responder() -> Any:
    from live_actor.testing import ScriptedResponder

    return ScriptedResponder(rules=[(r"^stream (\d+)$", lambda m, ctx: "x" * int(m.group(1)))])


def make_server(**overrides: Any) -> Any:
    """A FakeLiveServer configured for benchmarks (no pacing, no lifetime/limits)."""
    from live_actor.testing import FakeLiveServer

    kwargs: dict[str, Any] = {
        "chunk_delay": 0,
        "output_char_ms": OUTPUT_CHAR_MS,
        "responder": bench_responder(),
        "connection_lifetime": None,
        "session_limit_audio": None,
        "session_limit_video": None,
    }
    kwargs.update(overrides)
    return FakeLiveServer(**kwargs)


class ServerProcess:
    """``with ServerProcess() as port:`` runs :func:`make_server` in a child process."""

    def __init__(self, command: list[str] | None = None) -> None:
        #: the child's command line; it prints ``PORT n`` and serves until stdin closes.
        self.command = command or [sys.executable, str(Path(__file__).resolve()), "--port", "0"]
        self._proc: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> Self:
        self._proc = subprocess.Popen(
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(ROOT),
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        match = re.match(r"PORT (\d+)", line)
        if match is None:
            self._proc.kill()
            raise RuntimeError(f"server process did not start: {line!r}")
        self.port = int(match.group(1))
        return self

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def live_url(self) -> str:
        return (
            f"{self.url}/ws/google.ai.generativelanguage.v1beta.GenerativeService"
            ".BidiGenerateContent"
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc = self._proc
        if proc is None:
            return
        assert proc.stdin is not None
        proc.stdin.close()  # the child serves until its stdin closes
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100.0 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> str:
    """Date, CPU, Python and library versions, as lines for RESULTS.md."""
    from importlib.metadata import version

    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    libs = ", ".join(
        f"{name} {version(name)}"
        for name in ("anyio", "trio", "trio-websocket", "websockets", "orjson", "google-genai")
    )
    return (
        f"Date: {now}\n"
        f"Platform: {platform.platform()}\n"
        f"CPU: {_cpu_model()} ({os.cpu_count()} logical CPUs)\n"
        f"Python: {platform.python_implementation()} {platform.python_version()}\n"
        f"Libraries: {libs}\n"
    )


def _replace_block(text: str, header: str, body: str) -> str:
    """Replace the block starting at the line ``header`` (up to the next header of the
    same or a higher level) with ``header`` + ``body``; append it if absent."""
    level = len(header) - len(header.lstrip("#"))
    block = f"{header}\n\n{body.strip()}\n"
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip() == header), None)
    if start is None:
        return text.rstrip("\n") + "\n\n" + block

    def ends(line: str) -> bool:
        hashes = len(line) - len(line.lstrip("#"))
        return 0 < hashes <= level and line[hashes : hashes + 1] == " "

    end = next((i for i in range(start + 1, len(lines)) if ends(lines[i])), len(lines))
    before = "\n".join(lines[:start]).rstrip("\n")
    after = "\n".join(lines[end:]).strip("\n")
    return before + "\n\n" + block + ("\n" + after + "\n" if after else "")


def replace_section(title: str, body: str, subsection: str | None = None) -> None:
    """Replace (or append) the ``## title`` section of RESULTS.md, keeping all others.

    With ``subsection`` only the ``### subsection`` inside it is replaced, so runs of
    different sizes accumulate.  The file is re-read right before writing: other
    benchmarks edit it too.
    """
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    header = f"## {title}"
    if subsection is None:
        RESULTS.write_text(_replace_block(text, header, body))
        return
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip() == header), None)
    if start is None:
        text = _replace_block(text, header, "")
        lines = text.split("\n")
        start = next(i for i, line in enumerate(lines) if line.strip() == header)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    section = "\n".join(lines[start:end])
    section = _replace_block(section, f"### {subsection}", body).rstrip("\n") + "\n"
    before = "\n".join(lines[:start]).rstrip("\n")
    after = "\n".join(lines[end:]).strip("\n")
    RESULTS.write_text(before + "\n\n" + section + ("\n" + after + "\n" if after else ""))


def _serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="bench fake server (serves until stdin closes)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = make_server(port=args.port).start()
    try:
        print(f"PORT {server.port}", flush=True)
        sys.stdin.read()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(_serve(sys.argv[1:]))
