{#-
  One row per suppression request (spec §6): a consumer asks that an item not be recommended to a
  store from the day it published the request (requested_on) to expires_on, both included.
-#}
select
    dt as requested_on,
    store_id,
    sku_id,
    reason,
    requested_by,
    expires_on
from {{ source('raw', 'suppressions') }}
