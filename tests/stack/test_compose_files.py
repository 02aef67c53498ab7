"""The compose files, read by a real Compose implementation's loader (compose-go, the library of
Docker Compose, built by scripts/containers/go-tool.sh): schema, interpolation, merging of the
files in order and the cross-references must all pass, and the result must say what the
deployment promises."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.stack.conftest import IN_CI
from tests.stack.stack import REPO, SCRIPTS

FILES = {
    "production": ["compose.yaml"],
    "trial": ["compose.yaml", "compose.catcher.yaml"],
    "trial here": ["compose.yaml", "compose.catcher.yaml", "compose.local.yaml"],
}
ONE_SHOTS = {"migrate", "gateway-cert"}
SECRET_FILES = (
    "api_key_secret",
    "postgres_password",
    "smtp_password",
    "alert_relay_token",
    "alert_account_password",
    "backup_key",
)
# The observability parts' own pages, published for the operator beside the gateway.
PAGES = {
    "prometheus": 9090,
    "alertmanager": 9093,
    "jaeger": 16686,
    "zipkin": 9411,
    "victorialogs": 9428,
}


@pytest.fixture(scope="module")
def compose_check() -> str:
    result = subprocess.run(
        [str(SCRIPTS / "go-tool.sh"), "compose-check"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        why = f"compose-check could not be built (needs Go): {result.stderr[-500:]}"
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    return result.stdout.strip().splitlines()[-1]


def load(compose_check: str, files: list[str], secrets_dir: Path, **env: str) -> dict[str, Any]:
    for name in (*SECRET_FILES, "jwt_private_key.pem"):
        (secrets_dir / name).touch()
    # Only what a user's shell would have: not this machine's stack settings.
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ECCS_", "IMAGE_"))}
    result = subprocess.run(
        [compose_check, *(str(REPO / name) for name in files)],
        env={**clean, "ECCS_SECRETS_DIR": str(secrets_dir), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    project: dict[str, Any] = json.loads(result.stdout)
    return project


@pytest.mark.parametrize("setup", FILES)
def test_the_files_load_and_validate(compose_check: str, setup: str, tmp_path: Path) -> None:
    project = load(compose_check, FILES[setup], tmp_path)
    assert project["name"] == "eccs"


def test_a_key_compose_does_not_know_is_refused(compose_check: str, tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    text = (REPO / "compose.yaml").read_text().replace("  web:\n", "  web:\n    restrat: always\n")
    broken.write_text(text)
    result = subprocess.run(
        [compose_check, str(broken)],
        env={**os.environ, "ECCS_SECRETS_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "restrat" in result.stderr


def test_every_service_is_healthchecked_restarted_and_stops_fast(
    compose_check: str, tmp_path: Path
) -> None:
    services = load(compose_check, FILES["trial here"], tmp_path)["services"]
    for name, service in services.items():
        assert "container_name" not in service, name
        assert service.get("init") is True or name == "gateway-cert", name
        if name in ONE_SHOTS:
            continue
        assert service["healthcheck"]["test"], name
        assert service["restart"] == "unless-stopped", name
    assert services["notification"]["deploy"]["replicas"] == 2


def test_only_the_gateway_and_the_operators_pages_publish_ports_on_localhost_by_default(
    compose_check: str, tmp_path: Path
) -> None:
    services = load(compose_check, FILES["trial"], tmp_path)["services"]
    published = {
        name: {(port["host_ip"], port["published"], port["target"]) for port in service["ports"]}
        for name, service in services.items()
        if service.get("ports")
    }
    assert published == {
        "gateway": {("127.0.0.1", "8443", 8443), ("127.0.0.1", "8000", 8000)},
        **{name: {("127.0.0.1", str(port), port)} for name, port in PAGES.items()},
    }
    moved = load(compose_check, FILES["trial"], tmp_path, ECCS_STACK_HTTPS_PORT="9443")
    assert "9443" in {port["published"] for port in moved["services"]["gateway"]["ports"]}


def test_secrets_are_files_and_never_in_the_environment(compose_check: str, tmp_path: Path) -> None:
    project = load(compose_check, FILES["production"], tmp_path)
    assert {name: Path(secret["file"]).name for name, secret in project["secrets"].items()} == {
        "jwt_private_key": "jwt_private_key.pem",
        **{name: name for name in SECRET_FILES},
    }
    for name, service in project["services"].items():
        for variable in service.get("environment") or {}:
            assert not variable.endswith(("PASSWORD", "PASS", "PRIVATE_KEY", "SECRET")), (
                name,
                variable,
            )


def test_the_local_stand_ins_change_images_only(compose_check: str, tmp_path: Path) -> None:
    """compose.local.yaml keeps the application's side of the stack as it is."""
    official = load(compose_check, FILES["trial"], tmp_path)["services"]
    local = load(compose_check, FILES["trial here"], tmp_path)["services"]
    assert set(local) == set(official)
    application = ("auth", "email", "notification", "web", "migrate", "mailcatcher", "alert-relay")
    for name in (*application, "backup"):
        assert local[name] == official[name], name
    stand_ins = ("postgres", "kafka", "mongodb", "gateway", "otel-collector", *PAGES)
    for name in stand_ins:
        assert local[name]["image"].startswith("localhost/eccs-local-"), name
        assert local[name]["networks"] == official[name]["networks"], name


def test_env_example_lists_every_variable_the_files_use() -> None:
    used = set()
    for name in {name for files in FILES.values() for name in files}:
        text = (REPO / name).read_text()
        used |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
        used |= set(re.findall(r"^\s+- ([A-Z][A-Z0-9_]*)$", text, re.MULTILINE))
    listed = set(
        re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", (REPO / ".env.example").read_text(), re.MULTILINE)
    )
    assert used - listed == set()


def test_the_backup_service_runs_on_its_schedule_into_its_volume(
    compose_check: str, tmp_path: Path
) -> None:
    services = load(compose_check, FILES["production"], tmp_path)["services"]
    backup = services["backup"]
    assert backup["image"] == services["auth"]["image"]
    assert backup["command"] == ["backup", "schedule"]
    assert backup["environment"]["ECCS_BACKUP_SCHEDULE"] == "30 2 * * *"
    assert backup["environment"]["ECCS_BACKUP_KEY_FILE"] == "/run/secrets/backup_key"
    assert "backup_key" in [secret["source"] for secret in backup["secrets"]]
    [volume] = backup["volumes"]
    assert (volume["type"], volume["source"]) == ("volume", "backups")
    assert volume["target"] == backup["environment"]["ECCS_BACKUP_DIR"]
    hourly = load(compose_check, FILES["production"], tmp_path, ECCS_BACKUP_SCHEDULE="0 * * * *")
    assert hourly["services"]["backup"]["environment"]["ECCS_BACKUP_SCHEDULE"] == "0 * * * *"
