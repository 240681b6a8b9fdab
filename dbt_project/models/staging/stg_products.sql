select
    dt as snapshot_date,
    sku_id,
    sku_name,
    category,
    volume_ml,
    -- "11, 12" -> [11, 12]; empty or null means all year (null list)
    case when nullif(trim(seasonal_months), '') is not null
        then {{ month_list('seasonal_months') }}
    end as season_months
from {{ source('raw', 'products') }}
