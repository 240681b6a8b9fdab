{{ config(meta={'window_column': 'as_of_date'}) }}

{#-
  One row per as-of day D: the figures that tell a normal day from one where something slipped
  through the row contract (spec §4, "a drop far beyond normal"): identifiers an upstream producer
  re-keyed, stores or items unknown to the reference, and the shape of the central result. Each
  share is judged against the days before it by a test that holds D back for every consumer.
-#}
with

inventory as (
    select snapshot_date as as_of_date, sku_id
    from {{ ref('stg_inventory') }}
    where {{ in_window('snapshot_date') }}
),

order_lines as (
    select order_date as as_of_date, store_id, sku_id
    from {{ ref('stg_orders') }}
    where {{ in_window('order_date') }}
),

known_stores as (
    select as_of_date, store_id, is_active from {{ ref('int_stores_resolved') }} where {{ in_window('as_of_date') }}
),

known_items as (
    select as_of_date, sku_id from {{ ref('int_products_resolved') }} where {{ in_window('as_of_date') }}
),

snapshot_stores as (
    select distinct snapshot_date as as_of_date, store_id
    from {{ ref('stg_inventory') }}
    where {{ in_window('snapshot_date') }}
),

recommended as (
    select as_of_date, store_id, sku_id
    from {{ ref('top_items_not_carried') }}
    where as_of_date >= {{ window_start() }} - 1 and as_of_date < {{ window_end() }}
),

-- Counts are count(case ...), not sum(1/0): a bigint on every engine (DuckDB's sum of integers is a hugeint).
inventory_by_day as (
    select
        inventory.as_of_date,
        count(*) as inventory_rows,
        count(case when known_items.sku_id is null then 1 end) as inventory_unknown_item_rows
    from inventory
    left join known_items
        on known_items.as_of_date = inventory.as_of_date
        and known_items.sku_id = inventory.sku_id
    group by inventory.as_of_date
),

orders_by_day as (
    select
        order_lines.as_of_date,
        count(*) as order_lines,
        count(case when known_stores.store_id is null then 1 end) as order_lines_unknown_store,
        count(case when known_items.sku_id is null then 1 end) as order_lines_unknown_item
    from order_lines
    left join known_stores
        on known_stores.as_of_date = order_lines.as_of_date
        and known_stores.store_id = order_lines.store_id
    left join known_items
        on known_items.as_of_date = order_lines.as_of_date
        and known_items.sku_id = order_lines.sku_id
    group by order_lines.as_of_date
),

candidates_by_day as (
    select snapshot_stores.as_of_date, count(*) as candidate_stores
    from snapshot_stores
    inner join known_stores
        on known_stores.as_of_date = snapshot_stores.as_of_date
        and known_stores.store_id = snapshot_stores.store_id
    where known_stores.is_active
    group by snapshot_stores.as_of_date
),

store_lists as (
    select as_of_date, store_id, count(*) as items, {{ ordered_listagg("sku_id", "','", "sku_id") }} as skus
    from recommended
    group by as_of_date, store_id
),

lists_by_day as (
    select
        today.as_of_date,
        count(*) as recommended_stores,
        cast(sum(today.items) as bigint) as recommendations,
        count(yesterday.store_id) as stores_compared,
        count(case when today.skus <> yesterday.skus then 1 end) as stores_list_changed
    from store_lists as today
    left join store_lists as yesterday
        on yesterday.store_id = today.store_id
        and yesterday.as_of_date = today.as_of_date - 1
    where {{ in_window('today.as_of_date') }}
    group by today.as_of_date
),

as_of_dates as (
    select * from {{ as_of_dates() }} as as_of_dates
),

final as (
    select
        as_of_dates.as_of_date,
        coalesce(inventory_by_day.inventory_rows, 0) as inventory_rows,
        coalesce(inventory_by_day.inventory_unknown_item_rows, 0) as inventory_unknown_item_rows,
        coalesce(orders_by_day.order_lines, 0) as order_lines,
        coalesce(orders_by_day.order_lines_unknown_store, 0) as order_lines_unknown_store,
        coalesce(orders_by_day.order_lines_unknown_item, 0) as order_lines_unknown_item,
        coalesce(candidates_by_day.candidate_stores, 0) as candidate_stores,
        coalesce(lists_by_day.recommended_stores, 0) as recommended_stores,
        coalesce(lists_by_day.recommendations, 0) as recommendations,
        coalesce(lists_by_day.stores_compared, 0) as stores_compared,
        coalesce(lists_by_day.stores_list_changed, 0) as stores_list_changed,
        cast(inventory_by_day.inventory_unknown_item_rows as {{ type_double() }})
            / nullif(inventory_by_day.inventory_rows, 0) as inventory_unknown_item_share,
        cast(orders_by_day.order_lines_unknown_store as {{ type_double() }})
            / nullif(orders_by_day.order_lines, 0) as order_lines_unknown_store_share,
        cast(orders_by_day.order_lines_unknown_item as {{ type_double() }})
            / nullif(orders_by_day.order_lines, 0) as order_lines_unknown_item_share,
        cast(lists_by_day.recommendations as {{ type_double() }})
            / nullif(candidates_by_day.candidate_stores, 0) as recommendations_per_candidate_store,
        cast(lists_by_day.stores_list_changed as {{ type_double() }})
            / nullif(lists_by_day.stores_compared, 0) as stores_list_changed_share
    from as_of_dates
    left join inventory_by_day using (as_of_date)
    left join orders_by_day using (as_of_date)
    left join candidates_by_day using (as_of_date)
    left join lists_by_day using (as_of_date)
)

select * from final
