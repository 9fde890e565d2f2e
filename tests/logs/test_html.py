"""``live-actor logs --html``: one self-contained page, checked as a file and in Chromium."""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

import pytest

from live_actor._logs import _html
from live_actor.cli import main

from . import cdp
from .synthetic import T0, Session, merged, to_lines, write_log


def fleet(count: int, *, seed: int = 3) -> list[Session]:
    """*count* sessions with turns, tool calls, drops, goAways, a give-up and open ones."""
    rng = random.Random(seed)
    sessions = []
    for i in range(count):
        s = Session(f"sess-{i:03d}", start=T0 + rng.uniform(0, 30)).dial()
        for _ in range(rng.randint(3, 12)):
            s.turn(rng.randint(5, 50), rng.randint(5, 80), dt=rng.uniform(0.5, 4),
                   interrupted=rng.random() < 0.1)
            roll = rng.random()
            if roll < 0.15:
                s.tool(outcome="ok" if rng.random() < 0.8 else "timeout")
            elif roll < 0.25:
                s.drop(down=rng.uniform(0.2, 3), replayed=rng.randint(0, 4))
            elif roll < 0.32:
                s.go_away()
        if i % 7 == 3:
            s.close("gave_up", error="too many restarts")
        elif i % 5 != 4:
            s.close()
        sessions.append(s)
    return sessions


def write_page(tmp_path: Path, sessions: list[Session], *extra: str) -> Path:
    log = write_log(tmp_path / "fleet.jsonl", to_lines(merged(*sessions)))
    out = tmp_path / "timeline.html"
    assert main(["logs", log, "--html", str(out), *extra]) == 0
    return out


def page_data(page: Path) -> dict[str, object]:
    text = page.read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="data">(.*?)</script>', text, re.S)
    assert block is not None
    data: dict[str, object] = json.loads(block.group(1))
    return data


def test_the_page_is_self_contained(tmp_path: Path) -> None:
    page = write_page(tmp_path, fleet(12))
    text = page.read_text(encoding="utf-8")
    assert "default-src 'none'" in text  # CSP: the page may load nothing at all
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "@import" not in text and "url(http" not in text
    data = page_data(page)
    lanes = data["lanes"]
    assert isinstance(lanes, list) and len(lanes) == 12
    assert len(data["summary"]) == 12  # type: ignore[arg-type]


def test_bars_follow_connections(tmp_path: Path) -> None:
    s = Session("one").dial().turn().drop(down=1.0).turn().go_away().turn().close()
    lane = page_data(write_page(tmp_path, [s]))["lanes"][0]  # type: ignore[index]
    bars = lane["bars"]
    assert [b[4] for b in bars] == [1, 2, 3]
    assert [b[3] for b in bars] == ["transient", "planned", "closed"]
    assert all(b[0] <= b[1] <= b[2] for b in bars)  # start <= ready <= end
    names = {page_data(tmp_path / "timeline.html")["types"][m[1]] for m in lane["marks"]}  # type: ignore[index]
    assert {"session.turn_complete", "supervisor.exit", "supervisor.resumed",
            "session.go_away", "supervisor.rotating", "session.closed"} <= names
    assert "session.status" not in names  # debug noise stays out unless asked for


def test_log_text_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    s = Session("</script><script>alert(1)</script>").dial()
    s.emit("live_actor.session.callback_error", "warning", callback="on_message",
           error="</script><img src=x onerror=alert(2)>{{script}}")
    page = write_page(tmp_path, [s])
    text = page.read_text(encoding="utf-8")
    assert text.count("</script>") == 2  # the data block's and the script's own
    assert page_data(page)["lanes"][0]["id"] == "</script><script>alert(1)</script>"  # type: ignore[index]


def test_caps_leave_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_html, "MAX_LANES", 3)
    monkeypatch.setattr(_html, "MAX_MARKS_PER_SESSION", 4)
    data = page_data(write_page(tmp_path, fleet(5)))
    assert len(data["lanes"]) == 3  # type: ignore[arg-type]
    assert len(data["summary"]) == 5  # type: ignore[arg-type]
    notes = " ".join(data["notes"])  # type: ignore[arg-type]
    assert "2 sessions are in the table but not drawn" in notes
    assert "marks left out" in notes


if not cdp.available() and os.environ.get("LIVE_ACTOR_REQUIRE_BROWSER"):
    # CI (.ci/run) installs the browser: there, a missing one is a failure, not a skip
    raise RuntimeError(f"LIVE_ACTOR_REQUIRE_BROWSER is set but {cdp.CHROMIUM} is missing")

