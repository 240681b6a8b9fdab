"""The landing contract of spec §1, one entry per feed, declared once.

Each feed has typed columns, row rules per column, a key unique within a partition and, for orders,
a sign rule. The declarations are rendered twice, never restated: as a pandera schema
(`public_schema`, the form producers check their files with, `prod-pipelines validate`) and as SQL
predicates (`sql_rules`, the form the pipeline runs, set-based in the warehouse). A test proves the
two agree on every rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prod_pipelines.landing.history import Bounds

MONTH_LIST = r"^\s*(0?[1-9]|1[0-2])\s*(,\s*(0?[1-9]|1[0-2])\s*)*$"
SQL_TYPES = {
    "string": "varchar",
    "integer": "bigint",
    "decimal": "decimal(18, 4)",
    "boolean": "boolean",
    "timestamp": "timestamptz",
    "date": "date",
}
# Labels of the rules every contract has by construction; they name the rule in raw.rejects.
NOT_NULLABLE = "not_nullable"
ON_PARTITION_DAY = "equals_partition_date"
DUPLICATE = "duplicate"
# The consumers that may send feedback (spec §6): the landing contract is fixed by the spec, so they
# are named here, and a test holds them equal to the exports' consumers (meta.consumer in dbt YAML).
CONSUMER_NAMES = ("retailer_app", "salesforce", "crm_email")


@dataclass(frozen=True)
class Rule:
    """One value rule on one column: a pandera built-in check by name, with its one argument."""

    check: str  # isin | greater_than | greater_than_or_equal_to | not_equal_to | str_matches
    arg: object
    name: str | None = None  # a label for rules whose argument would make an unreadable one

    @property
    def label(self) -> str:
        return self.name or f"{self.check}({self.arg!r})"


@dataclass(frozen=True)
class DaysAfterPartition:
    """A date that must fall `first`..`last` days after the partition's day (both included)."""

    first: int
    last: int

    @property
    def label(self) -> str:
        return f"within_{self.first}_to_{self.last}_days_after_partition_date"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    nullable: bool = False
    rules: tuple[Rule, ...] = ()
    on_partition_day: bool = False  # a date or timestamp that must fall on the partition's day (in UTC)
    days_after_partition: DaysAfterPartition | None = None

    @property
    def typed(self) -> bool:
        """Text must parse into the column's kind; a string column takes any text."""
        return self.kind != "string"

    def parse_sql(self, source: str | None = None) -> str:
        """DuckDB expression turning the text column into its type, NULL when it does not parse.

        Blank text is NULL in every column: CSV cannot tell an empty string from a missing value.
        """
        text = source or self.name
        if self.kind == "string":
            return f"case when trim({text}) <> '' then {text} end"
        if self.kind == "boolean":
            return f"case lower(trim({text})) when 'true' then true when 'false' then false end"
        if self.kind == "integer":
            # A cast alone would round '2.5' to 3 and read '1e3' as 1000: only whole-number text is an integer.
            return f"case when regexp_full_match(trim({text}), '[+-]?[0-9]+') then try_cast(trim({text}) as bigint) end"
        return f"try_cast(trim({text}) as {SQL_TYPES[self.kind]})"

    def type_label(self) -> str:
        return f"not a {self.kind}"


@dataclass(frozen=True)
class SameSign:
    """Two numeric columns whose signs must agree (a return is negative in both); reported on `second`."""

    first: str
    second: str

    @property
    def label(self) -> str:
        return f"same_sign_as_{self.first}"


@dataclass(frozen=True)
class Contract:
    """One feed's columns and rules, and the key that must be unique within a partition."""

    feed: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...]
    is_snapshot: bool
    published_daily: bool
    same_sign: SameSign | None = None
    # A snapshot that shrinks far beyond normal is a broken delivery (blocks); order lines vary with demand
    # (warns); a feed of occasional requests has no normal volume (None: not judged).
    count_bounds: Bounds | None = field(default_factory=Bounds)
    count_blocks: bool = True

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def typed_columns(self) -> list[Column]:
        return [c for c in self.columns if c.typed]

    @property
    def key_label(self) -> str:
        """The column name a duplicate is reported under: the key's columns joined by `+`."""
        return "+".join(self.unique)

    def snapshot_breach(self, rows_read: int, rows_accepted: int) -> str | None:
        """A snapshot with no row, or none accepted, is a broken delivery, never an empty store or catalog."""
        if not self.is_snapshot:
            return None
        if not rows_read:
            return "empty snapshot (no rows in any file)"
        return "every row of the snapshot was rejected" if not rows_accepted else None

    def sql_columns(self) -> str:
        return ", ".join(f"{c.name} {SQL_TYPES[c.kind]}" for c in self.columns)


CONTRACTS: dict[str, Contract] = {
    "stores": Contract(
        "stores",
        (Column("store_id", "string"), Column("store_name", "string", nullable=True),
         Column("market_id", "string"),
         Column("license_type", "string", rules=(Rule("isin", ["full", "beer_wine"]),)),
         Column("is_active", "boolean")),
        unique=("store_id",), is_snapshot=True, published_daily=False),
    "products": Contract(
        "products",
        (Column("sku_id", "string"), Column("sku_name", "string", nullable=True),
         Column("category", "string", rules=(Rule("isin", ["spirits", "wine", "beer", "seltzer", "other"]),)),
         Column("volume_ml", "integer", rules=(Rule("greater_than", 0),)),
         Column("seasonal_months", "string", nullable=True,
                rules=(Rule("str_matches", MONTH_LIST, name="month_list_1_to_12"),))),
        unique=("sku_id",), is_snapshot=True, published_daily=False),
    "orders": Contract(
        "orders",
        (Column("order_id", "string"), Column("line_number", "integer", rules=(Rule("greater_than_or_equal_to", 1),)),
         Column("store_id", "string"), Column("sku_id", "string"),
         Column("quantity", "integer", rules=(Rule("not_equal_to", 0),)),
         Column("line_amount", "decimal"), Column("ordered_at", "timestamp", on_partition_day=True)),
        unique=("order_id", "line_number"), is_snapshot=False, published_daily=True,
        same_sign=SameSign("quantity", "line_amount"),
        count_bounds=Bounds(low=0.3, high=3.0), count_blocks=False),
    "inventory": Contract(
        "inventory",
        (Column("snapshot_date", "date", on_partition_day=True), Column("store_id", "string"),
         Column("sku_id", "string"),
         Column("on_hand_qty", "integer", rules=(Rule("greater_than_or_equal_to", 0),))),
        unique=("store_id", "sku_id"), is_snapshot=True, published_daily=True),
    # Spec §6: consumers' feedback, one folder per request day, absent on days without requests.
    "suppressions": Contract(
        "suppressions",
        (Column("store_id", "string"), Column("sku_id", "string"), Column("reason", "string"),
         Column("requested_by", "string", rules=(Rule("isin", list(CONSUMER_NAMES)),)),
         Column("expires_on", "date", days_after_partition=DaysAfterPartition(1, 180))),
        unique=("store_id", "sku_id", "requested_by"), is_snapshot=False, published_daily=False,
        count_bounds=None, count_blocks=False),
}
FEEDS = tuple(CONTRACTS)
