"""Settings for each environment, with dummy endpoints and secrets where staging and prod require them."""

from __future__ import annotations

from pathlib import Path

from prod_pipelines.settings import Settings

DUMMY_SECRETS = {
    "PROD_PIPELINES_RETAILER_APP_URL": "s3://retailer-app-drop/top-items",
    "PROD_PIPELINES_SALESFORCE_URL": "https://crm.example.invalid/api",
    "PROD_PIPELINES_SALESFORCE_TOKEN": "dummy-token",
    "PROD_PIPELINES_CRM_EMAIL_URL": "postgresql://app@db.example.invalid/marketing?sslmode=verify-full",
    "PROD_PIPELINES_DAGSTER_PG_URL": "postgresql://dagster@db.example.invalid/dagster?sslmode=verify-full",
}


def settings_for(env: str, tmp_path: Path, variables: dict[str, str]) -> Settings:
    return Settings.from_env({"PROD_PIPELINES_ENV": env, "PROD_PIPELINES_DATA_DIR": str(tmp_path), **variables})
