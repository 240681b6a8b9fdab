select
    dt as order_date,
    order_id,
    line_number,
    store_id,
    sku_id,
    quantity,
    line_amount,
    ordered_at
from {{ source('raw', 'orders') }}
