"""The secret policy (live_actor._redact): every helper hides credentials, whatever the text."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from live_actor._redact import (
    REDACTED,
    Dial,
    RedactingLogger,
    body_excerpt,
    redact_text,
    scrub,
)

KEY = "AIzaSyTEST-redact-key-0123456789abcdef"
TOKEN = "ya29.a0-secret-oauth-token_xyz"


def test_redact_text_hides_known_secrets_and_credential_shapes() -> None:
    text = (
        f"> GET /ws/Bidi?key={KEY}&alt=json HTTP/1.1\n"
        f"> x-goog-api-key: {KEY}\n"
        f"> Authorization: Bearer {TOKEN}\n"
        "> Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==\n"
        "> custom: opaque-value-we-were-told\n"
    )
    shown = redact_text(text, ["opaque-value-we-were-told"])
    for secret in (KEY, TOKEN, "dXNlcjpwYXNzd29yZA==", "opaque-value-we-were-told"):
        assert secret not in shown
    assert "x-goog-api-key: REDACTED" in shown
    assert "?key=REDACTED&alt=REDACTED" in shown
    # Shapes alone are enough: a key nobody told us about is hidden too.
    assert KEY not in redact_text(f"echo: {KEY}")
    assert TOKEN not in redact_text(f"token {TOKEN} expired")


def test_scrub_hides_url_encoded_forms_and_a_secret_cut_in_half() -> None:
    secret = "s3cr3t/with+special=chars"
    assert "s3cr3t" not in scrub("q=s3cr3t%2Fwith%2Bspecial%3Dchars", [secret])
    # A text cut in the middle of a secret: the surviving half is hidden.
    cut = f"the key is {secret[:12]}"
    assert secret[:12] in scrub(cut, [secret])
    assert secret[:12] not in scrub(cut, [secret], truncated=True)


def test_body_excerpt_scrubs_before_it_cuts() -> None:
    # The key straddles the 200-character display limit: cutting first would
    # leave its first half; scrubbing first hides it whole.
    body = ("x" * 190 + f" {KEY} trailing").encode()
    shown = body_excerpt(body, [KEY], limit=200)
    assert KEY[:8] not in shown
    assert shown.endswith("...")
    # A body only partly read may end inside a secret.
    assert KEY[:10] not in body_excerpt(f"denied: {KEY[:10]}".encode(), [KEY], truncated=True)


def test_dial_repr_hides_url_query_and_header_values() -> None:
    dial = Dial(f"wss://h/ws/Bidi?key={KEY}", {"x-goog-api-key": KEY, "Authorization": TOKEN})
    for text in (repr(dial), str(dial), repr(dial.target)):
        assert KEY not in text and TOKEN not in text
    assert "x-goog-api-key" in repr(dial)
    assert dial.url.endswith(KEY) and (("x-goog-api-key", KEY) in dial.headers)
    assert KEY in dial.secrets() and TOKEN in dial.secrets()


def test_redacting_logger_formats_then_redacts(caplog: pytest.LogCaptureFixture) -> None:
    logger = RedactingLogger(logging.getLogger("redact-test"), [KEY])
    with caplog.at_level(logging.DEBUG, logger="redact-test"):
        logger.debug("> %s: %s", "x-goog-api-key", KEY)
        logger.debug("> GET %s HTTP/1.1", f"/ws?key={KEY}")
        try:
            raise ValueError(f"boom {KEY}")
        except ValueError:
            logger.error("failed", exc_info=True)
        logger.info("no args %s")  # a lone % is not a format error
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert KEY not in text
    assert all(r.exc_info is None for r in caplog.records)  # rendered, redacted, inlined
    assert "ValueError: boom REDACTED" in text
    assert text.count(REDACTED) >= 3


@given(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=8, max_size=40)
)
def test_a_known_secret_never_survives(secret: str) -> None:
    for text in (f"a {secret} b", f"{secret}{secret}", f"k={secret}"):
        assert secret not in redact_text(text, [secret])
