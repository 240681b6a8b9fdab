"""Software-defined assets, one module per layer: raw (Python), dbt (staging to exports), destinations."""
