"""The interactive API documentation, Swagger UI at /docs and ReDoc at /redoc, served with their
own files from the `fastapi-offline` package (pinned): the pages load nothing from a CDN, so they
work on a machine without Internet access and leak no visit to a third party."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# The package ships Swagger UI's and ReDoc's distribution files in this directory.
FILES = Path(fastapi_offline.__file__).parent / "static"
ASSETS = "/docs/assets"


class _Assets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        # Kept between visits, checked against its ETag: the files change only with the package.
        response.headers["Cache-Control"] = "no-cache"
        return response


def install_docs(app: FastAPI, *, openapi_url: str, title: str) -> None:
    """Serve the documentation of the document at `openapi_url` on `app`."""
    app.mount(ASSETS, _Assets(directory=FILES), name="docs assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} · API docs",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            # No badge asking an online validator about the document.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} · API reference",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
