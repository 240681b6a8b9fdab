"""Which destination each consumer is sent to, in this environment.

A consumer's dbt `meta.consumer.destination` names its production kind (file_drop, postgres,
http_api). Its endpoint comes from `PROD_PIPELINES_<CONSUMER>_URL` (and `_TOKEN` for an HTTP API),
read at run time through `dg.EnvVar`. In `dev`, a consumer without an endpoint gets a local file
drop under `<data dir>/destinations`; in `staging` and `prod` a missing endpoint or token stops the
definitions from loading, naming the variable.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import dagster as dg

from prod_pipelines.delivery.consumers import Consumer
from prod_pipelines.delivery.destinations.file_drop import FileDrop
from prod_pipelines.delivery.destinations.http_api import HttpApi
from prod_pipelines.delivery.destinations.postgres import PostgresTable
from prod_pipelines.delivery.destinations.protocol import Destination
from prod_pipelines.settings import Settings, destination_token_var, destination_url_var


class DestinationTarget(dg.ConfigurableResource):
    """One consumer's destination: its kind and endpoint (the token only for HTTP APIs)."""

    kind: str
    url: str
    token: str | None = None

    def build(self) -> Destination:
        if self.kind == "file_drop":
            return FileDrop(self.url)
        if self.kind == "postgres":
            dsn, schema = _split_schema(self.url)
            return PostgresTable(dsn=dsn, schema=schema)
        if self.kind == "http_api":
            return HttpApi(base_url=self.url, token=self.token)
        raise ValueError(f"unknown destination kind {self.kind!r} (known: file_drop, postgres, http_api)")


def resource_key(consumer: Consumer) -> str:
    return f"destination_{consumer.name}"


def target_for(consumer: Consumer, settings: Settings) -> DestinationTarget:
    url_var, token_var = destination_url_var(consumer.name), destination_token_var(consumer.name)
    required = [url_var] + ([token_var] if consumer.destination == "http_api" and settings.env != "dev" else [])
    missing = [v for v in required if v not in settings.variables_set]
    if settings.env == "dev" and url_var not in settings.variables_set:
        return DestinationTarget(kind="file_drop", url=str(settings.destinations_dir))
    if missing:
        raise ValueError(f"{settings.env}: consumer {consumer.name} ({consumer.destination}) needs "
                         f"environment variable(s) {', '.join(missing)}")
    token = dg.EnvVar(token_var) if token_var in settings.variables_set else None
    return DestinationTarget(kind=consumer.destination, url=dg.EnvVar(url_var), token=token)


def _split_schema(url: str) -> tuple[str, str]:
    """`postgresql://...?schema=app` -> (the DSN without it, "app"); the schema defaults to public."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    schema = query.pop("schema", ["public"])[0]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True))), schema
