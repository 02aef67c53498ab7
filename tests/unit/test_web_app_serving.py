"""How embedded mode serves the web app's build: pages, assets, security headers, and the API
document the app's client is generated from."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from eccs.embedded.front import Front
from eccs.embedded.webapp import security_headers
from eccs.services.openapi import embedded_openapi

REPOSITORY = Path(__file__).resolve().parents[2]
HEADERS_CONF = REPOSITORY / "frontend" / "nginx" / "security-headers.conf"
INDEX = "<!doctype html><title>ECCS</title><div id=root></div>"


async def ready() -> dict[str, Any]:
    return {"status": "ready", "mode": "embedded", "parts": {}}


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """A production build laid out as Vite writes it, next to the nginx include file."""
    dist = tmp_path / "frontend" / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "index-3f2a.js").write_text("console.log('app')")
    (tmp_path / "frontend" / "nginx").mkdir()
    shutil.copy(HEADERS_CONF, tmp_path / "frontend" / "nginx" / "security-headers.conf")
    return dist


@pytest.fixture
async def client(build: Path) -> httpx.AsyncClient:
    front = Front(ready, build)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=front), base_url="http://localhost")


def test_the_security_headers_are_read_from_the_nginx_include() -> None:
    headers = security_headers(HEADERS_CONF)
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"


async def test_a_page_of_the_app_is_index_html_with_the_headers_and_never_cached(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/", "/emails", "/emails/8d1c2b9e", "/dev/inbox?q=x"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")


async def test_hashed_assets_are_cached_and_a_missing_file_is_404(
    client: httpx.AsyncClient,
) -> None:
    asset = await client.get("/assets/index-3f2a.js")
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert (await client.get("/assets/index-gone.js")).status_code == 404
    assert (await client.get("/favicon-gone.svg")).status_code == 404


async def test_health_and_the_api_are_not_pages_of_the_app(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    assert health.json()["mode"] == "embedded"
    starting = await client.get("/api/emails")
    assert starting.status_code == 503
    assert starting.json()["error"]["code"] == "starting"


def test_the_api_document_needs_no_running_service() -> None:
    spec = embedded_openapi()
    for path in ("/api/auth/login", "/api/emails/send", "/api/admin/dlq/replay", "/api/dev/inbox"):
        assert path in spec["paths"], path
    assert "SendRequest" in spec["components"]["schemas"]
