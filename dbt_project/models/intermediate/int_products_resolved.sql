{{ config(meta={'window_column': 'as_of_date'}) }}

{#- Rule 2 for items, and rule 4: eligible = more than 50 ml and in season in the month of D. -#}
with

snapshots as (
    select * from {{ ref('stg_products') }}
    where snapshot_date < {{ window_end() }}
),

snapshot_in_force as (
    {{ snapshot_in_force('snapshots') }}
),

final as (
    select
        snapshot_in_force.as_of_date,
        snapshots.snapshot_date,
        snapshots.sku_id,
        snapshots.sku_name,
        snapshots.category,
        snapshots.volume_ml,
        snapshots.season_months,
        snapshots.volume_ml > 50
            and (snapshots.season_months is null
                 or {{ month_in_list('snapshot_in_force.as_of_date', 'snapshots.season_months') }})
            as is_eligible
    from snapshot_in_force
    inner join snapshots using (snapshot_date)
)

select * from final
