"""Find personal data where it must not be: values that look like e-mail addresses or phone
numbers, and verbatim customer names/e-mails/phones from the raw layer.

Past staging, customer PII exists only as salted SHA-256 hashes (dbt macro hash_pii). This scan is
the safety net behind that rule: it reads every column of every table and view in the given
schemas and reports each column holding a match (with a masked example, never the value itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from quality.results import Reader, existing_tables
from quality.validation import quote

SCHEMAS_PAST_STAGING = ("intermediate", "marts", "analysis", "ml")

# Letters or digits right next to a match mean it is part of something else (a hex digest, a
# UUID, an order number), not a phone number.
_EDGE_BEFORE, _EDGE_AFTER = r"(?<![0-9A-Za-z+])", r"(?![0-9A-Za-z])"
PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    # Mainland China mobile: 1[3-9]x xxxx xxxx, optionally +86 / 86, spaces or dashes allowed.
    "cn_mobile": re.compile(_EDGE_BEFORE + r"(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}" + _EDGE_AFTER),
    # Landline with area code: 010-12345678, 0571-8765432.
    "cn_landline": re.compile(_EDGE_BEFORE + r"0\d{2,3}-\d{7,8}" + _EDGE_AFTER),
    # International format: +<country code> <area or first group> then 2-4 groups of digits.
    "intl_phone": re.compile(
        r"(?<![0-9A-Za-z])\+\d{1,3}[\s-]?(?:\(\d{1,4}\)|\d{1,4})(?:[\s-]?\d{2,5}){2,4}" + _EDGE_AFTER
    ),
}
_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in PATTERNS.values()))


@dataclass(frozen=True)
class PiiFinding:
    schema: str
    table: str
    column: str
    kind: str  # email | cn_mobile | cn_landline | intl_phone | raw_<column> (verbatim raw value)
    rows: int
    example: str  # masked

    def __str__(self) -> str:
        return f"{self.schema}.{self.table}.{self.column}: {self.rows} value(s) like {self.kind} (e.g. {self.example})"


def mask(value: str) -> str:
    """Keep the shape, hide the content: 'li.wei@qq.com' -> 'l****@q*****'."""
    text = str(value)
    if "@" in text:
        user, _, domain = text.partition("@")
        return f"{user[:1]}{'*' * 4}@{domain[:1]}{'*' * 5}"
    return text[:2] + "*" * max(len(text) - 4, 1) + text[-2:] if len(text) > 4 else "*" * len(text)


# As numbers, only a mainland mobile number fits: 1[3-9]x xxxx xxxx, or with the 86 prefix.
_MOBILE_RANGES = ((13_000_000_000, 20_000_000_000), (8_613_000_000_000, 8_620_000_000_000))


def find_patterns(values: pd.Series) -> dict[str, tuple[int, str]]:
    """kind -> (rows matching, an example match) for one column's values.

    Each distinct value is examined once (dates, categories and amounts repeat a lot); integer and
    float columns are range-checked instead of being formatted as text."""
    counts = values.dropna().value_counts(sort=False)
    if counts.empty:
        return {}
    found: dict[str, tuple[int, str]] = {}
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = pd.Series(counts.index, dtype="float64")
        phone = pd.Series(False, index=numbers.index)
        for low, high in _MOBILE_RANGES:
            phone |= (numbers >= low) & (numbers < high) & (numbers % 1 == 0)
        if phone.any():
            first = counts.index[phone.to_numpy()][0]
            found["cn_mobile"] = (int(counts[phone.to_numpy()].sum()), str(int(first)))
        return found
    text = pd.Series(counts.index.astype(str), index=counts.index)
    candidates = text.str.contains(_ANY)
    text, counts = text[candidates.to_numpy()], counts[candidates.to_numpy()]
    for kind, pattern in PATTERNS.items():
        hits = text.str.contains(pattern).to_numpy()
        if hits.any():
            example = pattern.search(text[hits].iloc[0]).group(0)  # type: ignore[union-attr]
            found[kind] = (int(counts[hits].sum()), example)
    return found


def _scannable(series: pd.Series) -> bool:
    # Timestamps, dates as datetime64 and booleans cannot hold an address or phone number.
    return not (pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_bool_dtype(series))


def scan_tables(
    reader: Reader,
    schemas: Sequence[str] = SCHEMAS_PAST_STAGING,
    raw_values: dict[str, Iterable[str]] | None = None,
) -> list[PiiFinding]:
    """Scan every column of every table/view in `schemas`.

    raw_values: e.g. {"email": [...], "phone": [...], "full_name": [...]} from raw.customers --
    a cell equal to one of them (after trimming) is reported as kind raw_<name>."""
    known = {name: set(map(str, values)) for name, values in (raw_values or {}).items()}
    findings: list[PiiFinding] = []
    for (schema, table), _columns in sorted(existing_tables(reader, schemas).items()):
        frame = reader.read_sql(f"SELECT * FROM {quote(schema)}.{quote(table)}")  # nosec B608 - quoted catalog identifiers
        for column in frame.columns:
            series = frame[column]
            if not _scannable(series):
                continue
            for kind, (rows, example) in find_patterns(series).items():
                findings.append(PiiFinding(schema, table, str(column), kind, rows, mask(example)))
            if known:
                text = series.dropna().astype(str).str.strip()
                for name, values in known.items():
                    hits = text[text.isin(values)]
                    if len(hits):
                        findings.append(PiiFinding(schema, table, str(column), f"raw_{name}",
                                                   len(hits), mask(hits.iloc[0])))
    return findings


def raw_customer_pii(reader: Reader, table: str = "raw.customers") -> dict[str, list[str]]:
    """The customers' names, e-mails and phones as ingested (to prove none of them leaks)."""
    schema, name = table.split(".")
    frame = reader.read_sql(
        f"SELECT full_name, email, phone FROM {quote(schema)}.{quote(name)}"  # nosec B608 - quoted identifiers
    )
    return {column: [str(v).strip() for v in frame[column].dropna()] for column in frame.columns}
