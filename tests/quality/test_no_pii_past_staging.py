"""No personal data past staging, in a warehouse built by the real pipeline.

Every column of every table and view in staging, intermediate, marts, analysis and ml is scanned
for values shaped like e-mail addresses or (Chinese or international) phone numbers, and for any
verbatim name, e-mail or phone of raw.customers. Customer PII may exist only in raw.
"""

from __future__ import annotations

import pandas as pd

from quality.pii import SCHEMAS_PAST_STAGING, find_patterns, raw_customer_pii, scan_tables

SCANNED = ("staging", *SCHEMAS_PAST_STAGING)


def test_no_email_or_phone_number_past_the_raw_layer(built_warehouse):
    warehouse = built_warehouse.warehouse()
    raw = raw_customer_pii(warehouse)
    # The scan is only meaningful if it recognises the PII the raw layer really holds.
    assert len(raw["email"]) > 50
    assert find_patterns(pd.Series(raw["email"]))["email"][0] == len(raw["email"])
    assert find_patterns(pd.Series(raw["phone"]))["cn_mobile"][0] == len(raw["phone"])

    findings = scan_tables(warehouse, SCANNED, raw_values=raw)
    assert not findings, "personal data past raw:\n" + "\n".join(map(str, findings))


def test_the_scan_covers_the_models_past_staging(built_warehouse):
    from quality.results import existing_tables

    tables = existing_tables(built_warehouse.warehouse(), SCANNED)
    schemas = {schema for schema, _ in tables}
    assert {"staging", "intermediate", "marts"} <= schemas
    assert ("marts", "dim_customer") in tables and "email_hash" in tables[("marts", "dim_customer")]
    assert not any(column in ("email", "phone", "full_name") for columns in tables.values() for column in columns)
