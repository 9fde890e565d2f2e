"""Options classes validate every field where it is declared, with one message shape."""

from __future__ import annotations

import re
import ssl
from typing import Any

import attrs
import pytest

from live_actor import ConfigError, RestartPolicy, SessionOptions, TransportOptions
from live_actor._validators import at_least, callable_or_none, instance_of, one_of, positive


@attrs.frozen(kw_only=True)
class Knobs:
    timeout: float = attrs.field(default=1.0, validator=positive())
    limit: float | None = attrs.field(default=None, validator=positive(optional=True))
    size: int = attrs.field(default=4, validator=at_least(2, integer=True, advice=" (bytes)"))
    margin: float | None = attrs.field(default=None, validator=at_least(0.5, optional=True))
    mode: str = attrs.field(default="a", validator=one_of("a", "b", "c"))
    flag: bool = attrs.field(default=False, validator=instance_of(bool, "a bool"))
    hook: Any = attrs.field(default=None, validator=callable_or_none)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timeout": 0}, "Knobs.timeout must be a positive number, got 0"),
        ({"timeout": -1.5}, "Knobs.timeout must be a positive number, got -1.5"),
        ({"timeout": True}, "Knobs.timeout must be a positive number, got True"),
        ({"timeout": "3"}, "Knobs.timeout must be a positive number, got '3'"),
        ({"timeout": None}, "Knobs.timeout must be a positive number, got None"),
        ({"limit": 0.0}, "Knobs.limit must be a positive number or None, got 0.0"),
        ({"size": 1}, "Knobs.size must be an int >= 2 (bytes), got 1"),
        ({"size": 2.5}, "Knobs.size must be an int >= 2 (bytes), got 2.5"),
        ({"size": False}, "Knobs.size must be an int >= 2 (bytes), got False"),
        ({"margin": 0.25}, "Knobs.margin must be a number >= 0.5 or None, got 0.25"),
        ({"mode": "d"}, "Knobs.mode must be 'a', 'b' or 'c', got 'd'"),
        ({"flag": 1}, "Knobs.flag must be a bool, got 1"),
        ({"hook": 42}, "Knobs.hook must be callable or None, got 42"),
    ],
)
def test_a_bad_value_names_the_class_the_field_and_what_is_allowed(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Knobs(**changes)
    assert str(caught.value) == message


def test_good_values_pass_and_the_boundaries_are_included() -> None:
    Knobs(timeout=0.001, limit=3, size=2, margin=None, mode="c", flag=True, hook=print)
    Knobs(margin=0.5, size=2**40)


def test_one_of_does_not_confuse_equal_values_of_another_type() -> None:
    @attrs.frozen
    class Switch:
        value: object = attrs.field(validator=one_of(True, None))

    Switch(True)
    Switch(None)
    with pytest.raises(ConfigError, match="must be True or None, got 1"):
        Switch(1)


def test_a_changed_value_is_validated_again() -> None:
    with pytest.raises(ConfigError, match=r"Knobs\.size"):
        attrs.evolve(Knobs(), size=0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"setup_timeout": 0}, "SessionOptions.setup_timeout must be a number >= 0.001, got 0"),
        ({"command_buffer": 0}, "SessionOptions.command_buffer must be an int >= 1, got 0"),
        ({"event_buffer": 1.5}, "SessionOptions.event_buffer must be an int >= 0, got 1.5"),
        ({"callback_buffer": -1}, "SessionOptions.callback_buffer must be an int >= 0"),
        ({"media_buffer_seconds": -0.1}, "SessionOptions.media_buffer_seconds must be a number"),
        ({"media_policy": "keep"}, "SessionOptions.media_policy must be 'replay' or 'drop'"),
        ({"go_away_margin": -1}, "SessionOptions.go_away_margin must be a number >= 0"),
        ({"shutdown_timeout": "5"}, "SessionOptions.shutdown_timeout must be a number >= 0"),
        ({"close_callback_timeout": 0}, "SessionOptions.close_callback_timeout must be a"),
        ({"tool_timeout": 0}, "SessionOptions.tool_timeout must be a number >= 0.001 or None"),
        (
            {"cut_turn_policy": "again"},
            "SessionOptions.cut_turn_policy must be 'repeat', 'continue' or 'none', got 'again'",
        ),
        ({"history": [1]}, "SessionOptions.history must be callable or None, got [1]"),
        ({"connector": "ws"}, "SessionOptions.connector must be callable or None"),
        ({"transport": {}}, "SessionOptions.transport must be a TransportOptions, got {}"),
    ],
)
def test_session_options_refuse_bad_values(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match="^" + _escaped(message)):
        SessionOptions(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"max_message_size": 1024 * 1024},
            "TransportOptions.max_message_size must be an int >= 16777216 (16 MiB): Live "
            "server messages exceed the usual 1 MiB default, got 1048576",
        ),
        ({"connect_timeout": 0}, "TransportOptions.connect_timeout must be a positive number"),
        ({"ping_interval": -1}, "TransportOptions.ping_interval must be a positive number or"),
        ({"message_queue_size": 0}, "TransportOptions.message_queue_size must be an int >= 1"),
        ({"write_buffer_size": 512}, "TransportOptions.write_buffer_size must be an int >= 1024"),
        ({"compression": "yes"}, "TransportOptions.compression must be a bool, got 'yes'"),
        ({"trio_backend": "h11"}, "TransportOptions.trio_backend must be None, 'trio-websocket'"),
        ({"ssl_context": "ca.pem"}, "TransportOptions.ssl_context must be an ssl.SSLContext"),
    ],
)
def test_transport_options_refuse_bad_values(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match="^" + _escaped(message)):
        TransportOptions(**changes)


def test_transport_options_take_an_ssl_context() -> None:
    context = ssl.create_default_context()
    assert TransportOptions(ssl_context=context).ssl_context is context


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"restart": "sometimes"}, "RestartPolicy.restart must be 'permanent', 'transient' or"),
        ({"max_restarts": -1}, "RestartPolicy.max_restarts must be an int >= 0, got -1"),
        ({"period": 0}, "RestartPolicy.period must be a positive number, got 0"),
        ({"backoff_base": -1}, "RestartPolicy.backoff_base must be a number >= 0"),
        ({"backoff_max": -1}, "RestartPolicy.backoff_max must be a number >= 0"),
        ({"reset_after": -1}, "RestartPolicy.reset_after must be a number >= 0"),
        ({"random": 0.5}, "RestartPolicy.random must be callable or None, got 0.5"),
    ],
)
def test_restart_policy_refuses_bad_values(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match="^" + _escaped(message)):
        RestartPolicy(**changes)


def _escaped(text: str) -> str:
    return re.escape(text)
