{{ config(meta={'window_column': 'as_of_date'}) }}

{#-
  Rule 3's data-quality figure: one row per as-of day D with the number of order lines of [D-89, D]
  left out of the ranking because their store or their item is unknown in D's reference data
  (a line with both unknown counts in both columns).
-#}
{%- set lookback = var('sales_window_days') - 1 -%}
with

as_of_dates as (
    select * from {{ as_of_dates() }} as as_of_dates
),

order_lines as (
    select order_date, store_id, sku_id
    from {{ ref('stg_orders') }}
    where order_date >= {{ window_start() }} - {{ lookback }} and order_date < {{ window_end() }}
),

known_stores as (
    select as_of_date, store_id from {{ ref('int_stores_resolved') }} where {{ in_window('as_of_date') }}
),

known_items as (
    select as_of_date, sku_id from {{ ref('int_products_resolved') }} where {{ in_window('as_of_date') }}
),

ordered_stores as (
    select as_of_dates.as_of_date, ordered.store_id
    from as_of_dates
    cross join (select distinct store_id from order_lines) as ordered
),

ordered_items as (
    select as_of_dates.as_of_date, ordered.sku_id
    from as_of_dates
    cross join (select distinct sku_id from order_lines) as ordered
),

unknown_stores as (
    {{ anti_join('ordered_stores', 'known_stores', ['as_of_date', 'store_id']) }}
),

unknown_items as (
    {{ anti_join('ordered_items', 'known_items', ['as_of_date', 'sku_id']) }}
),

lines_by_store as (
    select unknown_stores.as_of_date, count(*) as unknown_store_lines
    from unknown_stores
    inner join order_lines
        on order_lines.store_id = unknown_stores.store_id
        and order_lines.order_date between unknown_stores.as_of_date - {{ lookback }} and unknown_stores.as_of_date
    group by unknown_stores.as_of_date
),

lines_by_item as (
    select unknown_items.as_of_date, count(*) as unknown_item_lines
    from unknown_items
    inner join order_lines
        on order_lines.sku_id = unknown_items.sku_id
        and order_lines.order_date between unknown_items.as_of_date - {{ lookback }} and unknown_items.as_of_date
    group by unknown_items.as_of_date
),

final as (
    select
        as_of_dates.as_of_date,
        coalesce(lines_by_store.unknown_store_lines, 0) as unknown_store_lines,
        coalesce(lines_by_item.unknown_item_lines, 0) as unknown_item_lines
    from as_of_dates
    left join lines_by_store using (as_of_date)
    left join lines_by_item using (as_of_date)
)

select * from final
