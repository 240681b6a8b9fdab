"""Reverse ETL: each consumer receives the newest complete partition of its one export."""
