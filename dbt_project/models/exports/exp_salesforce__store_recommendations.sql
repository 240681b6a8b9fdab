{{ config(meta={'window_column': 'as_of_date'}) }}

{#- The CRM's recommendations: one row per as-of day, store and item, the store's top 10, keyed for upsert. -#}
select
    cast(store_id || ':' || sku_id as {{ type_varchar() }}) as external_id,
    as_of_date,
    store_id,
    store_name,
    sku_id,
    sku_name,
    store_rank as recommendation_rank,
    units_l90 as market_units_l90,
    revenue_l90 as market_revenue_l90
from {{ ref('top_items_not_carried') }}
where {{ in_window('as_of_date') }} and store_rank <= {{ export_rank_limit(this) }}
