"""Zhishu models and analytics engines: plain Python on pandas DataFrames (no Dagster, no warehouse)."""
