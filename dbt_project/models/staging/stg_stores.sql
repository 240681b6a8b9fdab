select
    dt as snapshot_date,
    store_id,
    store_name,
    market_id,
    license_type,
    is_active
from {{ source('raw', 'stores') }}
