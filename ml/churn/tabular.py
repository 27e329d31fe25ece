"""Generic tabular handling: feature-type inference, coercion, binary label parsing.

Used for simulator snapshots and for arbitrary user CSVs alike, so nothing here knows column
names: numeric vs categorical is inferred from the values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MISSING_CATEGORY = "__missing__"
POSITIVE_TOKENS = {"1", "1.0", "yes", "y", "true", "t", "churn", "churned", "positive", "pos", "left", "lost"}
NEGATIVE_TOKENS = {"0", "0.0", "no", "n", "false", "f", "retained", "stayed", "active", "negative", "neg", "kept"}
MAX_CATEGORIES = 1000  # more distinct strings than this: free text or an identifier, not a category


class LabelError(ValueError):
    """The label column cannot be read as a binary outcome."""


@dataclass
class FeatureSpec:
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)  # column -> why it is not used

    @property
    def columns(self) -> list[str]:
        return self.categorical + self.numeric


def _mostly_numeric(values: pd.Series) -> bool:
    non_null = values.dropna()
    if non_null.empty:
        return False
    parsed = pd.to_numeric(non_null.astype(str).str.strip(), errors="coerce")
    return parsed.notna().mean() >= 0.95


def infer_feature_spec(df: pd.DataFrame, exclude=()) -> FeatureSpec:
    """Classify every column not in ``exclude`` as numeric, categorical or dropped (with a reason)."""
    spec = FeatureSpec()
    n_rows = len(df)
    for column in df.columns:
        if column in exclude:
            continue
        values = df[column]
        non_null = values.dropna()
        if non_null.empty:
            spec.dropped[column] = "all values missing"
        elif non_null.nunique() <= 1:
            spec.dropped[column] = "constant"
        elif pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            spec.numeric.append(column)
        elif pd.api.types.is_datetime64_any_dtype(values):
            spec.dropped[column] = "timestamp (derive numeric features such as tenure first)"
        elif _mostly_numeric(values):
            spec.numeric.append(column)
        else:
            distinct = non_null.astype(str).nunique()
            if distinct > MAX_CATEGORIES or (n_rows > 50 and distinct >= 0.9 * len(non_null)):
                spec.dropped[column] = f"{distinct} distinct text values (identifier or free text)"
            else:
                spec.categorical.append(column)
    return spec


def coerce_features(df: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """Numeric columns to float (unparsable -> NaN), categorical to str with an explicit missing level."""
    out = pd.DataFrame(index=df.index)
    for column in spec.categorical:
        values = df[column] if column in df else pd.Series(np.nan, index=df.index)
        out[column] = values.astype(object).where(values.notna(), MISSING_CATEGORY).astype(str)
    for column in spec.numeric:
        values = df[column] if column in df else pd.Series(np.nan, index=df.index)
        if pd.api.types.is_bool_dtype(values):
            values = values.astype(float)
        out[column] = pd.to_numeric(values, errors="coerce").astype(float)
    return out


def parse_binary_label(values: pd.Series) -> tuple[np.ndarray, str]:
    """Map a two-valued label column to 0/1; returns (labels, description of the positive class).

    Positive class: the value spelled like yes/true/1/churned; otherwise for two numbers the
    larger; otherwise the rarer value. Raises :class:`LabelError` for one or >2 classes.
    Missing labels must be removed by the caller.
    """
    text = values.astype(str).str.strip()
    lowered = text.str.lower()
    distinct = sorted(lowered.unique())
    if len(distinct) < 2:
        raise LabelError(f"has only one class ({distinct[0] if distinct else 'no rows'!r}); need two")
    if len(distinct) > 2:
        shown = ", ".join(repr(v) for v in distinct[:6])
        more = ", ..." if len(distinct) > 6 else ""
        raise LabelError(f"must be binary but has {len(distinct)} distinct values ({shown}{more})")
    positives = [v for v in distinct if v in POSITIVE_TOKENS]
    negatives = [v for v in distinct if v in NEGATIVE_TOKENS]
    if len(positives) == 1 and positives[0] not in negatives:
        positive = positives[0]
    elif len(negatives) == 1:
        positive = next(v for v in distinct if v != negatives[0])
    else:
        numbers = pd.to_numeric(pd.Series(distinct), errors="coerce")
        if numbers.notna().all():
            positive = distinct[int(numbers.idxmax())]
        else:
            positive = lowered.value_counts().idxmin()  # the rarer outcome is the event of interest
    original = text[lowered == positive].iloc[0]
    return (lowered == positive).to_numpy(dtype=int), str(original)
