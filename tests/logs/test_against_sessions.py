"""Issue 12, "Done when": the JSON log of a chaos run with many real sessions, read back by
``summarize`` and ``live-actor logs``, reports per session what the handles reported.

Two views are checked for every session: the preferred figures (the session's own
totals in ``live_actor.session.closed``), and the figures derived from the stream of
events alone (``reconnecting``, ``resumed``, ``turn_complete``), which is what a log
cut before the close would show: each event must carry what it is documented to.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import anyio
import pytest

import live_actor
from live_actor.cli import main
from live_actor.logs import read_events, summarize

from . import cdp
from .chaos import run_chaos

SESSIONS = 20


Chaos = tuple[Path, list[live_actor.SessionHandle]]


@pytest.fixture(scope="module", params=["asyncio", "trio"])
def chaos(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Chaos:
    """One chaos run per backend, shared by the tests of this module."""
    log = tmp_path_factory.mktemp("chaos") / "chaos.jsonl"
    handles = anyio.run(lambda: run_chaos(log, sessions=SESSIONS), backend=request.param)
    return log, handles


def test_summaries_match_the_handles(chaos: Chaos) -> None:
    log, handles = chaos
    sessions = summarize(read_events(str(log)))
    assert set(sessions) == {h.session_id for h in handles}
    restarts = replayed = 0
    for handle in handles:
        got = sessions[handle.session_id]
        expected = (handle.restarts, handle.ledger.replayed, handle.usage.total_token_count)
        # the session's totals, from its closed event
        assert (got.restarts, got.replayed, got.tokens) == expected, handle.session_id
        assert got.connections == handle.connection_number
        assert got.turns == handle.usage.turns
        assert got.final_status == "closed"
        # the same figures from the events of the stream alone
        stream = (sum(got.reconnects_by_kind.values()), got.replayed_seen, got.tokens_seen)
        assert stream == expected, handle.session_id
        assert got.connects == handle.connection_number
        # usage.turns counts turns that reported usage; turn_complete events also
        # count turns cut by a fault before any usage came (their tokens are null)
        assert got.turns_seen >= handle.usage.turns
        restarts += handle.restarts
        replayed += handle.ledger.replayed
    assert restarts > SESSIONS // 2, "the fault plan reconnected sessions"
    assert replayed > 0, "some reconnects replayed messages"


def test_the_cli_reports_the_same(
    chaos: Chaos, capsys: pytest.CaptureFixture[str]
) -> None:
    log, handles = chaos
    assert main(["logs", str(log), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = {row["session_id"]: row for row in report["sessions"]}
    assert report["stats"]["malformed"] == 0
    for handle in handles:
        row = rows[handle.session_id]
        assert row["restarts"] == handle.restarts
        assert sum(row["restarts_by_cause"].values()) == handle.restarts
        assert row["replayed"] == handle.ledger.replayed
        assert row["tokens"] == handle.usage.total_token_count
        assert row["connections"] == handle.connection_number
    assert main(["logs", str(log)]) == 0  # the table, for a human
    table = capsys.readouterr().out
    assert all(handle.session_id in table for handle in handles)


if not cdp.available() and os.environ.get("LIVE_ACTOR_REQUIRE_BROWSER"):
    raise RuntimeError(f"LIVE_ACTOR_REQUIRE_BROWSER is set but {cdp.CHROMIUM} is missing")


@pytest.mark.skipif(not cdp.available(), reason=f"headless browser missing: install {cdp.PACKAGE}")
def test_the_page_has_one_lane_per_session(
    chaos: Chaos, tmp_path: Path
) -> None:
    log, handles = chaos
    page = tmp_path / "chaos.html"
    assert main(["logs", str(log), "--html", str(page)]) == 0
    with cdp.Browser() as browser:
        browser.open(page)
        lanes = browser.evaluate(
            "[...document.querySelectorAll('.lane')].map(l => l.dataset.session)"
        )
        assert sorted(lanes) == sorted(h.session_id for h in handles)
        browser.wait_for("document.querySelector('.lane .lane-svg').childElementCount > 2")
        rows = browser.evaluate("document.querySelectorAll('#summary tbody tr').length")
        assert rows == SESSIONS
        assert browser.problems() == []
