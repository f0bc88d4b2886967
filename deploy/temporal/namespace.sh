#!/bin/sh
# Registers Vigie's namespace and its search attribute on a running Temporal server. Runs in
# temporalio/admin-tools after the server is healthy, on every `docker compose up`; each step is
# idempotent (an existing namespace is left as is, an existing search attribute is skipped).
set -eu

: "${TEMPORAL_ADDRESS:?}"
: "${TEMPORAL_NAMESPACE:?}"
RETENTION="${TEMPORAL_RETENTION:-720h}"

# The server's port opens before its services are ready: wait until the frontend reports SERVING.
tries=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "Temporal at $TEMPORAL_ADDRESS is not healthy after 120 s" >&2
    exit 1
  fi
  sleep 2
done

if ! temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
  # Retention: how long closed workflows (a paid invoice's dunning, a closed ticket) stay visible in the UI.
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE" --retention "$RETENTION"
fi

# Workflows carry their tenant as a search attribute, so the UI and list calls can filter by tenant.
# A namespace just created is unknown to this call until the server's namespace cache refreshes (~10 s).
tries=0
until temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE" \
  --name TenantId --type Keyword; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    echo "Could not add the TenantId search attribute to $TEMPORAL_NAMESPACE" >&2
    exit 1
  fi
  sleep 2
done
echo "Temporal namespace $TEMPORAL_NAMESPACE is ready"
