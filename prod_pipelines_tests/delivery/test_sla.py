"""A consumer's SLA as dates, for the consumers this project declares (their dbt YAML)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from prod_pipelines.delivery.consumers import consumers
from prod_pipelines.delivery.sla import deadline_period, due_at, due_day


@pytest.fixture(scope="module")
def by_name():
    return {c.name: c for c in consumers()}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_daily_consumer_is_due_yesterday_once_9_utc_has_passed_and_the_day_before_until_then(by_name):
    app = by_name["retailer_app"]
    assert due_day(app, at("2025-03-13T08:59")) == date(2025, 3, 11)
    assert due_day(app, at("2025-03-13T09:00")) == date(2025, 3, 12)
    assert due_at(app, date(2025, 3, 12)) == at("2025-03-13T09:00")


def test_the_weekly_email_is_due_the_monday_before_the_last_monday_deadline(by_name):
    email = by_name["crm_email"]
    assert due_day(email, at("2025-03-16T12:00")) == date(2025, 3, 3)  # Sunday: last deadline Monday 10th
    assert due_day(email, at("2025-03-17T09:00")) == date(2025, 3, 10)
    assert due_at(email, date(2025, 3, 10)) == at("2025-03-17T09:00")


def test_a_day_is_due_exactly_at_the_deadline_that_first_requires_it(by_name):
    for consumer in by_name.values():
        day = due_day(consumer, at("2025-06-01T12:00"))
        assert due_day(consumer, due_at(consumer, day)) == day
        assert due_day(consumer, due_at(consumer, day) - timedelta(seconds=1)) < day


def test_the_period_between_deadlines_is_a_day_or_a_week():
    assert deadline_period("0 9 * * *") == timedelta(days=1)
    assert deadline_period("0 9 * * 1") == timedelta(days=7)
