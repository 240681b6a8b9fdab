-- The raw DuckDB floor: spec §2 in one hand-written script, straight from the landing files.
--
-- No contracts, no rejects, no dbt, no Dagster: about the least work that yields the central result,
-- to measure the pipeline against. Written from the spec, apart from the dbt models (other joins: ASOF
-- for rule 2, sliding RANGE frames for rule 5), so that agreeing with them is a cross-check of both.
-- Grain of the output table `floor_top_items`: one row per as-of day D, store and recommended item.
--
-- Inputs, as DuckDB variables:
--   landing   the landing root (`<data dir>/landing`)
--   min_date  first as-of day; max_date: the day after the last one (half-open, like the dbt vars)
-- Assumes what synthetic data guarantees: no contract violations, and every feed has at least one
-- CSV (.csv or .csv.gz) and one Parquet file somewhere in the landing zone.

set TimeZone = 'UTC';
set variable window_days = 90;
set variable top_n = 25;
set variable first_order_day = getvariable('min_date')::date - (getvariable('window_days') - 1);

-- Every file of a feed as text (CSV is text; Parquet is cast to it), with its folder's `dt`.
-- Files whose name starts with `.` or `_` are temporary files or markers, not data.
create or replace temp macro landing_text(feed) as table
    select * exclude (filename)
    from (
        select * from read_csv(getvariable('landing') || '/' || feed || '/dt=*/*.csv*',
            header = true, delim = ',', quote = '"', escape = '"', all_varchar = true, union_by_name = true,
            hive_partitioning = true, hive_types = {'dt': date}, filename = true)
        union all by name
        select columns(* exclude (dt, filename))::varchar, dt, filename
        from read_parquet(getvariable('landing') || '/' || feed || '/dt=*/*.parquet',
            union_by_name = true, hive_partitioning = true, hive_types = {'dt': date}, filename = true)
    )
    where not regexp_matches(filename, '[/\\][._][^/\\]*$');

-- Blank text is null (CSV cannot tell an empty string from a missing value).
create or replace temp macro text_value(x) as case when trim(x) <> '' then x end;

create or replace temp table as_of_days as
select cast(range as date) as as_of_date
from range(getvariable('min_date')::date, getvariable('max_date')::date, interval 1 day);

create or replace temp table stores as
select dt as snapshot_date, text_value(store_id) as store_id, text_value(market_id) as market_id,
    text_value(license_type) as license_type, lower(trim(is_active)) = 'true' as is_active
from landing_text('stores')
where dt < getvariable('max_date')::date;

create or replace temp table products as
select dt as snapshot_date, text_value(sku_id) as sku_id, text_value(category) as category,
    try_cast(trim(volume_ml) as bigint) as volume_ml, text_value(seasonal_months) as seasonal_months
from landing_text('products')
where dt < getvariable('max_date')::date;

