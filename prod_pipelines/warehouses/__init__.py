"""The engines dbt builds on, as the pipeline sees them: what it reads back of what dbt built (built.py,
for the DuckDB file and for Spark), the copy consumers are served from (serving.py), and Apache Spark
over the Parquet lake (spark.py: the lake's tables; spark_server.py: a local Thrift server)."""
