"""Data quality for the Zhishu warehouse: Great Expectations suites, results, PII scanning.

Plain Python (no Dagster): orchestration/quality.py wraps these as blocking asset checks.

- specs.py     suites as data (quality/suites/*.yml + the ingestion contract in sources.yaml)
- runner.py    run a suite on a DataFrame with Great Expectations -> result rows
- validation.py read a table's batch from the warehouse, validate, write audit.dq_results
- results.py   the audit.dq_results table (DuckDB and PostgreSQL)
- quarantine.py quarantined-row counts (audit.quarantine) as a data-quality metric
- pii.py       scan warehouse tables for values that look like e-mail addresses / phone numbers
"""
