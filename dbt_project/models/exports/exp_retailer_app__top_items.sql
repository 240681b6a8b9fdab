{{ config(meta={'window_column': 'as_of_date'}) }}

{#- The retailer app's feed: one row per as-of day, store and item, the store's top 25. -#}
select
    as_of_date,
    store_id,
    sku_id,
    store_rank as rank,
    market_rank,
    units_l90 as market_units_l90,
    revenue_l90 as market_revenue_l90
from {{ ref('top_items_not_carried') }}
where {{ in_window('as_of_date') }} and store_rank <= {{ export_rank_limit(this) }}
