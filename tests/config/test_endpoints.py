"""build_endpoint / rest_base_url: URLs and headers for every backend and credential."""

from __future__ import annotations

import platform

import pytest

from live_actor import __version__
from live_actor._auth import ApiKey, BearerToken, EphemeralToken
from live_actor._config import LiveConfig
from live_actor._endpoints import Endpoint, build_endpoint, rest_base_url
from live_actor._errors import ConfigError

KEY = "AIzaSyD-SECRET-key-0123456789abcdef"
TOKEN = "auth_tokens/SECRET-ephemeral-0123"
BEARER = "ya29.SECRET-bearer-0123456789"

GEMINI_WS = "wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage"
AGENT = f"live_actor/{__version__}"


def gemini(**kwargs: object) -> LiveConfig:
    return LiveConfig(model="m", **kwargs)  # type: ignore[arg-type]


def vertex(**kwargs: object) -> LiveConfig:
    kwargs.setdefault("project_id", "proj")
    return LiveConfig(model="m", auth="vertex_ai", **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------- gemini


def test_gemini_api_key() -> None:
    endpoint = build_endpoint(gemini(), ApiKey(KEY))
    assert endpoint.url == f"{GEMINI_WS}.v1beta.GenerativeService.BidiGenerateContent"
    assert dict(endpoint.headers) == {
        "user-agent": AGENT,
        "x-goog-api-client": f"{AGENT} gl-python/{platform.python_version()}",
        "x-goog-api-key": KEY,
    }
    assert KEY not in endpoint.url
    assert endpoint.redacted_url == endpoint.url


def test_gemini_v1alpha_features_switch_version() -> None:
    config = gemini(proactivity=True)
    assert build_endpoint(config, ApiKey(KEY)).url == (
        f"{GEMINI_WS}.v1alpha.GenerativeService.BidiGenerateContent"
    )


def test_gemini_explicit_version() -> None:
    assert build_endpoint(gemini(api_version="v1"), ApiKey(KEY)).url == (
        f"{GEMINI_WS}.v1.GenerativeService.BidiGenerateContent"
    )


def test_ephemeral_token_uses_constrained_v1alpha_method() -> None:
    endpoint = build_endpoint(gemini(), EphemeralToken(TOKEN))
    assert endpoint.url == f"{GEMINI_WS}.v1alpha.GenerativeService.BidiGenerateContentConstrained"
    assert endpoint.headers["Authorization"] == f"Token {TOKEN}"
    assert "x-goog-api-key" not in endpoint.headers
    assert TOKEN not in endpoint.url
    # Explicit v1alpha is fine too.
    assert build_endpoint(gemini(api_version="v1alpha"), EphemeralToken(TOKEN)).url == endpoint.url


def test_ephemeral_token_with_other_explicit_version() -> None:
    with pytest.raises(ConfigError, match="set api_version='v1alpha' \\(or leave it unset\\)"):
        build_endpoint(gemini(api_version="v1beta"), EphemeralToken(TOKEN))


def test_gemini_with_bearer_token() -> None:
    endpoint = build_endpoint(gemini(), BearerToken(BEARER, quota_project="qp"))
    assert endpoint.url.endswith("v1beta.GenerativeService.BidiGenerateContent")
    assert endpoint.headers["Authorization"] == f"Bearer {BEARER}"
    assert endpoint.headers["x-goog-user-project"] == "qp"


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("ws://127.0.0.1:8765", "ws://127.0.0.1:8765/ws/"),
        ("ws://127.0.0.1:8765/", "ws://127.0.0.1:8765/ws/"),
        ("http://localhost:80", "ws://localhost:80/ws/"),
        ("https://proxy.example", "wss://proxy.example/ws/"),
        ("wss://proxy.example/prefix/", "wss://proxy.example/prefix/ws/"),
        ("HTTPS://proxy.example", "wss://proxy.example/ws/"),
    ],
)
def test_base_url_override(base_url: str, expected: str) -> None:
    endpoint = build_endpoint(gemini(base_url=base_url), ApiKey(KEY))
    assert endpoint.url == (
        expected + "google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
    )
    assert "//ws" not in endpoint.url


def test_base_url_query_is_kept_and_redacted() -> None:
    endpoint = build_endpoint(gemini(base_url="wss://gw.example/?tenant=abc"), ApiKey(KEY))
    assert endpoint.url.endswith("BidiGenerateContent?tenant=abc")
    assert endpoint.redacted_url.endswith("BidiGenerateContent?tenant=REDACTED")


def test_extra_headers_are_added() -> None:
    endpoint = build_endpoint(
        gemini(extra_headers={"x-proxy-auth": "p", "user-agent": "mine"}), ApiKey(KEY)
    )
    assert endpoint.headers["x-proxy-auth"] == "p"
    assert endpoint.headers["user-agent"] == "mine"
    assert endpoint.headers["x-goog-api-key"] == KEY


