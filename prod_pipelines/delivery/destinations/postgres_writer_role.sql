-- The PostgreSQL destination's roles: they may create, replace and read the tables of ONE schema, and nothing
-- else (no other schema, no database-wide CREATE). An administrator runs it once per schema, with psql:
--
--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -v schema=marketing -v writer=top_items_writer \
--        -v login=top_items_writer_1 -f prod_pipelines/delivery/destinations/postgres_writer_role.sql
--   psql "$ADMIN_URL" -c '\password top_items_writer_1'
--
-- `writer` (no login) holds the privileges and owns the tables. `login`, the role the destination's URL
-- names, acts as `writer` from its first statement, so the tables it creates belong to `writer` and a
-- second login (the same command with login=top_items_writer_2) can take over when a password is rotated
-- (docs/runbook.md). Running it again changes nothing. The Dagster instance's database takes the same
-- roles with schema=public (its tables live there). `\password` hashes on the client: the password
-- never appears in this file, a command line or the server's log.

select format('create role %I nologin', :'writer')
 where not exists (select from pg_roles where rolname = :'writer') \gexec
select format('create role %I login', :'login')
 where not exists (select from pg_roles where rolname = :'login') \gexec
alter role :"login" login;
grant :"writer" to :"login";
alter role :"login" set role = :'writer';

create schema if not exists :"schema";
revoke all on schema :"schema" from public;
grant usage, create on schema :"schema" to :"writer";
-- Tables a delivery created before these roles existed (as another user) pass to `writer`.
select format('alter table %I.%I owner to %I', schemaname, tablename, :'writer')
  from pg_tables
 where schemaname = :'schema' \gexec
