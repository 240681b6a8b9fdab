"""Where dbt builds besides the DuckDB file: Apache Spark over the Parquet lake (spark.py, spark_server.py)."""
