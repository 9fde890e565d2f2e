"""Screenshot of the timeline page of a JSON log, for the docs.

    python docs/make_timeline_png.py LOG.jsonl docs/timeline.png [-- live-actor logs options]
    python docs/make_timeline_png.py --chaos docs/timeline.png     # the picture in the docs

Runs ``live-actor logs LOG --html`` and takes a screenshot in headless Chromium (Debian's
``chromium`` package, driven as the tests drive it: tests/logs/cdp.py, no network), with
the pointer on a mark so the tooltip shows. With ``--chaos``, the log is that of a chaos
run of real sessions against the fake server (tests/logs/chaos.py: 20 sessions under a
seeded plan of drops, 1011s and goAways, each doing a few turns and tool calls). Without
a log, writes a synthetic one first (bench/logs_gen.py: 24 sessions over a few minutes).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.logs import cdp  # noqa: E402 -- after the path is set


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    if len(argv) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[-1])
    with tempfile.TemporaryDirectory() as tmp:
        log = argv[0] if len(argv) == 2 else str(Path(tmp) / "synthetic.jsonl")
        if argv[0] == "--chaos":
            import anyio

            from tests.logs.chaos import run_chaos

            log = str(Path(tmp) / "chaos.jsonl")
            anyio.run(run_chaos, Path(log))
        elif len(argv) == 1:
            subprocess.run([sys.executable, str(ROOT / "bench" / "logs_gen.py"), log,
                            "--lines", "4000", "--sessions", "24", "--span", "90",
                            "--noise", "0"], check=True)
        page = Path(tmp) / "timeline.html"
        cli = [sys.executable, "-m", "live_actor.cli", "logs", log, "--html", str(page)]
        subprocess.run([*cli, *extra], check=True)
        with cdp.Browser() as browser:
            browser.open(page, width=1400, height=860)
            browser.wait_for("document.querySelector('.lane .lane-svg').childElementCount > 2")
            point = browser.evaluate(
                "(() => { const m = document.querySelectorAll('.lane-svg [data-m]')[40];"
                " const r = m.getBoundingClientRect();"
                " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
            )
            browser.page("Input.dispatchMouseEvent", type="mouseMoved", x=point[0], y=point[1])
            browser.wait_for("!document.getElementById('tip').hidden")
            out.write_bytes(browser.screenshot())
            problems = browser.problems()
    if problems:
        print("page problems:", *problems, sep="\n", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
