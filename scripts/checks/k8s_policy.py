"""The rules every rendered ECCS manifest must keep, beyond what the schemas check.

`problems(documents)` answers one line per broken rule, naming the object; none means the
manifests keep them all. The facts they are checked against (the services' shutdown bound, the
topic's partition count, the worker's topic and consumer group) come from the code that owns them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from eccs.contracts.topics import EMAIL_REQUESTED
from eccs.delivery.consumer import GROUP
from eccs.platform.kafka import KafkaSettings

Document = dict[str, Any]

# A service exits within this many seconds of SIGTERM (uvicorn's drain, the consumer's commit).
SHUTDOWN_BOUND_SECONDS = 15
DEFAULT_PARTITIONS: int = KafkaSettings.model_fields["kafka_topic_partitions"].default
WORKLOADS = ("Deployment", "Job", "StatefulSet", "DaemonSet")
HTTP_COMPONENTS = ("api", "web")
RESOURCE_TARGETS = {"cpu": 70, "memory": 80}


def problems(documents: Iterable[Document]) -> list[str]:
    docs = [doc for doc in documents if doc]
    found: list[str] = []
    for doc in docs:
        if doc["kind"] in WORKLOADS:
            found += _pod_problems(_name(doc), doc["spec"]["template"]["spec"])
        if doc["kind"] == "Secret" and (doc.get("data") or doc.get("stringData")):
            found.append(f"{_name(doc)}: Secret values are committed; create it in the cluster")
    deployments = [doc for doc in docs if doc["kind"] == "Deployment"]
    for deployment in deployments:
        found += _deployment_problems(deployment, docs)
    found += _rollout_problems(docs)
    found += _network_problems(docs)
    return found


def _name(doc: Document) -> str:
    return f"{doc['kind']} {doc['metadata']['name']}"


# --- every pod ----------------------------------------------------------------------------------


def _pod_problems(owner: str, pod: Document) -> Iterator[str]:
    pod_context = pod.get("securityContext", {})
    if pod.get("automountServiceAccountToken") is not False:
        yield f"{owner}: automountServiceAccountToken must be false"
    if pod_context.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        yield f"{owner}: the pod's seccompProfile must be RuntimeDefault"
    for container in [*pod.get("initContainers", []), *pod["containers"]]:
        where = f"{owner} container {container['name']}"
        yield from _container_problems(where, container, pod_context)


def _container_problems(where: str, container: Document, pod_context: Document) -> Iterator[str]:
    context = container.get("securityContext", {})
    if not context.get("runAsNonRoot", pod_context.get("runAsNonRoot")):
        yield f"{where}: must run as non-root (runAsNonRoot: true)"
    if context.get("runAsUser", pod_context.get("runAsUser")) == 0:
        yield f"{where}: runAsUser 0 is root"
    if context.get("readOnlyRootFilesystem") is not True:
        yield f"{where}: readOnlyRootFilesystem must be true"
    if context.get("allowPrivilegeEscalation") is not False:
        yield f"{where}: allowPrivilegeEscalation must be false"
    if context.get("privileged"):
        yield f"{where}: must not be privileged"
    capabilities = context.get("capabilities", {})
    if "ALL" not in capabilities.get("drop", []) or capabilities.get("add"):
        yield f"{where}: must drop ALL capabilities and add none"
    resources = container.get("resources", {})
    for bound in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in resources.get(bound, {}):
                yield f"{where}: no {resource} in resources.{bound}"
    image = container.get("image", "")
    if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
        yield f"{where}: image {image!r} needs a tag other than latest"


# --- long-running services ----------------------------------------------------------------------


def _deployment_problems(deployment: Document, docs: list[Document]) -> Iterator[str]:
    owner = _name(deployment)
    pod = deployment["spec"]["template"]["spec"]
    if "replicas" in deployment["spec"]:
        yield f"{owner}: replicas belong to its autoscaler; an apply would reset them"
    for container in pod["containers"]:
        yield from _probe_problems(f"{owner} container {container['name']}", container)
    yield from _shutdown_problems(owner, pod)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    if not any(_selects(doc, labels) for doc in docs if doc["kind"] == "PodDisruptionBudget"):
        yield f"{owner}: no PodDisruptionBudget selects its pods"
    component = deployment["metadata"].get("labels", {}).get("app.kubernetes.io/component")
    scalers = [doc for doc in docs if _scales(doc, deployment["metadata"]["name"])]
    if component in HTTP_COMPONENTS:
        yield from _resource_autoscaling_problems(owner, scalers)
    elif component == "worker":
        yield from _lag_autoscaling_problems(owner, scalers, docs)
    else:
        yield f"{owner}: label app.kubernetes.io/component must say api, web or worker"


def _probe_problems(where: str, container: Document) -> Iterator[str]:
    serves_eccs = container.get("command", [None])[0] == "eccs"
    expected = {
        "startupProbe": "/health",
        "livenessProbe": "/health",  # never a dependency: a database outage must not restart pods
        "readinessProbe": "/ready" if serves_eccs else "/health",
    }
    for probe, path in expected.items():
        actual = container.get(probe, {}).get("httpGet", {}).get("path")
        if actual != path:
            yield f"{where}: {probe} must GET {path} (has {actual})"


def _shutdown_problems(owner: str, pod: Document) -> Iterator[str]:
    grace = pod.get("terminationGracePeriodSeconds")
    pause = sum(
        container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        for container in pod["containers"]
    )
    if grace is None or grace <= SHUTDOWN_BOUND_SECONDS + pause:
        yield (
            f"{owner}: terminationGracePeriodSeconds ({grace}) must exceed the preStop pause"
            f" ({pause} s) plus the services' shutdown bound ({SHUTDOWN_BOUND_SECONDS} s)"
        )


def _scales(doc: Document, deployment: str) -> bool:
    if doc["kind"] not in ("HorizontalPodAutoscaler", "ScaledObject"):
        return False
    return bool(doc["spec"]["scaleTargetRef"]["name"] == deployment)


def _resource_autoscaling_problems(owner: str, scalers: list[Document]) -> Iterator[str]:
    hpas = [doc for doc in scalers if doc["kind"] == "HorizontalPodAutoscaler"]
    if len(hpas) != 1:
        yield f"{owner}: needs exactly one HorizontalPodAutoscaler (has {len(hpas)})"
        return
    targets = {
        metric["resource"]["name"]: metric["resource"]["target"].get("averageUtilization")
        for metric in hpas[0]["spec"].get("metrics", [])
        if metric["type"] == "Resource"
    }
    if targets != RESOURCE_TARGETS:
        yield f"{owner}: its HPA must target {RESOURCE_TARGETS} utilisation (has {targets})"


def _lag_autoscaling_problems(
    owner: str, scalers: list[Document], docs: list[Document]
) -> Iterator[str]:
    if len(scalers) != 1:
        yield f"{owner}: needs one lag autoscaler, a ScaledObject or an HPA (has {len(scalers)})"
        return
    scaler = scalers[0]
    most, sources = _lag_scaling(scaler)
    partitions = _partitions(docs)
    if most > partitions:
        yield (
            f"{_name(scaler)}: at most {partitions} replicas, the partitions of {EMAIL_REQUESTED};"
            f" more would sit idle in the consumer group (has {most})"
        )
    if (EMAIL_REQUESTED, GROUP) not in sources:
        yield f"{_name(scaler)}: must scale on the lag of {GROUP} on {EMAIL_REQUESTED}"
    yield from _keda_broker_problems(scaler)


def _keda_broker_problems(scaler: Document) -> Iterator[str]:
    """KEDA resolves the broker from its own namespace: the name must say which namespace."""
    if scaler["kind"] != "ScaledObject":
        return
    namespace = scaler["metadata"].get("namespace", "default")
    for trigger in scaler["spec"]["triggers"]:
        for server in trigger["metadata"].get("bootstrapServers", "").split(","):
            if server.rsplit(":", 1)[0].count(".") < 2:
                yield (
                    f"{_name(scaler)}: bootstrapServers {server!r} is not fully qualified; KEDA"
                    f" looks names up in its own namespace (kafka.{namespace}.svc.cluster.local)"
                )


def _lag_scaling(scaler: Document) -> tuple[int, list[tuple[str | None, str | None]]]:
    """Its most replicas, and the (topic, consumer group) pairs whose lag it follows."""
    spec = scaler["spec"]
    if scaler["kind"] == "ScaledObject":
        triggers = [t["metadata"] for t in spec["triggers"] if t["type"] == "kafka"]
        sources = [(t.get("topic"), t.get("consumerGroup")) for t in triggers]
        return spec.get("maxReplicaCount", 100), sources  # 100: KEDA's default
    selectors = [
        metric["external"]["metric"].get("selector", {}).get("matchLabels", {})
        for metric in spec.get("metrics", [])
        if metric["type"] == "External"
    ]
    return spec["maxReplicas"], [(s.get("topic"), s.get("consumergroup")) for s in selectors]


def _partitions(docs: list[Document]) -> int:
    """KAFKA_TOPIC_PARTITIONS as the services get it: from the ConfigMap, else the default."""
    for doc in docs:
        if doc["kind"] == "ConfigMap" and "KAFKA_TOPIC_PARTITIONS" in doc.get("data", {}):
            return int(doc["data"]["KAFKA_TOPIC_PARTITIONS"])
    return DEFAULT_PARTITIONS


# --- deploy order and network -------------------------------------------------------------------


def _rollout_problems(docs: list[Document]) -> Iterator[str]:
    """deploy.sh runs the migration Job before it applies the Deployments, by these labels."""
    for doc in docs:
        rollout = doc["metadata"].get("labels", {}).get("eccs.io/rollout")
        if doc["kind"] == "Deployment" and rollout != "workload":
            yield f"{_name(doc)}: needs label eccs.io/rollout=workload (deploy.sh rolls these)"
        if doc["kind"] == "Job" and rollout != "migrate":
            yield f"{_name(doc)}: needs label eccs.io/rollout=migrate (deploy.sh runs it first)"
    migrations = [
        doc
        for doc in docs
        if doc["kind"] == "Job"
        and doc["spec"]["template"]["spec"]["containers"][0].get("command") == ["eccs", "migrate"]
    ]
    if len(migrations) != 1:
        yield f"one Job must run `eccs migrate` before the services roll (found {len(migrations)})"


def _network_problems(docs: list[Document]) -> Iterator[str]:
    policies = [doc["spec"] for doc in docs if doc["kind"] == "NetworkPolicy"]
    denies_all = any(
        policy["podSelector"] == {}
        and set(policy.get("policyTypes", [])) == {"Ingress", "Egress"}
        and not policy.get("ingress")
        and not policy.get("egress")
        for policy in policies
    )
    if not denies_all:
        yield "no default-deny NetworkPolicy (ingress and egress) for the namespace"


def _selects(doc: Document, labels: dict[str, str]) -> bool:
    wanted = doc["spec"].get("selector", {}).get("matchLabels", {})
    return bool(wanted) and wanted.items() <= labels.items()
