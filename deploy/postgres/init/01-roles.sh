#!/bin/sh
# Creates Vigie's and Temporal's roles and databases. The postgres image runs the files of
# /docker-entrypoint-initdb.d only once, when the data directory is empty: changing a password in .env
# later does not reach an existing cluster (use ALTER ROLE, see deploy/README.md).
#
# - vigie_owner: owns the vigie database and every table (migrations run as this role). BYPASSRLS for
#   the few SECURITY DEFINER lookups that must see across tenants (login by e-mail, refresh tokens).
# - vigie_app: what api, worker and ingest log in as. Owns nothing and has NOBYPASSRLS, so the forced
#   row-level security policies apply to every query it runs. Its table grants come from the migrations
#   (ALTER DEFAULT PRIVILEGES), not from here.
# - temporal: owns only Temporal's two databases; no CREATEDB needed since they are created here.
#
# Passwords come from the container environment and reach SQL as psql variables (:'name'), which psql
# quotes as literals: no shell or SQL injection whatever characters they contain.
set -eu

: "${VIGIE_OWNER_PASSWORD:?VIGIE_OWNER_PASSWORD is required}"
: "${VIGIE_APP_PASSWORD:?VIGIE_APP_PASSWORD is required}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is required}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  --set=owner_password="$VIGIE_OWNER_PASSWORD" \
  --set=app_password="$VIGIE_APP_PASSWORD" \
  --set=temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
create role vigie_owner with login bypassrls nosuperuser nocreatedb nocreaterole password :'owner_password';
create role vigie_app with login nobypassrls nosuperuser nocreatedb nocreaterole password :'app_password';
create role temporal with login nobypassrls nosuperuser nocreatedb nocreaterole password :'temporal_password';

create database vigie owner vigie_owner;
create database temporal owner temporal;
create database temporal_visibility owner temporal;

-- New databases let PUBLIC connect; each database is reachable only by the roles that use it.
revoke all on database vigie, temporal, temporal_visibility from public;
grant connect on database vigie to vigie_app;
SQL
