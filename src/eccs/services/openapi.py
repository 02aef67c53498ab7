"""The API document of embedded mode, made without starting anything.

The web app's client is generated from it (`make api-client`), so it must be the same document
`GET /openapi.json` serves: the services are built (not started) with a throw-away environment
and their documents merged the way the front merges them.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from eccs.embedded.front import merge_openapi


def embedded_openapi() -> dict[str, Any]:
    from eccs.devmail import build as build_mail_catcher
    from eccs.identity.tokens import generate_ed25519_pem
    from eccs.services import auth, email

    # Each build sets up tracing; only the first may, and the others' complaint means nothing here.
    logging.getLogger("opentelemetry.trace").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="eccs-openapi-") as scratch:
        key = Path(scratch) / "jwt.pem"
        key.write_text(generate_ed25519_pem())
        # Nothing is contacted: building an application only reads its settings.
        environ = {
            "DATABASE_URL": "postgresql://eccs@localhost/eccs",
            "KAFKA_BOOTSTRAP_SERVERS": "localhost:9092",
            "SMTP_HOST": "localhost",
            "AUTH_SERVICE_URL": "http://localhost:8001",
            "JWT_PRIVATE_KEY_FILE": str(key),
            "API_KEY_SECRET": "not-a-real-secret-only-to-build-the-document",
            "ECCS_PUBLIC_URL": "http://localhost:8080",
            "ECCS_DATA_DIR": scratch,
        }
        documents = {
            "auth": auth.build(auth.AuthConfig.from_environ(environ)).app.openapi(),
            "email": email.build(email.EmailConfig.from_environ(environ)).app.openapi(),
            "mail catcher": build_mail_catcher(environ).openapi(),
        }
    return merge_openapi(documents)
