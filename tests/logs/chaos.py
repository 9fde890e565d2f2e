"""A chaos run whose JSON log is the input of `live-actor logs`: real sessions against the
fake server under a seeded fault plan (drops, 1011s, goAways), each doing a few turns.

Used by ``test_against_sessions.py`` and by ``docs/make_timeline_png.py --chaos`` (the
screenshot in the docs).
"""

from __future__ import annotations

import random
from pathlib import Path

import anyio

import live_actor
import live_actor.logs
from live_actor.testing import FakeLiveServer, FaultPlan

MODEL = "gemini-live-2.5-flash-preview"
WEATHER_TOOL = {
    "function_declarations": [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}},
        }
    ]
}


def fault_plan(seed: int) -> FaultPlan:
    return FaultPlan(
        seed=seed,
        drop_rate=0.06,
        error_1011_rate=0.05,
        go_away_rate=0.06,
        go_away_time_left=(0.1, 0.4),
        grace_messages=1,
    )


async def _drive(handle: live_actor.SessionHandle, number: int, turns: int, seed: int) -> None:
    """``turns`` questions, one at a time, a seeded pause after each (the user thinks);
    every third asks for a tool."""
    pauses = random.Random(f"{seed}:{number}")
    await handle.connect()
    for turn in range(turns):
        question = f"call get_weather city=C{number}" if turn % 3 == 2 else f"s{number} q{turn}"
        await handle.send_client_content(question)
        await handle.receive_turn()  # a turn cut by a fault ends early: go on
        await anyio.sleep(pauses.uniform(0.02, 0.2))


async def _finish(handle: live_actor.SessionHandle, number: int) -> None:
    """One last question answered on a quiet connection, so no turn is left in flight."""
    await handle.wait_ready()
    marker = f"s{number} done"
    await handle.send_client_content(marker)
    while marker not in (await handle.receive_turn()).text:
        pass


async def run_chaos(
    log: Path, *, sessions: int = 20, turns: int = 6, seed: int = 12
) -> list[live_actor.SessionHandle]:
    """Run the sessions with their events written to ``log`` (JSON lines); return the
    closed handles, whose counters are what the log must report."""
    route = live_actor.logs.configure_json(log, level="info")
    server = FakeLiveServer(chunk_delay=0, fault_plan=fault_plan(seed), close_timeout=0.3).start()
    config = live_actor.LiveConfig(
        model=MODEL, generation_config={"response_modalities": ["TEXT"]}, tools=[WEATHER_TOOL]
    )
    policy = live_actor.RestartPolicy(max_restarts=1000, backoff_base=0.01, backoff_max=0.1)
    try:
        async with live_actor.Supervisor(policy=policy) as sup:
            handles = [
                await sup.start_session(
                    config,
                    api_key="chaos-key",
                    base_url=server.url,
                    on_tool_call=lambda call: {"temp_c": 21},
                )
                for _ in range(sessions)
            ]
            with anyio.fail_after(90):
                async with anyio.create_task_group() as tg:
                    for number, handle in enumerate(handles):
                        tg.start_soon(_drive, handle, number, turns, seed)
                server.set_fault_plan(None)
                await anyio.sleep(0.5)  # longer than any goAway timeLeft: rotations done
                async with anyio.create_task_group() as tg:
                    for number, handle in enumerate(handles):
                        tg.start_soon(_finish, handle, number)
        assert server.faults, "the plan injected faults"
        return handles
    finally:
        server.stop()
        route.close()
