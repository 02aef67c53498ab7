#!/usr/bin/env bash
# Deploy an overlay of ECCS to the cluster kubectl points at, in the order a release needs:
#   1. configuration, services, routes, policies, autoscalers (nothing that runs new code);
#   2. the migration Job (`eccs migrate`), waited for: a failed migration stops here, and the
#      running services are left untouched;
#   3. the Deployments, then `kubectl rollout status` for each; if one does not become ready in
#      time, every Deployment this run changed is rolled back to its previous revision.
# Migrations must stay compatible with the previous release (expand, then contract in a later
# release), since a rollback runs the old code on the new schema.
#
#   deploy/k8s/deploy.sh OVERLAY IMAGE_PREFIX IMAGE_TAG
#   deploy/k8s/deploy.sh prod registry.example.com/eccs/ 3f2a9c1
# The images are ${IMAGE_PREFIX}eccs:$IMAGE_TAG and ${IMAGE_PREFIX}eccs-web:$IMAGE_TAG, as
# `make images` names them. ROLLOUT_TIMEOUT (default 300s) bounds each wait.
set -euo pipefail

overlay=${1:?usage: deploy.sh OVERLAY IMAGE_PREFIX IMAGE_TAG}
prefix=${2?usage: deploy.sh OVERLAY IMAGE_PREFIX IMAGE_TAG}
tag=${3:?usage: deploy.sh OVERLAY IMAGE_PREFIX IMAGE_TAG}
timeout=${ROLLOUT_TIMEOUT:-300s}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ -d "$here/overlays/$overlay" ]] || { echo "no overlay $overlay in $here/overlays" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The release's images on top of the overlay, without editing the overlay itself.
cat > "$work/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$work" "$here/overlays/$overlay")
images:
  - name: eccs
    newName: ${prefix}eccs
    newTag: "$tag"
  - name: eccs-web
    newName: ${prefix}eccs-web
    newTag: "$tag"
YAML
kubectl kustomize "$work" > "$work/release.yaml"
namespace="$(awk '/^  namespace: / { print $2; exit }' "$work/release.yaml")"
k() { kubectl --namespace "$namespace" "$@"; }
deployments="$(k create --dry-run=client -o name -f "$work/release.yaml" -l eccs.io/rollout=workload)"

echo "==> ${overlay}: ${prefix}eccs:${tag} into namespace ${namespace}"
kubectl get namespace "$namespace" >/dev/null 2>&1 || kubectl create namespace "$namespace"

echo "==> configuration, services, routes and policies"
k apply -f "$work/release.yaml" -l 'eccs.io/rollout notin (migrate,workload)'

echo "==> migrations"
k delete job eccs-migrate --ignore-not-found --wait=true
k apply -f "$work/release.yaml" -l eccs.io/rollout=migrate
deadline=$((SECONDS + ${timeout%s}))
until state="$(k get job eccs-migrate -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type} {end}')" &&
    [[ "$state" == *Complete* || "$state" == *Failed* ]]; do
    if ((SECONDS > deadline)); then state=Timeout; break; fi
    sleep 3
done
if [[ "$state" != *Complete* ]]; then
    echo "migration did not complete ($state); the running release is untouched. Its log:" >&2
    k logs job/eccs-migrate --tail=100 >&2 || echo "(no log)" >&2
    exit 1
fi

echo "==> services"
declare -A before
for deployment in $deployments; do
    before[$deployment]="$(k get "$deployment" -o jsonpath='{.metadata.generation}' 2>/dev/null || echo new)"
done
k apply -f "$work/release.yaml" -l eccs.io/rollout=workload
failed=""
for deployment in $deployments; do
    k rollout status "$deployment" --timeout="$timeout" || failed="$failed $deployment"
done
[[ -z "$failed" ]] && { echo "==> ${overlay} is at ${tag}"; exit 0; }

echo "rollout failed for:$failed; rolling back what this run changed" >&2
for deployment in $deployments; do
    after="$(k get "$deployment" -o jsonpath='{.metadata.generation}')"
    if [[ "${before[$deployment]}" != new && "${before[$deployment]}" != "$after" ]]; then
        k rollout undo "$deployment"
        k rollout status "$deployment" --timeout="$timeout" || echo "$deployment: rollback not ready either" >&2
    fi
done
exit 1