-- Rule 1's order date is the folder's `dt` (the contract makes `ordered_at`'s UTC date equal it);
-- only the days some window needs are read.
create or replace temp table order_lines as
select dt as order_date, text_value(store_id) as store_id, text_value(sku_id) as sku_id,
    try_cast(trim(quantity) as bigint) as quantity, try_cast(trim(line_amount) as decimal(18, 4)) as line_amount
from landing_text('orders')
where dt >= getvariable('first_order_day') and dt < getvariable('max_date')::date;

-- Rule 2: for each D, the snapshot of D or the latest one before it (an ASOF join per feed).
create or replace temp table stores_as_of as
select days.as_of_date, stores.*
from as_of_days as days
asof join (select distinct snapshot_date from stores) as published on published.snapshot_date <= days.as_of_date
join stores on stores.snapshot_date = published.snapshot_date;

create or replace temp table items_as_of as
select days.as_of_date, products.sku_id, products.category,
    -- Rule 4: no nips, and in season in the month of D (no season listed: all year).
    products.volume_ml > 50 and (products.seasonal_months is null
        or list_contains([trim(m)::integer for m in string_split(products.seasonal_months, ',')], month(days.as_of_date)))
        as is_eligible
from as_of_days as days
asof join (select distinct snapshot_date from products) as published on published.snapshot_date <= days.as_of_date
join products on products.snapshot_date = published.snapshot_date;

-- Rule 3: a line's market is its store's market as of D. Days whose store->market maps are equal
-- share one attribution of the lines, so the sums below are done once per distinct map, not per D.
create or replace temp table day_maps as
select as_of_date, dense_rank() over (order by map_key) as map_id
from (
    select as_of_date, string_agg(store_id || chr(31) || market_id, chr(30) order by store_id) as map_key
    from stores_as_of
    where store_id is not null and market_id is not null
    group by as_of_date
);

create or replace temp table map_stores as
select distinct day_maps.map_id, stores_as_of.store_id, stores_as_of.market_id
from day_maps join stores_as_of using (as_of_date)
where stores_as_of.store_id is not null and stores_as_of.market_id is not null;

-- Rules 4 and 5: net units and revenue per market and eligible item over W(D) = [D-89, D], as a
-- sliding RANGE frame over daily sums; a zero row at every as-of day D where the item is eligible
-- makes D a frame end of its own.
create or replace temp table market_sums as
with map_days as (
    select map_id, min(as_of_date) - (getvariable('window_days') - 1) as first_day, max(as_of_date) as last_day
    from day_maps group by map_id
),
daily as (
    select map_days.map_id, map_stores.market_id, order_lines.sku_id, order_lines.order_date as day,
        sum(order_lines.quantity) as units, sum(order_lines.line_amount) as revenue
    from order_lines
    join map_days on order_lines.order_date between map_days.first_day and map_days.last_day
    join map_stores on map_stores.map_id = map_days.map_id and map_stores.store_id = order_lines.store_id
    where order_lines.sku_id is not null
    group by all
),
frame_ends as (
    select pairs.map_id, pairs.market_id, pairs.sku_id, day_maps.as_of_date as day, 0 as units,
        0::decimal(18, 4) as revenue, true as is_as_of_day
    from (select distinct map_id, market_id, sku_id from daily) as pairs
    join day_maps using (map_id)
    join items_as_of on items_as_of.as_of_date = day_maps.as_of_date and items_as_of.sku_id = pairs.sku_id
    where items_as_of.is_eligible
),
framed as (
    select *,
        sum(units) over last_90 as units_l90,
        sum(revenue) over last_90 as revenue_l90
    from (select *, false as is_as_of_day from daily union all by name select * from frame_ends)
    window last_90 as (partition by map_id, market_id, sku_id order by day
                       range between to_days(getvariable('window_days') - 1) preceding and current row)
)
select day as as_of_date, market_id, sku_id, units_l90, revenue_l90
from framed
where is_as_of_day and units_l90 > 0;

create or replace temp table market_top as
select market_sums.as_of_date, market_sums.market_id, market_sums.sku_id, items_as_of.category,
    cast(market_sums.units_l90 as bigint) as units_l90, cast(market_sums.revenue_l90 as decimal(38, 4)) as revenue_l90,
    cast(row_number() over (partition by market_sums.as_of_date, market_sums.market_id
        order by market_sums.units_l90 desc, market_sums.revenue_l90 desc, market_sums.sku_id) as integer) as market_rank
from market_sums
join items_as_of on items_as_of.as_of_date = market_sums.as_of_date and items_as_of.sku_id = market_sums.sku_id
where items_as_of.is_eligible
qualify market_rank <= getvariable('top_n');

-- Rules 6 and 7 read the inventory snapshots of D once: which stores sent one, and which of their
-- market's top sellers they hold (on hand > 0); the other items cannot matter.
create or replace temp table store_snapshots as
with snapshot_rows as (
    select dt as as_of_date, text_value(store_id) as store_id, text_value(sku_id) as sku_id,
        try_cast(trim(on_hand_qty) as bigint) > 0 as carried
    from landing_text('inventory')
    where dt >= getvariable('min_date')::date and dt < getvariable('max_date')::date
),
top_sellers as (select distinct as_of_date, sku_id, true as is_top from market_top)
select snapshot_rows.as_of_date, snapshot_rows.store_id,
    list(snapshot_rows.sku_id) filter (where snapshot_rows.carried and top_sellers.is_top) as carried_top_sellers
from snapshot_rows
left join top_sellers using (as_of_date, sku_id)
group by all;

-- Rules 6-9: active stores with a snapshot for D get their market's top sellers that they do not
-- carry (on hand > 0) and may sell (beer_wine: no spirits), ranked within the store.
create or replace table floor_top_items as
with candidate_stores as (
    select stores_as_of.as_of_date, stores_as_of.store_id, stores_as_of.market_id, stores_as_of.license_type
    from stores_as_of
    join store_snapshots using (as_of_date, store_id)
    where stores_as_of.is_active
),
carried as (
    select as_of_date, store_id, unnest(carried_top_sellers) as sku_id from store_snapshots
),
offered as (
    select candidate_stores.as_of_date, candidate_stores.store_id, candidate_stores.market_id,
        market_top.sku_id, market_top.market_rank, market_top.units_l90, market_top.revenue_l90
    from candidate_stores
    join market_top using (as_of_date, market_id)
    anti join carried using (as_of_date, store_id, sku_id)
    where not (candidate_stores.license_type = 'beer_wine' and market_top.category = 'spirits')
)
select as_of_date, store_id, market_id, sku_id, market_rank, units_l90, revenue_l90,
    cast(row_number() over (partition by as_of_date, store_id order by market_rank) as integer) as store_rank
from offered
order by as_of_date, store_id, store_rank;
