-- micropod maintaindb: the Mastodon role and database, created when missing. Idempotent.
-- Names and password come from the environment (psql \getenv), never from the command line.
\set ON_ERROR_STOP on
\getenv db_user DB_USER
\getenv db_name DB_NAME
\getenv db_pass DB_PASS

SELECT format('CREATE ROLE %I LOGIN', :'db_user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'db_user') \gexec
-- Keeps the role's password equal to DB_PASS (the secret micropod persisted).
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'db_user', :'db_pass') \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'db_name', :'db_user', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db_name') \gexec

\connect :db_name
-- Needs the superuser; the library itself is preloaded by the postgresql image.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
