"""The manifests' policy check catches what it is there for (make k8s-check runs it on every
overlay; here each rule is broken on purpose in a rendered overlay and must be named)."""

from __future__ import annotations

import copy
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.checks.k8s_policy import problems

OVERLAYS = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "overlays"
Docs = list[dict[str, Any]]


def render(overlay: str) -> Docs:
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is needed to render the kustomize overlays")
    done = subprocess.run(
        ["kubectl", "kustomize", str(OVERLAYS / overlay)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="module")
def prod() -> Docs:
    return render("prod")


def find(docs: Docs, kind: str, name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def pod(docs: Docs, name: str, kind: str = "Deployment") -> dict[str, Any]:
    spec: dict[str, Any] = find(docs, kind, name)["spec"]["template"]["spec"]
    return spec


def container(docs: Docs, name: str) -> dict[str, Any]:
    first: dict[str, Any] = pod(docs, name)["containers"][0]
    return first


def test_every_overlay_keeps_the_rules() -> None:
    for overlay in sorted(path.name for path in OVERLAYS.iterdir()):
        assert problems(render(overlay)) == [], overlay


def writable_root(docs: Docs) -> None:
    container(docs, "email")["securityContext"]["readOnlyRootFilesystem"] = False


def root_user(docs: Docs) -> None:
    job = pod(docs, "eccs-migrate", "Job")
    job["securityContext"]["runAsUser"] = 0
    job["containers"][0]["securityContext"].pop("runAsNonRoot")
    job["securityContext"].pop("runAsNonRoot")


def keeps_a_capability(docs: Docs) -> None:
    container(docs, "web")["securityContext"]["capabilities"] = {"add": ["NET_BIND_SERVICE"]}


def no_memory_limit(docs: Docs) -> None:
    del container(docs, "auth")["resources"]["limits"]["memory"]


def readiness_on_health(docs: Docs) -> None:
    container(docs, "notification")["readinessProbe"]["httpGet"]["path"] = "/health"


def short_grace(docs: Docs) -> None:
    pod(docs, "auth")["terminationGracePeriodSeconds"] = 15


def too_many_workers(docs: Docs) -> None:
    find(docs, "ScaledObject", "notification")["spec"]["maxReplicaCount"] = 12


def wrong_lag_topic(docs: Docs) -> None:
    find(docs, "ScaledObject", "notification")["spec"]["triggers"][0]["metadata"]["topic"] = "x"


def short_broker_name(docs: Docs) -> None:
    trigger = find(docs, "ScaledObject", "notification")["spec"]["triggers"][0]
    trigger["metadata"]["bootstrapServers"] = "kafka:9092"


def cpu_target_changed(docs: Docs) -> None:
    metrics = find(docs, "HorizontalPodAutoscaler", "email")["spec"]["metrics"]
    metrics[0]["resource"]["target"]["averageUtilization"] = 90


def committed_secret(docs: Docs) -> None:
    docs.append({"kind": "Secret", "metadata": {"name": "eccs-jwt"}, "data": {"k": "djE="}})


def no_pdb(docs: Docs) -> None:
    docs.remove(find(docs, "PodDisruptionBudget", "web"))


def no_default_deny(docs: Docs) -> None:
    docs.remove(find(docs, "NetworkPolicy", "default-deny"))


def latest_image(docs: Docs) -> None:
    container(docs, "web")["image"] = "eccs-web:latest"


def replicas_pinned(docs: Docs) -> None:
    find(docs, "Deployment", "email")["spec"]["replicas"] = 3


def migration_unlabelled(docs: Docs) -> None:
    del find(docs, "Job", "eccs-migrate")["metadata"]["labels"]["eccs.io/rollout"]


@pytest.mark.parametrize(
    ("breakage", "named"),
    [
        (writable_root, "Deployment email container email: readOnlyRootFilesystem"),
        (root_user, "Job eccs-migrate container migrate: must run as non-root"),
        (keeps_a_capability, "Deployment web container web: must drop ALL"),
        (no_memory_limit, "Deployment auth container auth: no memory in resources.limits"),
        (readiness_on_health, "Deployment notification container notification: readinessProbe"),
        (short_grace, "Deployment auth: terminationGracePeriodSeconds (15)"),
        (too_many_workers, "ScaledObject notification: at most 6 replicas"),
        (wrong_lag_topic, "ScaledObject notification: must scale on the lag"),
        (short_broker_name, "ScaledObject notification: bootstrapServers 'kafka:9092'"),
        (cpu_target_changed, "Deployment email: its HPA must target"),
        (committed_secret, "Secret eccs-jwt: Secret values are committed"),
        (no_pdb, "Deployment web: no PodDisruptionBudget"),
        (no_default_deny, "no default-deny NetworkPolicy"),
        (latest_image, "image 'eccs-web:latest' needs a tag"),
        (replicas_pinned, "Deployment email: replicas belong to its autoscaler"),
        (migration_unlabelled, "Job eccs-migrate: needs label eccs.io/rollout=migrate"),
    ],
)
def test_a_broken_rule_is_named(prod: Docs, breakage: Callable[[Docs], None], named: str) -> None:
    docs = copy.deepcopy(prod)
    breakage(docs)
    found = problems(docs)
    assert any(named in problem for problem in found), found


def test_the_lag_hpa_alternative_is_held_to_the_partition_count() -> None:
    docs = render("dev")
    find(docs, "HorizontalPodAutoscaler", "notification")["spec"]["maxReplicas"] = 7
    assert any("at most 6 replicas" in problem for problem in problems(docs))
