"""Pure helpers of the seam: options validation, URL redaction, header checks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from live_actor._errors import ConfigError
from live_actor._transport import TransportClosed, TransportConnectError, TransportOptions
from live_actor._transport._base import (
    check_close_code,
    check_headers,
    clip_reason,
    parse_ws_url,
    redact_url,
    refused_message,
    secrets_of,
)

SECRET = "AIzaSy-very-secret"


def test_default_options() -> None:
    options = TransportOptions()
    assert options.max_message_size == 32 * 1024 * 1024
    assert options.message_queue_size == 1024
    assert options.compression is False
    assert (options.ping_interval, options.ping_timeout) == (30.0, 60.0)
    assert options.write_buffer_size == 256 * 1024
    assert options.stall_timeout == 20.0
    assert options.ssl_context is None and options.trio_backend is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_message_size": 1024 * 1024},
        {"max_message_size": 16.5 * 1024 * 1024},
        {"connect_timeout": 0},
        {"close_timeout": -1},
        {"ping_interval": 0},
        {"ping_timeout": float("nan")},
        {"message_queue_size": 0},
        {"compression": "yes"},
        {"write_buffer_size": 100},
        {"write_buffer_size": 1.5e6},
        {"stall_timeout": 0},
        {"ssl_context": "/etc/ssl/ca.pem"},
        {"trio_backend": "wsproto"},
    ],
)
def test_invalid_options(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="TransportOptions"):
        TransportOptions(**kwargs)  # type: ignore[arg-type]


def test_keepalive_can_be_disabled() -> None:
    options = TransportOptions(ping_interval=None, ping_timeout=None)
    assert options.ping_interval is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"wss://generativelanguage.googleapis.com/ws/x.BidiGenerateContent?key={SECRET}",
            "wss://generativelanguage.googleapis.com/ws/x.BidiGenerateContent?key=REDACTED",
        ),
        (
            f"wss://h/ws/x.BidiGenerateContentConstrained?access_token=auth_tokens/{SECRET}&alt=1",
            "wss://h/ws/x.BidiGenerateContentConstrained?access_token=REDACTED&alt=REDACTED",
        ),
        (f"wss://user:{SECRET}@h/p", "wss://REDACTED@h/p"),
        (f"wss://h/p?{SECRET}", "wss://h/p?REDACTED"),
        (f"wss://h/p#{SECRET}", "wss://h/p#REDACTED"),
        ("ws://127.0.0.1:8080/echo", "ws://127.0.0.1:8080/echo"),
        (f"wss://h/p?KEY={SECRET}", "wss://h/p?KEY=REDACTED"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected
    assert SECRET not in redact_url(url)


def test_redact_url_never_raises() -> None:
    assert SECRET not in redact_url(f"ws://[::1/?key={SECRET}")


def test_parse_ws_url() -> None:
    target = parse_ws_url("wss://example.com/ws/path?key=k")
    assert (target.secure, target.host, target.port) == (True, "example.com", 443)
    assert target.resource == "/ws/path?key=k"
    assert target.host_header == "example.com"
    assert parse_ws_url("ws://[::1]:9000").host_header == "[::1]:9000"
    assert parse_ws_url("ws://[::1]:9000").resource == "/"
    for bad in (f"https://h/?key={SECRET}", f"ws:///nohost?key={SECRET}", "ws://h:99999/"):
        with pytest.raises(ValueError) as info:
            parse_ws_url(bad)
        assert SECRET not in str(info.value)


def test_check_headers_never_quotes_values() -> None:
    assert check_headers({"x-goog-api-key": SECRET}) == [("x-goog-api-key", SECRET)]
    with pytest.raises(ValueError) as info:
        check_headers({"x-goog-api-key": SECRET + "\n"})
    assert SECRET not in str(info.value)
    assert "x-goog-api-key" in str(info.value)
    with pytest.raises(ValueError):
        check_headers({"bad header": "v"})


def test_secrets_and_refused_message() -> None:
    headers = [("Authorization", f"Bearer {SECRET}"), ("x-goog-api-key", "k" * 10)]
    secrets = secrets_of(headers, "wss://h/p?access_token=tok-abcdef")
    assert SECRET in secrets and "k" * 10 in secrets and "tok-abcdef" in secrets
    body = f"denied for token {SECRET} and tok-abcdef".encode()
    message = refused_message(401, "wss://h/p?access_token=tok-abcdef", body, secrets)
    assert "HTTP 401" in message and "denied" in message
    assert SECRET not in message and "tok-abcdef" not in message


def test_close_codes() -> None:
    for ok in (1000, 1001, 1008, 1011, 3000, 4999):
        check_close_code(ok)
    for bad in (999, 1004, 1005, 1006, 1015, 2000, 5000):
        with pytest.raises(ValueError):
            check_close_code(bad)
    with pytest.raises(TypeError):
        check_close_code(True)


def test_clip_reason() -> None:
    assert clip_reason("short") == "short"
    clipped = clip_reason("€" * 100)
    assert len(clipped.encode()) <= 123 and set(clipped) == {"€"}


def test_exception_texts() -> None:
    closed = TransportClosed(1011, "Internal error occurred.")
    assert str(closed) == "WebSocket closed by the peer with code 1011: Internal error occurred."
    assert "locally" in str(TransportClosed(1000, local=True))
    assert str(TransportClosed(1006)) == "WebSocket closed by the peer with code 1006"
    err = TransportConnectError("refused", status=403)
    assert (str(err), err.status, err.message, err.permanent) == ("refused", 403, "refused", False)
    assert "403" in repr(err)
    assert TransportConnectError("bad certificate", permanent=True).permanent


@given(
    secret=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="&#=%+"),
        min_size=4,
    ),
    name=st.sampled_from(["key", "access_token", "KEY", "token"]),
    before=st.booleans(),
)
def test_redact_url_hides_any_credential_value(secret: str, name: str, before: bool) -> None:
    other = "alt=json"
    query = f"{name}={secret}&{other}" if before else f"{other}&{name}={secret}"
    shown = redact_url(f"wss://host/ws/method?{query}")
    expected = f"{name}=REDACTED&alt=REDACTED" if before else f"alt=REDACTED&{name}=REDACTED"
    assert shown == f"wss://host/ws/method?{expected}"
