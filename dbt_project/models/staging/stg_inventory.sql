select
    dt as snapshot_date,
    store_id,
    sku_id,
    on_hand_qty
from {{ source('raw', 'inventory') }}
