"""The PII scanner finds e-mail addresses and phone numbers (and verbatim raw values) anywhere past
staging, on DuckDB and PostgreSQL, without flagging hashes, UUIDs, timestamps or amounts."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pandas as pd
import pytest

from quality.pii import PATTERNS, find_patterns, mask, scan_tables


@pytest.mark.parametrize("text, kind", [
    ("li.wei@qq.com", "email"),
    ("contact: Zhang.San+vip@mail.example.com.cn please", "email"),
    ("13812345678", "cn_mobile"),
    ("call +86 138 1234 5678 tomorrow", "cn_mobile"),
    ("8613812345678", "cn_mobile"),
    ("138-1234-5678", "cn_mobile"),
    ("021-62345678", "cn_landline"),
    ("+1 415 555 0100", "intl_phone"),
    ("+44 20 7946 0958", "intl_phone"),
])
def test_pii_shapes_are_recognised(text, kind):
    assert kind in find_patterns(pd.Series([text]))


@pytest.mark.parametrize("text", [
    hashlib.sha256(b"13812345678").hexdigest(),
    "5f2b1c3e-1381-4234-8567-138123456789",  # UUID
    "a_60e973e15717", "2026-11-25 09:30:01.123", "2026-11-25T09:30:01.123+08:00",
    "1381234567", "138123456789", "order 13812345678000", "SKU-13812345678X",
    "108.10", "-1650.00", "4:1 ratio", "/app/automation", "session_start", "v=12345678901",
])
def test_ordinary_values_are_not_flagged(text):
    assert find_patterns(pd.Series([text])) == {}


def test_masking_never_shows_the_value():
    assert mask("li.wei@qq.com") == "l****@q*****"
    assert mask("13812345678") == "13*******78"


def test_scan_finds_planted_values_in_tables_and_views(wh):
    digest = hashlib.sha256(b"x").hexdigest()
    wh.write_dataframe(pd.DataFrame({
        "customer_id": [1, 2], "email_hash": [digest, digest], "amount": [Decimal("1.00"), Decimal("2.00")],
        "note": ["fine", "reach me at wang.fang@163.com"],
    }), "marts", "dim_planted")
    wh.write_dataframe(pd.DataFrame({"id": [1], "phone_as_number": [13912345678]}), "ml", "scores")
    wh.write_dataframe(pd.DataFrame({"customer_name": ["王芳"], "city": ["Shanghai"]}), "intermediate", "int_names")
    wh.write_dataframe(pd.DataFrame({"email": ["a@b.cn"]}), "staging", "stg_not_scanned")
    with wh.session() as session:
        session.execute("CREATE VIEW marts.v_planted AS SELECT note AS body FROM marts.dim_planted")

    findings = scan_tables(wh, ("intermediate", "marts", "analysis", "ml"),
                           raw_values={"full_name": ["王芳"], "email": ["nobody@example.com"]})
    found = {(f.schema, f.table, f.column, f.kind) for f in findings}
    assert found == {
        ("marts", "dim_planted", "note", "email"),
        ("marts", "v_planted", "body", "email"),
        ("ml", "scores", "phone_as_number", "cn_mobile"),
        ("intermediate", "int_names", "customer_name", "raw_full_name"),
    }
    assert all("@163.com" not in f.example and "13912345678" not in f.example for f in findings)


def test_every_pattern_has_a_positive_case():
    covered = {kind for text, kind in [("a@b.cn", "email"), ("13812345678", "cn_mobile"),
                                       ("010-12345678", "cn_landline"), ("+33 1 23 45 67 89", "intl_phone")]
               if kind in find_patterns(pd.Series([text]))}
    assert covered == set(PATTERNS)
