"""What embedded mode reads from the environment for itself, and which parts it does not start
because the environment names a real one."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import Field

from eccs.platform.settings import Fragment

# Which variables replace which embedded part with a real one.
EXTERNAL_VARIABLES = {
    # As for the other commands (see `eccs.cli.database_settings`).
    "PostgreSQL": ("DATABASE_URL", "POSTGRES_HOST", "POSTGRES_DB", "POSTGRES_USER"),
    "Kafka": ("KAFKA_BOOTSTRAP_SERVERS",),
    "SMTP": ("SMTP_HOST",),
    "audit trail": ("MONGODB_URL",),
}


class EmbeddedSettings(Fragment):
    eccs_data_dir: Path = Path(".eccs")
    eccs_http_port: int = Field(default=8080, ge=0, le=65535)
    # Host names the front answers for, besides localhost, 127.0.0.1 and [::1]; comma-separated.
    eccs_allowed_hosts: str = ""

    def allowed_hosts(self) -> list[str]:
        return [name.strip() for name in self.eccs_allowed_hosts.split(",") if name.strip()]


def external_parts(environ: Mapping[str, str]) -> dict[str, str]:
    """The parts the environment replaces with real ones, and the variable that does it."""
    found = {}
    for part, variables in EXTERNAL_VARIABLES.items():
        for variable in variables:
            if environ.get(variable, "").strip() or environ.get(f"{variable}_FILE", "").strip():
                found[part] = variable
                break
    return found


def service_environ(
    user: Mapping[str, str],
    started: Mapping[str, str],
    data_dir: Path,
    secrets: Mapping[str, Path],
    local_url: str,
    external: Mapping[str, str],
) -> dict[str, str]:
    """The services' environment: the user's, pointed at the parts embedded mode `started`,
    with embedded defaults where the user set nothing. `secrets` are files in the data dir,
    made on the first start, for the secret variables the user did not set (JWT_PRIVATE_KEY,
    API_KEY_SECRET)."""
    environ = {**user, **started, "ECCS_DATA_DIR": str(data_dir), "AUTH_SERVICE_URL": local_url}
    for variable, path in secrets.items():
        if not (environ.get(variable) or environ.get(f"{variable}_FILE")):
            environ[f"{variable}_FILE"] = str(path)
    # The links in account emails lead to this front, as this machine reaches it.
    environ.setdefault("ECCS_PUBLIC_URL", local_url)
    if "SMTP" not in external:
        for variable in ("SMTP_USER", "SMTP_PASS", "SMTP_PASS_FILE"):
            environ.pop(variable, None)  # the mail catcher offers no authentication
        environ.setdefault("SMTP_TIMEOUT_SECONDS", "10")
    if "Kafka" not in external:
        # tansu assigns a new group's partitions after about half of this: ~1.5 s, not 5.
        environ.setdefault("KAFKA_SESSION_TIMEOUT_MS", "3000")
    smtp_timeout = float(environ.get("SMTP_TIMEOUT_SECONDS", "30"))
    environ.setdefault("EMAIL_VISIBILITY_TIMEOUT_SECONDS", str(max(15.0, smtp_timeout + 5)))
    environ.setdefault("LOG_FORMAT", "console")
    # One-click unsubscribe links point at the front.
    environ.setdefault("ECCS_PUBLIC_URL", local_url)
    return environ
