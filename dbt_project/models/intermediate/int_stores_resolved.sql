{{ config(meta={'window_column': 'as_of_date'}) }}

{#- Rule 2: the stores snapshot of D, or the latest one before D when D has none. -#}
with

snapshots as (
    select * from {{ ref('stg_stores') }}
    where snapshot_date < {{ window_end() }}
),

snapshot_in_force as (
    {{ snapshot_in_force('snapshots') }}
),

final as (
    select
        snapshot_in_force.as_of_date,
        snapshots.snapshot_date,
        snapshots.store_id,
        snapshots.store_name,
        snapshots.market_id,
        snapshots.license_type,
        snapshots.is_active
    from snapshot_in_force
    inner join snapshots using (snapshot_date)
)

select * from final
