"""JSON schemas for validating the Kubernetes manifests offline with kubeconform.

- Kubernetes' own: the `kubernetes-validate` package (a dev dependency, pinned in uv.lock)
  ships them for 1.25-1.37. Their `$id` is a kubernetes.io URL and their references point at
  `/api/_definitions.json`, so kubeconform would fetch them from the network; the copies made
  here drop the `$id` and refer to the `_definitions.json` beside them.
- The CRDs' (KEDA's ScaledObject, the Gateway API's routes): converted from the CRD YAML in the
  projects' Go modules (fetched by `go mod download`, checked against the Go checksum database)
  to kubeconform's layout, `<group>/<kind>_<version>.json`, strict: no field the CRD does not
  declare.

Everything is cached under ~/.cache/eccs/k8s-schemas, keyed by the versions it came from.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class CrdModule:
    """A Go module that carries CRDs, and the CRD files wanted from it."""

    name: str
    path: str
    version: str
    files: tuple[str, ...]


KEDA = CrdModule(
    "keda",
    "github.com/kedacore/keda/v2",
    # v2.21.1 needs Go 1.27.4; v2.21.0 is the newest release this machine's Go can fetch.
    "v2.21.0",
    ("config/crd/bases/keda.sh_scaledobjects.yaml",),
)
GATEWAY_API = CrdModule(
    "gateway-api",
    "sigs.k8s.io/gateway-api",
    "v1.6.3",
    (
        "config/crd/standard/gateway.networking.k8s.io_gateways.yaml",
        "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml",
    ),
)
CRD_MODULES = (KEDA, GATEWAY_API)

# kubeconform's -schema-location templates, relative to the cache directories below.
KUBERNETES_LAYOUT = "{{.NormalizedKubernetesVersion}}/{{.ResourceKind}}{{.KindSuffix}}.json"
CRD_LAYOUT = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"


def cache_root() -> Path:
    base = os.environ.get("ECCS_CACHE_DIR") or Path.home() / ".cache" / "eccs"
    return Path(base) / "k8s-schemas"


def schema_locations(kubernetes_versions: tuple[str, ...]) -> list[str]:
    """Prepare every schema (once) and answer kubeconform's -schema-location values."""
    kubernetes = kubernetes_schemas(kubernetes_versions)
    locations = [f"{kubernetes}/{KUBERNETES_LAYOUT}"]
    locations += [f"{crd_schemas(module)}/{CRD_LAYOUT}" for module in CRD_MODULES]
    return locations


# --- Kubernetes' own schemas ----------------------------------------------------------------


def kubernetes_schemas(versions: tuple[str, ...]) -> Path:
    package_version = metadata.version("kubernetes-validate")
    target = cache_root() / f"kubernetes-validate-{package_version}"
    shipped = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    for version in versions:
        done = target / f"v{version}" / ".complete"
        if done.exists():
            continue
        source = Path(str(shipped / f"v{version}-local-strict"))
        if not source.is_dir():
            raise SystemExit(
                f"kubernetes-validate {package_version} has no schemas for Kubernetes {version}"
            )
        print(f"k8s schemas: preparing Kubernetes {version} (once)…", flush=True)
        _rewrite_kubernetes_schemas(source, done.parent)
        done.touch()
    return target


def _rewrite_kubernetes_schemas(source: Path, target: Path) -> None:
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for schema_file in source.glob("*.json"):
        text = schema_file.read_text().replace('"/api/_definitions.json#', '"_definitions.json#')
        schema = json.loads(text)
        schema.pop("$id", None)  # resolve references next to the file, not at kubernetes.io
        (staging / schema_file.name).write_text(json.dumps(schema))
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


# --- CRD schemas ------------------------------------------------------------------------------


def crd_schemas(module: CrdModule) -> Path:
    target = cache_root() / f"{module.name}-{module.version}"
    if (target / ".complete").exists():
        return target
    print(f"k8s schemas: converting the CRDs of {module.path} {module.version} (once)…", flush=True)
    source = _module_dir(module)
    shutil.rmtree(target, ignore_errors=True)
    for crd_file in module.files:
        crd = yaml.safe_load((source / crd_file).read_text())
        for group, kind, version, schema in crd_versions(crd):
            out = target / group / f"{kind.lower()}_{version}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(schema))
    (target / ".complete").touch()
    return target


def _module_dir(module: CrdModule) -> Path:
    cache_root().mkdir(parents=True, exist_ok=True)
    if shutil.which("go") is None:
        raise SystemExit("the CRD schemas come from Go modules: install Go (https://go.dev/dl/)")
    done = subprocess.run(
        ["go", "mod", "download", "-json", f"{module.path}@{module.version}"],
        capture_output=True,
        text=True,
        # Outside any Go module, so no go.mod is consulted or changed.
        cwd=cache_root(),
    )
    answer = json.loads(done.stdout or "{}")
    if done.returncode != 0 or "Error" in answer:
        raise SystemExit(
            f"go mod download {module.path}@{module.version} failed: "
            f"{answer.get('Error') or done.stderr.strip()}"
        )
    return Path(answer["Dir"])


def crd_versions(crd: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(group, kind, version, strict JSON schema) for each version a CRD serves."""
    group = crd["spec"]["group"]
    kind = crd["spec"]["names"]["kind"]
    for version in crd["spec"]["versions"]:
        if version.get("served", True) and "schema" in version:
            yield group, kind, version["name"], strict(version["schema"]["openAPIV3Schema"])


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI v3 schema as JSON Schema in which objects refuse undeclared fields (as
    kubeconform -strict does for Kubernetes' own kinds), and `nullable` allows null."""
    converted = {key: value for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable") and isinstance(schema.get("type"), str):
        converted["type"] = [schema["type"], "null"]
    if "properties" in schema:
        converted["properties"] = {
            name: strict(child) for name, child in schema["properties"].items()
        }
        open_ended = schema.get("x-kubernetes-preserve-unknown-fields")
        if "additionalProperties" not in schema and not open_ended:
            converted["additionalProperties"] = False
    if isinstance(schema.get("additionalProperties"), dict):
        converted["additionalProperties"] = strict(schema["additionalProperties"])
    if isinstance(schema.get("items"), dict):
        converted["items"] = strict(schema["items"])
    for combinator in ("allOf", "anyOf", "oneOf"):
        if combinator in schema:
            converted[combinator] = [strict(child) for child in schema[combinator]]
    if isinstance(schema.get("not"), dict):
        converted["not"] = strict(schema["not"])
    return converted
