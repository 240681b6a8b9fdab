{{ config(meta={'window_column': 'as_of_date'}) }}

{#-
  Rules 1, 3, 4 and 5: per as-of day D and market, the top sellers among eligible items over the
  90 days [D-89, D]. One row per as-of day, market and ranked item (market_rank 1..25).

  Set-based over the whole run window: order lines are attributed to markets once per distinct
  store->market map (a "map epoch"; usually one for the whole window) and summed per order day;
  each D reads its 90-day sums through `trailing_sums` (on DuckDB: total(<= D) - total(<= D-90) of
  running totals, with two ASOF joins). Lines of stores unknown at D fall out at the epoch join,
  unknown or ineligible items at the products join; both are counted in marts.order_lines_unmatched.
-#}
{%- set lookback = var('sales_window_days') - 1 -%}
with

stores as (
    select as_of_date, store_id, market_id
    from {{ ref('int_stores_resolved') }}
    where {{ in_window('as_of_date') }}
),

eligible_items as (
    select as_of_date, sku_id
    from {{ ref('int_products_resolved') }}
    where {{ in_window('as_of_date') }} and is_eligible
),

order_lines as (
    select order_date, store_id, sku_id, quantity, line_amount
    from {{ ref('stg_orders') }}
    where order_date >= {{ window_start() }} - {{ lookback }} and order_date < {{ window_end() }}
),

market_maps as (
    select as_of_date, {{ ordered_listagg("store_id || '=' || market_id", "','", "store_id") }} as map_key
    from stores
    group by as_of_date
),

epochs as (
    select as_of_date, min(as_of_date) over (partition by map_key) as epoch
    from market_maps
),

epoch_bounds as (
    select epoch, min(as_of_date) - {{ lookback }} as first_order_date, max(as_of_date) as last_order_date
    from epochs
    group by epoch
),

epoch_stores as (
    select epochs.epoch, stores.store_id, stores.market_id
    from stores
    inner join epochs on epochs.as_of_date = stores.as_of_date and epochs.epoch = stores.as_of_date
),

daily_market_sales as (
    select
        epoch_bounds.epoch,
        epoch_stores.market_id,
        order_lines.sku_id,
        order_lines.order_date,
        sum(order_lines.quantity) as units,
        sum(order_lines.line_amount) as revenue
    from order_lines
    inner join epoch_bounds
        on order_lines.order_date between epoch_bounds.first_order_date and epoch_bounds.last_order_date
    inner join epoch_stores
        on epoch_stores.epoch = epoch_bounds.epoch and epoch_stores.store_id = order_lines.store_id
    group by epoch_bounds.epoch, epoch_stores.market_id, order_lines.sku_id, order_lines.order_date
),

candidates as (
    select epochs.as_of_date, pairs.epoch, pairs.market_id, pairs.sku_id
    from (select distinct epoch, market_id, sku_id from daily_market_sales) as pairs
    inner join epochs on epochs.epoch = pairs.epoch
    inner join eligible_items on eligible_items.as_of_date = epochs.as_of_date and eligible_items.sku_id = pairs.sku_id
),

windowed as (
    {{ trailing_sums('candidates', 'daily_market_sales', ['epoch', 'market_id', 'sku_id'], 'order_date',
                     ['units', 'revenue'], var('sales_window_days')) }}
),

ranked as (
    select
        as_of_date,
        market_id,
        sku_id,
        cast(units as bigint) as units_l90,
        cast(revenue as decimal(38, 4)) as revenue_l90,
        row_number() over (
            partition by as_of_date, market_id
            order by units desc, revenue desc, sku_id asc
        ) as market_rank
    from windowed
    where units > 0
),

final as (
    select as_of_date, market_id, sku_id, cast(market_rank as integer) as market_rank, units_l90, revenue_l90
    from ranked
    where market_rank <= {{ var('market_top_n') }}
)

select * from final
