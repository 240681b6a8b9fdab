{{ config(meta={'window_column': 'as_of_date'}) }}

{#- The weekly email's content: one row per as-of day, store and item, the store's top 5. -#}
select
    as_of_date,
    store_id,
    store_name,
    sku_id,
    sku_name,
    store_rank as position
from {{ ref('top_items_not_carried') }}
where {{ in_window('as_of_date') }} and store_rank <= {{ export_rank_limit(this) }}
