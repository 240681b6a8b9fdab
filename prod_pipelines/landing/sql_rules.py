"""The landing contract as SQL: every declared rule as an expression over typed rows, for the loader.

Rendered from the declarations in `contracts`, like the pandera form in `public_schema`. Row rules
become one CASE per column, evaluated while the files are read (`staging`): NULL when the value is
fine, else the first rule it breaks in declaration order, as `{rule, column_name, value}` with the
value as the producer wrote it. Uniqueness is a hash group-by over the range, then a ranking of
only the rows whose key repeats.
"""

from __future__ import annotations

from prod_pipelines.landing.contracts import DUPLICATE, NOT_NULLABLE, ON_PARTITION_DAY, Column, Contract, Rule

COMPARISONS = {"greater_than": ">", "greater_than_or_equal_to": ">=", "not_equal_to": "<>"}


def failure_column(contract: Contract, column: Column) -> str:
    """Over `dt`, the typed columns and `_raw_<c>` text of typed columns: the column's failure or NULL.

    A value that does not parse fails its type only, never also its nullability or a rule.
    """
    c = column.name
    checks = []
    if column.typed:
        checks.append((f"trim(_raw_{c}) <> '' and {c} is null", column.type_label()))
    if not column.nullable:
        checks.append((f"{c} is null", NOT_NULLABLE))
    checks += [(f"not coalesce({predicate(rule, c)}, true)", rule.label) for rule in column.rules]
    if column.on_partition_day:
        checks.append((f"{_as_utc_date(column)} <> dt", ON_PARTITION_DAY))
    if column.days_after_partition is not None:
        after = column.days_after_partition
        checks.append((f"not ({c} between dt + {after.first} and dt + {after.last})", after.label))
    if contract.same_sign is not None and contract.same_sign.second == c:
        checks.append((f"sign({contract.same_sign.first}) <> sign({c})", contract.same_sign.label))
    value = f"_raw_{c}" if column.typed else c
    whens = " ".join(f"when {where} then {{'rule': {_literal(f'{c}: {label}')}, 'column_name': '{c}', "
                     f"'value': {value}::varchar}}" for where, label in checks)
    return f"case {whens} end" if checks else "null"


def duplicates_sql(contract: Contract, relation: str) -> str:
    """`rid, dt, _path, rule, column_name, value` of each row repeating an earlier row's key on its day.

    The earlier row is the one first in file name, then row order; a NULL key part equals another NULL.
    """
    keys = ", ".join(contract.unique)
    same = " and ".join(f"s.{k} is not distinct from d.{k}" for k in ("dt", *contract.unique))
    key_text = " || '+' || ".join(f"s.{k}::varchar" for k in contract.unique)
    label = contract.key_label
    return (
        f"select s.rid, s.dt, s._path, '{label}: {DUPLICATE}' as rule, '{label}' as column_name, {key_text} as value "
        f"from {relation} s join (select dt, {keys} from {relation} group by all having count(*) > 1) d on {same} "
        f"qualify row_number() over (partition by s.dt, {', '.join(f's.{k}' for k in contract.unique)} "
        "order by s._path, s.rid) > 1")


def predicate(rule: Rule, column: str) -> str:
    """The SQL condition a value must meet; NULL values are judged by nullability alone."""
    if rule.check == "isin":
        return f"{column} in ({', '.join(_literal(v) for v in rule.arg)})"
    if rule.check in COMPARISONS:
        return f"{column} {COMPARISONS[rule.check]} {_literal(rule.arg)}"
    if rule.check == "str_matches":
        return f"regexp_matches({column}, {_literal(rule.arg)})"
    raise ValueError(f"rule {rule.label}: no SQL form for pandera check {rule.check!r}; add one in sql_rules.py")


def _as_utc_date(column: Column) -> str:
    return f"timezone('UTC', {column.name})::date" if column.kind == "timestamp" else column.name


def _literal(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"no SQL literal for {value!r}")
    return repr(value)
