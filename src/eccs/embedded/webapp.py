"""The web app's production build, served by the front of embedded mode at `/`.

It behaves as the web app's nginx does in distributed mode (frontend/nginx/nginx.conf): any path
that is not a file is a page of the app and gets index.html, which is never cached; the hashed
files under /assets are cached for a year; every answer carries the security headers of
frontend/nginx/security-headers.conf, read from that file so that both modes send the same ones.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

HEADER_LINE = re.compile(r'^\s*add_header\s+(\S+)\s+"([^"]*)"\s+always;\s*$')
IMMUTABLE = "public, max-age=31536000, immutable"


def security_headers(conf: Path) -> dict[str, str]:
    """The `add_header Name "value" always;` lines of an nginx include file."""
    if not conf.is_file():
        return {}
    lines = conf.read_text().splitlines()
    return {m[1]: m[2] for line in lines if (m := HEADER_LINE.match(line))}


class WebApp(StaticFiles):
    def __init__(self, build: Path, headers: dict[str, str]) -> None:
        super().__init__(directory=build, html=True)
        self._headers = headers

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            # /emails/42 is a page the app's router draws; /assets/gone.js is a missing file.
            if exc.status_code != 404 or PurePosixPath(path).suffix:
                raise
            response = await super().get_response("index.html", scope)
        response.headers.update(self._headers)
        cached = path.startswith("assets/") and response.status_code == 200
        response.headers["Cache-Control"] = IMMUTABLE if cached else "no-cache"
        return response