needs_chromium = pytest.mark.skipif(
    not cdp.available(), reason=f"headless browser missing: install {cdp.PACKAGE}"
)


@needs_chromium
def test_chromium_renders_one_lane_per_session(tmp_path: Path) -> None:
    sessions = fleet(40)
    page = write_page(tmp_path, sessions)
    with cdp.Browser() as browser:
        browser.open(page)
        assert browser.evaluate("document.querySelectorAll('.lane').length") == 40
        lanes = browser.evaluate(
            "[...document.querySelectorAll('.lane')].map(l => l.dataset.session)"
        )
        assert sorted(lanes) == sorted(s.sid for s in sessions)
        assert browser.evaluate("document.querySelectorAll('#summary tbody tr').length") == 40
        # lanes on screen get drawn: bars and marks
        browser.wait_for("document.querySelector('.lane .lane-svg').childElementCount > 2")
        drawn = browser.evaluate("document.querySelectorAll('.lane-svg [data-m]').length")
        assert drawn > 40

        # hover a mark: the tooltip shows that event's fields
        box = browser.evaluate(
            "(() => { const m = document.querySelector('.lane-svg [data-m]');"
            " const r = m.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        browser.page("Input.dispatchMouseEvent", type="mouseMoved", x=box[0], y=box[1])
        tip = browser.wait_for(
            "!document.getElementById('tip').hidden && document.getElementById('tip').innerText"
        )
        assert re.search(r"(session|supervisor)\.\w+", tip), tip

        # zoom: the button halves the range, the wheel on the axis narrows it, reset restores
        span = "(() => { const v = window.liveActorTimeline.view(); return v.b - v.a; })()"
        full = browser.evaluate(span)
        browser.evaluate("document.getElementById('zoom-in').click()")
        assert browser.evaluate(span) == pytest.approx(full / 2)
        axis = browser.evaluate(
            "(() => { const r = document.getElementById('axis').getBoundingClientRect();"
            " return [r.x + r.width / 3, r.y + r.height / 2]; })()"
        )
        browser.page("Input.dispatchMouseEvent", type="mouseWheel", x=axis[0], y=axis[1],
                     deltaX=0, deltaY=-120)
        browser.wait_for(f"{span} < {full / 2 * 0.9}")
        browser.evaluate("document.getElementById('zoom-reset').click()")
        assert browser.evaluate(span) == pytest.approx(full)

        shot = browser.screenshot()
        assert browser.problems() == []
        urls = browser.requested_urls()
        assert urls and all(u.startswith(("file:", "data:", "about:")) for u in urls), urls
    (tmp_path / "timeline.png").write_bytes(shot)
    width, height, pixel = cdp.png_pixels(shot)
    assert (width, height) == (1400, 900)
    colours = {pixel(x, y) for x in range(0, width, 7) for y in range(0, height, 7)}
    assert len(colours) > 20, "the screenshot is (nearly) blank"
    # the lanes' bar colour is on screen
    assert any(abs(c[0] - 0x4F) < 8 and abs(c[1] - 0x8F) < 8 and abs(c[2] - 0xD6) < 8
               for c in colours)


@needs_chromium
def test_chromium_handles_hundreds_of_sessions(tmp_path: Path) -> None:
    sessions = fleet(400, seed=5)
    page = write_page(tmp_path, sessions)
    with cdp.Browser() as browser:
        browser.open(page)
        assert browser.evaluate("document.querySelectorAll('.lane').length") == 400
        browser.wait_for("document.querySelector('.lane .lane-svg').childElementCount > 2")
        # only lanes near the viewport are drawn
        drawn = browser.evaluate(
            "[...document.querySelectorAll('.lane-svg')].filter(s => s.childElementCount).length"
        )
        assert 0 < drawn < 200
        browser.evaluate("document.querySelectorAll('.lane')[399].scrollIntoView()")
        browser.wait_for(
            "document.querySelectorAll('.lane-svg')[399].childElementCount > 0"
        )
        browser.evaluate(
            "(() => { const f = document.getElementById('lane-filter');"
            " f.value = 'sess-01'; f.dispatchEvent(new Event('input')); })()"
        )
        visible = browser.evaluate(
            "[...document.querySelectorAll('.lane')].filter(l => !l.hidden).length"
        )
        assert visible == sum("sess-01" in s.sid for s in sessions) == 10
        assert browser.problems() == []
