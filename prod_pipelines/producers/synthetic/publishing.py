"""When each feed publishes and in which file formats, as a pure function of the day.

Reference feeds are full snapshots that "may skip days on which nothing changed": they publish on the
first generated day and on Mondays. Formats rotate with the day so every reader path gets exercised,
and some orders days arrive split into two or three files.
"""

from datetime import date

from prod_pipelines.landing.contracts import CONTRACTS
from prod_pipelines.producers.synthetic.writers import FORMATS

# The upstream producers' feeds; suppressions come from the consumers (spec §6), not from this generator.
FEEDS = ("stores", "products", "orders", "inventory")
ORDERS_PARTS = (1, 2, 1, 3)


def publishes(feed: str, day: date, start: date) -> bool:
    return CONTRACTS[feed].published_daily or day == start or day.weekday() == 0


def formats(feed: str, day: date) -> list[str]:
    ordinal = day.toordinal()
    parts = ORDERS_PARTS[ordinal % len(ORDERS_PARTS)] if feed == "orders" else 1
    offset = FEEDS.index(feed)
    return [FORMATS[(ordinal + offset + number) % len(FORMATS)] for number in range(parts)]
