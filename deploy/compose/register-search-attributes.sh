#!/bin/sh
# Makes sure the namespace exists and the restore workflow's search
# attributes are registered (all Keyword). Idempotent.
set -eu

NS=${NAMESPACE:-default}
ATTRS=${SEARCH_ATTRIBUTES:-VB365OrganizationId VB365SessionId VB365SessionType VB365SessionState}

echo "Waiting for Temporal at $TEMPORAL_ADDRESS..."
i=0
until temporal operator cluster health >/dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -lt 60 ] || { echo "Temporal did not become healthy"; exit 1; }
  sleep 2
done

temporal operator namespace describe --namespace "$NS" >/dev/null 2>&1 \
  || temporal operator namespace create --namespace "$NS" --retention 72h

# A namespace just created is not visible to every service at once (the
# frontend refreshes its namespace cache every few seconds): wait until its
# search attributes can be listed.
i=0
until existing=$(temporal operator search-attribute list --namespace "$NS" 2>/dev/null); do
  i=$((i + 1))
  [ "$i" -lt 30 ] || { echo "Namespace $NS did not become visible"; exit 1; }
  sleep 1
done
for name in $ATTRS; do
  if echo "$existing" | grep -qw "$name"; then
    echo "search attribute $name already registered"
  else
    temporal operator search-attribute create --namespace "$NS" --name "$name" --type Keyword
  fi
done
echo "Namespace $NS and search attributes are ready."
