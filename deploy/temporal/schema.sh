#!/bin/sh
# Creates or upgrades Temporal's schema in the `temporal` and `temporal_visibility` databases (created,
# with their owner role, by deploy/postgres/init/01-roles.sh). Runs in temporalio/admin-tools before the
# server starts, on every `docker compose up`: both steps are idempotent (setup-schema only creates the
# version tables when missing; update-schema applies only versions newer than the recorded one), so
# upgrading the server image upgrades the schema first. The password comes from SQL_PASSWORD.
set -eu

sql() {
  temporal-sql-tool --plugin postgres12 --endpoint "${SQL_HOST:-postgres}" --port "${SQL_PORT:-5432}" \
    --user "${SQL_USER:-temporal}" "$@"
}

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) dir=temporal ;;
    temporal_visibility) dir=visibility ;;
  esac
  sql --database "$db" setup-schema -v 0.0
  sql --database "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$dir/versioned"
done
echo "Temporal schema is up to date"
