{{ config(meta={'window_column': 'as_of_date'}) }}

{#-
  The central result (spec §2, rules 6-10): one row per as-of day, store and recommended item.
  A candidate store is active at D and has an inventory snapshot for D; it is offered its market's
  top sellers that it does not carry (on_hand_qty > 0), may sell (beer_wine: no spirits) and no
  consumer has suppressed for D (spec §6). Suppressed items go before store_rank is given, so the
  store gets its next item instead; market_rank is the market's and does not change.
  Every consumer export selects from here and nowhere else.
-#}
with

market_top_sellers as (
    select * from {{ ref('int_market_sales_ranked') }}
    where {{ in_window('as_of_date') }}
),

active_stores as (
    select * from {{ ref('int_stores_resolved') }}
    where {{ in_window('as_of_date') }} and is_active
),

items as (
    select * from {{ ref('int_products_resolved') }}
    where {{ in_window('as_of_date') }}
),

inventory as (
    select snapshot_date as as_of_date, store_id, sku_id, on_hand_qty
    from {{ ref('stg_inventory') }}
    where {{ in_window('snapshot_date') }}
),

stores_with_snapshot as (
    select distinct as_of_date, store_id from inventory
),

-- Only a market top seller can be excluded, so only those inventory rows are looked up: a small
-- hash table probed by the snapshot, instead of one built over every row of it.
top_seller_days as (
    select distinct as_of_date, sku_id from market_top_sellers
),

carried as (
    select inventory.as_of_date, inventory.store_id, inventory.sku_id
    from inventory
    inner join top_seller_days using (as_of_date, sku_id)
    where inventory.on_hand_qty > 0
),

offered as (
    select
        active_stores.as_of_date,
        active_stores.store_id,
        active_stores.store_name,
        active_stores.market_id,
        market_top_sellers.sku_id,
        items.sku_name,
        market_top_sellers.market_rank,
        market_top_sellers.units_l90,
        market_top_sellers.revenue_l90
    from active_stores
    inner join stores_with_snapshot using (as_of_date, store_id)
    inner join market_top_sellers using (as_of_date, market_id)
    inner join items using (as_of_date, sku_id)
    where not (active_stores.license_type = 'beer_wine' and items.category = 'spirits')
),

-- Rule 10: a request published on or before D that has not expired by D (expires_on is the last day).
suppressed as (
    select distinct offered.as_of_date, offered.store_id, offered.sku_id
    from offered
    inner join {{ ref('stg_suppressions') }} as suppressions
        on suppressions.store_id = offered.store_id
        and suppressions.sku_id = offered.sku_id
        and suppressions.requested_on <= offered.as_of_date
        and suppressions.expires_on >= offered.as_of_date
),

not_carried as (
    {{ anti_join('offered', 'carried', ['as_of_date', 'store_id', 'sku_id']) }}
),

recommendable as (
    {{ anti_join('not_carried', 'suppressed', ['as_of_date', 'store_id', 'sku_id']) }}
),

final as (
    select
        as_of_date,
        store_id,
        market_id,
        sku_id,
        market_rank,
        units_l90,
        revenue_l90,
        cast(row_number() over (partition by as_of_date, store_id order by market_rank) as integer) as store_rank,
        store_name,
        sku_name
    from recommendable
)

select * from final
