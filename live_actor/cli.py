"""The ``live-actor`` command line.

Subcommands are registered in :func:`build_parser`; each one is a function taking the
parsed arguments and returning an exit code, so new commands (``demo``, ...) plug in
without touching the others.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

__all__ = ["build_parser", "main"]


def _fake_server(args: argparse.Namespace) -> int:
    """Serve a FakeLiveServer until Ctrl-C / SIGTERM; print its URLs first."""
    from live_actor.testing import FakeLiveServer, FaultPlan

    plan = None
    if args.fault_seed is not None:
        plan = FaultPlan(
            seed=args.fault_seed,
            drop_rate=args.drop_rate,
            error_1011_rate=args.error_rate,
            go_away_rate=args.go_away_rate,
        )
    server = FakeLiveServer(
        host=args.host,
        port=args.port,
        api_keys=args.api_key or None,
        chunk_delay=args.chunk_delay,
        connection_lifetime=args.lifetime or None,
        go_away_notice=args.go_away_notice,
        text_frames=args.text_frames,
        fault_plan=plan,
        handshake_timeout=args.handshake_timeout,
        retain_finished=args.retain_finished,
        retain_seconds=args.retain_seconds,
        profile=args.profile,
        first_response_delay=args.first_response_delay,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    server.start()
    try:
        print(f"FakeLiveServer listening on {server.url}", flush=True)
        print(f"  Live (v1beta): {server.live_url()}", flush=True)
        print(f"  REST:          {server.http_url}/v1beta/models", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    return 0


def _demo(args: argparse.Namespace) -> int:
    """The walkthrough on the embedded fake server (see ``live_actor._demo``)."""
    from live_actor._demo import main as demo_main

    argv = ["--backend", args.backend, "--api-key", args.api_key]
    if args.base_url:
        argv += ["--base-url", args.base_url]
    return demo_main(argv)


def _add_logs_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``live-actor logs``: summaries, timelines and the timeline page (live_actor._logs)."""
    from live_actor._logs._command import add_arguments, run

    logs = sub.add_parser("logs", help="summarise live_actor's JSON logs, or draw a timeline")
    add_arguments(logs)
    logs.set_defaults(handler=run)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per command."""
    parser = argparse.ArgumentParser(prog="live-actor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the demo on the embedded fake server")
    demo.add_argument("--backend", choices=("asyncio", "trio"), default="trio")
    demo.add_argument("--base-url", default=None, help="endpoint (default: embedded fake)")
    demo.add_argument("--api-key", default="demo-key")
    demo.set_defaults(handler=_demo)
    fake = sub.add_parser("fake-server", help="run a local fake Gemini Live API server")
    fake.add_argument("--port", type=int, default=8765, help="TCP port (0 = any free port)")
    fake.add_argument("--host", default="127.0.0.1", help="bind address")
    fake.add_argument(
        "--api-key", action="append", default=[], help="accepted API key (repeatable)"
    )
    fake.add_argument("--chunk-delay", type=float, default=0.01, help="seconds between chunks")
    fake.add_argument(
        "--lifetime", type=float, default=600.0, help="connection lifetime (0 = unlimited)"
    )
    fake.add_argument("--go-away-notice", type=float, default=60.0)
    fake.add_argument("--text-frames", action="store_true", help="send JSON in text frames")
    fake.add_argument("--fault-seed", type=int, default=None, help="enable a random FaultPlan")
    fake.add_argument("--drop-rate", type=float, default=0.0)
    fake.add_argument("--error-rate", type=float, default=0.0)
    fake.add_argument("--go-away-rate", type=float, default=0.0)
    fake.add_argument(
        "--handshake-timeout", type=float, default=10.0, help="seconds to send a request"
    )
    fake.add_argument(
        "--retain-finished", type=int, default=1000, help="finished sessions remembered"
    )
    fake.add_argument(
        "--retain-seconds", type=float, default=3600.0, help="how long a finished one is kept"
    )
    fake.add_argument(
        "--profile", choices=("dev", "vertex", "3.x"), default="dev", help="service timing"
    )
    fake.add_argument(
        "--first-response-delay", type=float, default=0.0, help="seconds before a reply starts"
    )
    fake.set_defaults(handler=_fake_server)
    _add_logs_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``live-actor`` console script."""
    args = build_parser().parse_args(argv)
    handler = args.handler
    result: int = handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
