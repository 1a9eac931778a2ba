#!/bin/sh
# Creates (or upgrades) the Temporal schemas in PostgreSQL: the `temporal`
# and `temporal_visibility` databases, plugin postgres12. Idempotent: runs on
# every `docker compose up`.
set -eu

EP=${POSTGRES_SEEDS:-postgresql}
PORT=${DB_PORT:-5432}
USER=${POSTGRES_USER:-temporal}
export SQL_PASSWORD=${POSTGRES_PWD:-temporal}
SCHEMA=/etc/temporal/schema/postgresql/v12

echo "Waiting for PostgreSQL on $EP:$PORT..."
until nc -z -w 2 "$EP" "$PORT"; do sleep 1; done

for db in temporal temporal_visibility; do
  case $db in
    temporal) dir=$SCHEMA/temporal/versioned ;;
    *)        dir=$SCHEMA/visibility/versioned ;;
  esac
  tool="temporal-sql-tool --plugin postgres12 --ep $EP -p $PORT -u $USER --db $db"
  $tool create || echo "database $db exists"
  # setup-schema -v 0.0 only creates the version table when it is missing;
  # update-schema then brings the schema to the image's version.
  $tool setup-schema -v 0.0 || echo "schema of $db already set up"
  $tool update-schema -d "$dir"
done
echo "Temporal schemas are ready."
