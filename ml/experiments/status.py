"""Result states: every comparison carries one, so a missing number is never silent.

A numeric result field is missing (NaN / NULL) only when the row's status says why.
"""
from __future__ import annotations

from enum import Enum

import numpy as np


class ResultStatus(str, Enum):
    OK = "ok"
    BASELINE = "baseline"                  # the control row itself: nothing to compare
    INVALID_INPUT = "invalid_input"        # negative counts, sum > n for a proportion, NaN...
    MISSING_CONTROL = "missing_control"    # no control variant in the experiment/metric
    MISSING_VARIANT = "missing_variant"    # only the control is present
    NO_EXPOSURES = "no_exposures"          # n == 0 in an arm
    TOO_FEW_UNITS = "too_few_units"        # n < 2 in an arm: no variance estimate
    ZERO_DENOMINATOR = "zero_denominator"  # ratio metric whose denominator sums to 0
    ZERO_VARIANCE = "zero_variance"        # e.g. an all-zero metric in both arms
    BASELINE_ZERO = "baseline_zero"        # control mean 0: relative lift undefined
    NOT_FINITE = "not_finite"              # numerical overflow or inconsistent statistics

    def __str__(self) -> str:  # so f-strings and tables show "ok", not "ResultStatus.OK"
        return self.value


# Order of precedence when several problems apply: the first listed wins.
STATUS_PRECEDENCE = (
    ResultStatus.NO_EXPOSURES,
    ResultStatus.TOO_FEW_UNITS,
    ResultStatus.ZERO_DENOMINATOR,
    ResultStatus.ZERO_VARIANCE,
    ResultStatus.BASELINE_ZERO,
    ResultStatus.NOT_FINITE,
)

STATUS_MESSAGES = {
    ResultStatus.OK: "",
    ResultStatus.BASELINE: "control variant (baseline for the comparisons)",
    ResultStatus.NO_EXPOSURES: "an arm has no exposed units (n = 0)",
    ResultStatus.TOO_FEW_UNITS: "an arm has fewer than 2 units: variance cannot be estimated",
    ResultStatus.ZERO_DENOMINATOR: "ratio metric denominator sums to 0 in an arm",
    ResultStatus.ZERO_VARIANCE: "metric has zero variance in both arms (e.g. all values 0)",
    ResultStatus.BASELINE_ZERO: "control mean is 0: relative lift is undefined",
    ResultStatus.NOT_FINITE: "statistics are not finite (overflow or inconsistent sums)",
}


def first_failure(conditions: list[tuple[ResultStatus, np.ndarray]], shape) -> np.ndarray:
    """Vectorised status: for each element the first condition that holds, else OK.

    Returns an object array of ResultStatus (0-d for scalar inputs)."""
    status = np.full(shape, ResultStatus.OK, dtype=object)
    undecided = np.ones(shape, dtype=bool)
    for state, condition in conditions:
        hit = undecided & np.broadcast_to(np.asarray(condition, dtype=bool), shape)
        status[hit] = state
        undecided &= ~hit
    return status
