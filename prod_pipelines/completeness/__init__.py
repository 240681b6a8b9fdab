"""Completeness: every check judged per as-of day, and one verdict per day that delivery reads."""