# --------------------------------------------------------------------- vertex


@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("us-central1", "us-central1-aiplatform.googleapis.com"),
        ("europe-west4", "europe-west4-aiplatform.googleapis.com"),
        ("global", "aiplatform.googleapis.com"),
        ("us", "aiplatform.us.rep.googleapis.com"),
        ("eu", "aiplatform.eu.rep.googleapis.com"),
    ],
)
def test_vertex_bearer(location: str, host: str) -> None:
    endpoint = build_endpoint(vertex(location=location), BearerToken(BEARER))
    assert endpoint.url == (
        f"wss://{host}/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent"
    )
    assert endpoint.headers["Authorization"] == f"Bearer {BEARER}"
    assert "x-goog-user-project" not in endpoint.headers
    assert "x-goog-api-key" not in endpoint.headers


def test_vertex_quota_project_and_version() -> None:
    endpoint = build_endpoint(vertex(api_version="v1"), BearerToken(BEARER, quota_project="qp"))
    assert ".aiplatform.v1.LlmBidiService/BidiGenerateContent" in endpoint.url
    assert endpoint.headers["x-goog-user-project"] == "qp"


def test_vertex_express_mode_api_key() -> None:
    config = LiveConfig(model="publishers/google/models/m", auth="vertex_ai")
    endpoint = build_endpoint(config, ApiKey(KEY))
    assert endpoint.url == (
        "wss://aiplatform.googleapis.com/ws/google.cloud.aiplatform.v1beta1"
        ".LlmBidiService/BidiGenerateContent"
    )
    assert endpoint.headers["x-goog-api-key"] == KEY
    assert "Authorization" not in endpoint.headers


def test_vertex_base_url_override() -> None:
    endpoint = build_endpoint(vertex(base_url="http://127.0.0.1:9000"), BearerToken(BEARER))
    assert endpoint.url == (
        "ws://127.0.0.1:9000/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent"
    )


def test_vertex_rejects_ephemeral_tokens() -> None:
    with pytest.raises(ConfigError, match="ephemeral tokens are a Gemini API feature"):
        build_endpoint(vertex(), EphemeralToken(TOKEN))


def test_unresolved_credentials_are_rejected() -> None:
    with pytest.raises(ConfigError, match="see resolve_credentials"):
        build_endpoint(gemini(), KEY)  # type: ignore[arg-type]


# --------------------------------------------------------------------- safety


@pytest.mark.parametrize(
    ("config", "credential", "secret"),
    [
        (gemini(), ApiKey(KEY), KEY),
        (gemini(), EphemeralToken(TOKEN), TOKEN),
        (vertex(), BearerToken(BEARER, quota_project="qp"), BEARER),
        (gemini(extra_headers={"x-proxy-auth": "SECRET-proxy"}), ApiKey(KEY), "SECRET-proxy"),
    ],
)
def test_endpoint_repr_hides_header_values(
    config: LiveConfig, credential: ApiKey | EphemeralToken | BearerToken, secret: str
) -> None:
    endpoint = build_endpoint(config, credential)
    for text in (repr(endpoint), str(endpoint)):
        assert secret not in text
        assert "SECRET" not in text
        assert "<redacted>" in text
        assert AGENT in text  # non-secret headers stay readable
    assert secret not in endpoint.redacted_url


def test_endpoint_repr_hides_url_userinfo() -> None:
    endpoint = build_endpoint(gemini(base_url="wss://u:SECRET-pw@gw.example"), ApiKey(KEY))
    assert "SECRET-pw" not in repr(endpoint)
    assert endpoint.redacted_url.startswith("wss://REDACTED@gw.example/ws/")
    assert "u:SECRET-pw@" in endpoint.url  # the real URL keeps it for dialling


def test_endpoint_headers_are_read_only() -> None:
    endpoint = build_endpoint(gemini(), ApiKey(KEY))
    with pytest.raises(TypeError):
        endpoint.headers["x"] = "y"  # type: ignore[index]
    assert isinstance(endpoint, Endpoint)


# ---------------------------------------------------------------------- rest


@pytest.mark.parametrize(
    ("config", "credential", "expected"),
    [
        (gemini(), None, "https://generativelanguage.googleapis.com"),
        (gemini(base_url="ws://127.0.0.1:8765/"), None, "http://127.0.0.1:8765"),
        (gemini(base_url="wss://gw.example/pre/"), None, "https://gw.example/pre"),
        (gemini(base_url="https://gw.example"), None, "https://gw.example"),
        (vertex(), None, "https://us-central1-aiplatform.googleapis.com"),
        (vertex(location="global"), None, "https://aiplatform.googleapis.com"),
        (vertex(), ApiKey(KEY), "https://aiplatform.googleapis.com"),
    ],
)
def test_rest_base_url(config: LiveConfig, credential: ApiKey | None, expected: str) -> None:
    assert rest_base_url(config, credential) == expected
