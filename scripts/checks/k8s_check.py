"""`make k8s-check`: every overlay in deploy/k8s/overlays renders, is valid against the
Kubernetes schemas (every supported version) and the CRDs' schemas, strictly and offline, and
keeps the rules of k8s_policy.py. Exits non-zero with each problem named."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from scripts.checks import k8s_policy, k8s_schemas

REPO = Path(__file__).resolve().parents[2]
OVERLAYS = REPO / "deploy" / "k8s" / "overlays"
# The oldest and newest Kubernetes minor versions the manifests are kept valid for.
KUBERNETES_VERSIONS = ("1.32.0", "1.37.0")


def main() -> int:
    kubeconform = _tool("kubeconform")
    locations = k8s_schemas.schema_locations(KUBERNETES_VERSIONS)
    failed = False
    for overlay in sorted(path for path in OVERLAYS.iterdir() if path.is_dir()):
        rendered = _render(overlay)
        if rendered is None:
            failed = True
            continue
        failed |= not _valid(kubeconform, locations, overlay, rendered)
        failed |= not _keeps_policy(overlay, rendered)
    return 1 if failed else 0


def _tool(name: str) -> str:
    built = subprocess.run(
        [str(REPO / "scripts" / "checks" / "build-tool.sh"), name], capture_output=True, text=True
    )
    if built.returncode != 0:
        sys.exit(f"could not build {name}:\n{built.stdout}{built.stderr}")
    *progress, binary = built.stdout.strip().splitlines()
    print("\n".join(progress), flush=True)
    return binary


def _render(overlay: Path) -> str | None:
    if shutil.which("kubectl") is None:
        sys.exit("kubectl (1.27 or newer, for `kubectl kustomize`) is needed: install it first")
    done = subprocess.run(["kubectl", "kustomize", str(overlay)], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"✗ {_short(overlay)}: kustomize failed:\n{done.stderr}", flush=True)
        return None
    return done.stdout


def _valid(kubeconform: str, locations: list[str], overlay: Path, rendered: str) -> bool:
    valid = True
    for version in KUBERNETES_VERSIONS:
        command = [kubeconform, "-strict", "-summary", "-kubernetes-version", version]
        command += [arg for location in locations for arg in ("-schema-location", location)]
        done = subprocess.run(command, input=rendered, capture_output=True, text=True)
        summary = done.stdout.strip().replace("stdin", _short(overlay))
        mark = "✓" if done.returncode == 0 else "✗"
        print(f"{mark} {_short(overlay)} on Kubernetes {version}: {summary}", flush=True)
        valid &= done.returncode == 0
    return valid


def _keeps_policy(overlay: Path, rendered: str) -> bool:
    problems = k8s_policy.problems(yaml.safe_load_all(rendered))
    if not problems:
        print(f"✓ {_short(overlay)}: every workload keeps the security and scaling rules")
        return True
    print(f"✗ {_short(overlay)}: {len(problems)} policy problems:")
    for problem in problems:
        print(f"    {problem}")
    return False


def _short(path: Path) -> str:
    return str(path.relative_to(REPO))


if __name__ == "__main__":
    sys.exit(main())
