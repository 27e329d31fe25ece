"""Entry point: a long summary-statistics DataFrame in, a results DataFrame out.

Input: one row per experiment x metric x variant with sufficient statistics
  required  variant_key, n, sum
  mean      sum_squares
  ratio     sum_squares, denominator_sum, denominator_sum_squares, main_denominator_sum_product
  CUPED     covariate_sum, covariate_sum_squares, main_covariate_sum_product   (mean/proportion)
  optional  experiment_key, metric, metric_type, is_control, traffic_weight,
            higher_is_better, metric_role
(aliases accepted: variant/variation -> variant_key, users/count/exposures -> n,
 experiment -> experiment_key)

Output (`RESULT_COLUMNS`): one row per experiment x metric x variant, control included,
with estimates, intervals, p-values (raw, Holm, BH), chance to win, risk, SRM status,
guardrail flag and a decision. Pure function: no I/O, no clock, no randomness.

Everything is vectorised over rows (statistic classes accept numpy arrays), so thousands of
experiments are analysed in one pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from ml.experiments.bayesian import EffectBayesABTest, GaussianPrior
from ml.experiments.effects import DIFFERENCE_TYPES, effect_moments
from ml.experiments.frequentist import (
    OneSidedTreatmentGreaterTTest,
    OneSidedTreatmentLesserTTest,
    TwoSidedTTest,
    check_alpha,
)
from ml.experiments.inputs import (
    CORRECTIONS,
    CUPED_COLUMNS,
    ENGINES,
    RATIO_COLUMNS,
    add_planned_variants,
    prepare_summary,
    resolve_control,
)
from ml.experiments.multiple_testing import grouped_benjamini_hochberg, grouped_holm_bonferroni
from ml.experiments.sequential import DEFAULT_TUNING_PARAMETER, SequentialTwoSidedTTest
from ml.experiments.srm import DEFAULT_SRM_THRESHOLD, SRM_MISMATCH, SRM_NOT_CHECKED, SRM_OK
from ml.experiments.statistics import (
    ProportionStatistic,
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    pooled_theta,
    safe_divide,
)
from ml.experiments.status import STATUS_MESSAGES, ResultStatus

DECISION_BASELINE = "baseline"
DECISION_BETTER = "better"
DECISION_WORSE = "worse"
DECISION_INCONCLUSIVE = "inconclusive"
DECISION_UNTRUSTWORTHY = "untrustworthy"
DECISION_NO_RESULT = "no_result"

RESULT_COLUMNS = [
    "experiment_key", "metric", "metric_type", "metric_role", "higher_is_better",
    "variant_key", "is_control", "engine", "difference_type",
    "n", "mean",
    "abs_lift", "abs_ci_low", "abs_ci_high",
    "rel_lift", "ci_low", "ci_high",
    "p_value", "p_value_holm", "p_value_bh",
    "chance_to_win", "risk", "risk_control",
    "cuped_applied", "cuped_theta", "variance_reduction",
    "srm_p_value", "srm_status", "trustworthy",
    "guardrail_harm", "decision", "status", "status_message",
]
FLOAT_COLUMNS = [
    "mean", "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift", "ci_low", "ci_high",
    "p_value", "p_value_holm", "p_value_bh", "chance_to_win", "risk", "risk_control",
    "cuped_theta", "variance_reduction", "srm_p_value",
]
# Filled for every row with status "ok" (a test asserts it).
CORE_RESULT_COLUMNS = ["abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift", "ci_low", "ci_high",
                       "p_value", "p_value_holm", "p_value_bh", "chance_to_win", "risk", "risk_control"]


@dataclass(frozen=True)
class AnalysisSettings:
    engine: str = "frequentist"
    alpha: float = 0.05
    difference_type: str = "relative"
    srm_threshold: float = DEFAULT_SRM_THRESHOLD
    correction: str = "holm"
    prior: GaussianPrior = field(default_factory=GaussianPrior)
    sequential_tuning: float = DEFAULT_TUNING_PARAMETER
    win_threshold: float = 0.95  # Bayesian decision: chance to win at or above -> better
    cuped: bool = True

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {self.engine!r}")
        if self.difference_type not in DIFFERENCE_TYPES:
            raise ValueError(f"difference_type must be one of {DIFFERENCE_TYPES}, got {self.difference_type!r}")
        if self.correction not in CORRECTIONS:
            raise ValueError(f"correction must be one of {CORRECTIONS}, got {self.correction!r}")
        check_alpha(self.alpha)
        if not 0 < self.srm_threshold < 1:
            raise ValueError(f"srm_threshold must be in (0, 1), got {self.srm_threshold!r}")
        if not 0.5 < self.win_threshold < 1:
            raise ValueError(f"win_threshold must be in (0.5, 1), got {self.win_threshold!r}")
        if not self.sequential_tuning > 0:
            raise ValueError(f"sequential_tuning must be positive, got {self.sequential_tuning!r}")


# --- statistics per comparison --------------------------------------------------------------


def _statistic(cols: dict[str, np.ndarray], metric_type: str, cuped: bool):
    n = cols["n"]
    if metric_type == "ratio":
        return RatioStatistic(
            n=n,
            m_statistic=SampleMeanStatistic(n, cols["sum"], cols["sum_squares"]),
            d_statistic=SampleMeanStatistic(n, cols["denominator_sum"], cols["denominator_sum_squares"]),
            m_d_sum_of_products=cols["main_denominator_sum_product"],
        )
    if cuped:
        return RegressionAdjustedStatistic(
            n=n,
            post_statistic=SampleMeanStatistic(n, cols["sum"], cols["sum_squares"]),
            pre_statistic=SampleMeanStatistic(n, cols["covariate_sum"], cols["covariate_sum_squares"]),
            post_pre_sum_of_products=cols["main_covariate_sum_product"],
        )
    if metric_type == "proportion":
        return ProportionStatistic(n=n, sum=cols["sum"])
    return SampleMeanStatistic(n, cols["sum"], cols["sum_squares"])


STAT_COLUMNS = ("n", "sum", "sum_squares", *RATIO_COLUMNS, *CUPED_COLUMNS)


def _compare(pairs: pd.DataFrame, metric_type: str, cuped: bool, settings: AnalysisSettings) -> dict[str, np.ndarray]:
    a = _statistic({c: pairs[f"{c}_a"].to_numpy(float) for c in STAT_COLUMNS}, metric_type, cuped)
    b = _statistic({c: pairs[c].to_numpy(float) for c in STAT_COLUMNS}, metric_type, cuped)
    out: dict[str, np.ndarray] = {}
    size = len(pairs)
    if cuped:
        theta = pooled_theta(a, b)
        unadjusted = effect_moments(a, b, "absolute")
        a, b = a.with_theta(theta), b.with_theta(theta)
        adjusted = effect_moments(a, b, "absolute")
        with np.errstate(all="ignore"):
            reduction = 1 - safe_divide(adjusted.variance, unadjusted.variance)
        out["cuped_theta"] = np.broadcast_to(theta, size).astype(float)
        out["variance_reduction"] = np.asarray(reduction, dtype=float)
    higher = pairs["higher_is_better"].to_numpy(bool)
    dtype = settings.difference_type
    alpha = settings.alpha
    kw = dict(alpha=alpha)

    absolute = effect_moments(a, b, "absolute")
    relative = effect_moments(a, b, "relative")
    status = np.where(absolute.status == ResultStatus.OK, relative.status, absolute.status)
    out["status"] = status
    out["abs_lift"], out["rel_lift"] = absolute.estimate, relative.estimate

    if settings.engine == "sequential":
        tests = {d: SequentialTwoSidedTTest(a, b, difference_type=d, tuning_parameter=settings.sequential_tuning, **kw)
                 .compute_result() for d in DIFFERENCE_TYPES}
        intervals = tests
        p_value = tests[dtype].p_value
    else:
        tests = {d: TwoSidedTTest(a, b, difference_type=d, **kw).compute_result() for d in DIFFERENCE_TYPES}
        p_value = tests[dtype].p_value
        intervals = tests
    bayes = {}
    for d in DIFFERENCE_TYPES:
        prior = settings.prior if d == dtype else GaussianPrior()
        bayes[d] = [
            EffectBayesABTest(a, b, difference_type=d, prior=prior, higher_is_better=h, **kw).compute_result()
            for h in (True, False)
        ]
    if settings.engine == "bayesian":
        intervals = {d: bayes[d][0] for d in DIFFERENCE_TYPES}  # interval does not depend on direction
    out["abs_ci_low"], out["abs_ci_high"] = intervals["absolute"].ci_low, intervals["absolute"].ci_high
    out["ci_low"], out["ci_high"] = intervals["relative"].ci_low, intervals["relative"].ci_high
    out["p_value"] = p_value
    pick = lambda attr: np.where(higher, getattr(bayes[dtype][0], attr), getattr(bayes[dtype][1], attr))
    out["chance_to_win"] = pick("chance_to_win")
    out["risk"] = pick("risk_treatment")
    out["risk_control"] = pick("risk_control")

    # Guardrail harm: a significant move in the harmful direction.
    if settings.engine == "frequentist":
        lesser = OneSidedTreatmentLesserTTest(a, b, difference_type=dtype, **kw).compute_result().p_value
        greater = OneSidedTreatmentGreaterTTest(a, b, difference_type=dtype, **kw).compute_result().p_value
        harm = np.where(higher, lesser, greater) < alpha
    elif settings.engine == "sequential":
        harm = np.where(higher, tests[dtype].ci_high < 0, tests[dtype].ci_low > 0)
    else:
        harm = (1 - out["chance_to_win"]) >= 1 - alpha
    out["harm"] = np.asarray(harm, dtype=bool)
    return out


# --- the entry point ------------------------------------------------------------------------


def analyse(
    summary: pd.DataFrame,
    *,
    control: str | Mapping[str, str] | None = None,
    metric_type: str | None = None,
    engine: str = "frequentist",
    alpha: float = 0.05,
    difference_type: str = "relative",
    traffic_weights: Mapping | None = None,
    srm_threshold: float = DEFAULT_SRM_THRESHOLD,
    correction: str = "holm",
    prior: GaussianPrior | None = None,
    sequential_tuning: float = DEFAULT_TUNING_PARAMETER,
    higher_is_better: bool | None = None,
    metric_role: str | None = None,
    win_threshold: float = 0.95,
    cuped: bool = True,
    strict: bool = False,
) -> pd.DataFrame:
    """Analyse every experiment x metric in `summary`; see the module docstring for columns.

    control: control variant name (or {experiment_key: name}); default the is_control column,
      else the variant named "control".
    metric_type: applies to rows without a metric_type column; None infers it (ratio if
      denominator sums are present, proportion if sum_squares == sum with 0 <= sum <= n).
    traffic_weights: planned shares {variant: w} or {experiment: {variant: w}} for the SRM
      check (default: the traffic_weight column, else equal). Planned variants without rows
      appear with n = 0 and status no_exposures.
    prior: Gaussian prior on the effect (difference_type scale) for chance to win / risk.
    strict: raise ValueError on invalid rows instead of marking them status invalid_input.
    Structural problems (missing columns, unknown options) always raise ValueError.
    """
    settings = AnalysisSettings(
        engine=engine, alpha=alpha, difference_type=difference_type, srm_threshold=srm_threshold,
        correction=correction, prior=prior or GaussianPrior(), sequential_tuning=sequential_tuning,
        win_threshold=win_threshold, cuped=cuped,
    )
    frame = prepare_summary(summary, metric_type, higher_is_better, metric_role, strict)
    frame["_planned_missing"] = False
    frame = add_planned_variants(frame, traffic_weights)
    frame["_planned_missing"] = frame["_planned_missing"].fillna(False).astype(bool)
    frame["is_control"] = resolve_control(frame, control).to_numpy()
    keys = ["experiment_key", "metric"]

    group = frame.groupby(keys, sort=False)
    n_controls = group["is_control"].transform("sum")
    n_variants = (~frame["is_control"]).groupby([frame[k] for k in keys]).transform("sum")
    types_per_group = group["metric_type"].transform("nunique")

    status = pd.Series(ResultStatus.OK, index=frame.index, dtype=object)
    message = pd.Series("", index=frame.index, dtype=object)
    invalid = frame["_problem"] != ""
    status[invalid], message[invalid] = ResultStatus.INVALID_INPUT, frame.loc[invalid, "_problem"]
    mixed = (types_per_group > 1) & ~invalid
    status[mixed] = ResultStatus.INVALID_INPUT
    message[mixed] = "rows of one metric have different metric_type values"
    no_control = (n_controls == 0) & (status == ResultStatus.OK)
    status[no_control] = ResultStatus.MISSING_CONTROL
    for idx in frame.index[no_control]:
        present = sorted(frame.loc[group.indices[tuple(frame.loc[idx, keys])], "variant_key"])
        wanted = f"control variant {str(control)!r}" if control is not None else "a control variant (is_control or a variant named 'control')"
        message[idx] = f"experiment {frame.at[idx, 'experiment_key']!r}, metric {frame.at[idx, 'metric']!r}: {wanted} not found among {present}"
    many = (n_controls > 1) & (status == ResultStatus.OK)
    status[many], message[many] = ResultStatus.INVALID_INPUT, "more than one control variant in this experiment"
    control_rows = frame["is_control"] & (status == ResultStatus.OK)
    lonely = control_rows & (n_variants == 0)
    status[lonely], message[lonely] = ResultStatus.MISSING_VARIANT, "only the control variant is present: nothing to compare"
    status[control_rows & ~lonely] = ResultStatus.BASELINE
    message[control_rows & ~lonely] = STATUS_MESSAGES[ResultStatus.BASELINE]

    # Pair every treatment row with its control row.
    ctrl = frame.loc[frame["is_control"], keys + list(STAT_COLUMNS) + ["_problem"]]
    ctrl = ctrl.drop_duplicates(keys)  # duplicates are already flagged above
    ctrl = ctrl.rename(columns={c: f"{c}_a" for c in [*STAT_COLUMNS, "_problem"]})
    treat = frame.loc[~frame["is_control"] & (status == ResultStatus.OK)]
    pairs = treat.reset_index(names="_row").merge(ctrl, on=keys, how="left").set_index("_row")
    bad_control = pairs["_problem_a"].fillna("") != ""
    for idx in pairs.index[bad_control]:
        status[idx] = ResultStatus.INVALID_INPUT
        message[idx] = f"control row is invalid: {pairs.at[idx, '_problem_a']}"
    pairs = pairs.loc[~bad_control]

    results = {c: np.full(len(frame), np.nan) for c in
               ["abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift", "ci_low", "ci_high", "p_value",
                "chance_to_win", "risk", "risk_control", "cuped_theta", "variance_reduction"]}
    harm = np.zeros(len(frame), dtype=bool)
    cuped_applied = np.zeros(len(frame), dtype=bool)
    if len(pairs):
        has_cov = pairs[list(CUPED_COLUMNS)].notna().all(axis=1) & pairs[[f"{c}_a" for c in CUPED_COLUMNS]].notna().all(axis=1)
        use_cuped = has_cov & pairs["metric_type"].isin(["mean", "proportion"]) & settings.cuped
        for (kind, with_cuped), chunk in pairs.groupby([pairs["metric_type"], use_cuped], sort=False):
            out = _compare(chunk, kind, bool(with_cuped), settings)
            rows = frame.index.get_indexer(chunk.index)
            for col in results:
                if col in out:
                    results[col][rows] = out[col]
            harm[rows] = out["harm"]
            cuped_applied[rows] = bool(with_cuped)
            chunk_status = out["status"]
            for pos, (idx, state) in enumerate(zip(chunk.index, chunk_status)):
                if state != ResultStatus.OK:
                    status[idx] = state
                    message[idx] = _status_message(state, frame.loc[idx], chunk.iloc[pos])

    result_ok = (status == ResultStatus.OK).to_numpy()
    baseline_zero = (status == ResultStatus.BASELINE_ZERO).to_numpy()
    keep_absolute = result_ok | baseline_zero
    for col in results:
        mask = keep_absolute if col in ("abs_lift", "abs_ci_low", "abs_ci_high", "cuped_theta", "variance_reduction") else result_ok
        if col == "p_value" and settings.difference_type == "absolute":
            mask = keep_absolute
        results[col] = np.where(mask, results[col], np.nan)
    # Relative-lift CI bounds under BASELINE_ZERO are undefined; Bayesian/p on relative too.

    frame["_status"], frame["_message"] = status, message
    out = frame[keys + ["variant_key", "metric_type", "metric_role", "higher_is_better", "is_control", "n"]].copy()
    for col, values in results.items():
        out[col] = values
    out["cuped_applied"] = cuped_applied
    out["mean"] = _arm_means(frame)
    _add_adjusted_p_values(out, frame, settings)
    _add_srm(out, frame, settings)
    out["engine"], out["difference_type"] = settings.engine, settings.difference_type
    out["guardrail_harm"] = harm & (out["metric_role"] == "guardrail").to_numpy() & keep_absolute
    out["status"] = [str(s) for s in status]
    out["status_message"] = message.to_numpy()
    out["decision"] = _decisions(out, settings)
    return _finalise(out)


def _status_message(state: ResultStatus, row: pd.Series, pair: pd.Series) -> str:
    where = f"experiment {row['experiment_key']!r}, metric {row['metric']!r}, variant {row['variant_key']!r} vs control"
    detail = STATUS_MESSAGES[state]
    if state in (ResultStatus.NO_EXPOSURES, ResultStatus.TOO_FEW_UNITS):
        detail += f" (control n={pair['n_a']:g}, variant n={pair['n']:g})"
    if state == ResultStatus.NO_EXPOSURES and row.get("_planned_missing", False):
        detail = f"variant is planned (traffic weight {row['traffic_weight']:g}) but has no exposures"
    return f"{where}: {detail}"


def _arm_means(frame: pd.DataFrame) -> np.ndarray:
    ratio = (frame["metric_type"] == "ratio").to_numpy()
    with np.errstate(all="ignore"):
        denominators = np.where(ratio, frame["denominator_sum"].to_numpy(float), frame["n"].to_numpy(float))
        return safe_divide(frame["sum"].to_numpy(float), denominators)


def _add_adjusted_p_values(out: pd.DataFrame, frame: pd.DataFrame, settings: AnalysisSettings) -> None:
    """Holm and BH across the variants of each experiment x metric (control rows have no p)."""
    groups = out["experiment_key"].astype(str) + "\x1f" + out["metric"].astype(str)
    p = out["p_value"].to_numpy(dtype=float)
    out["p_value_holm"] = grouped_holm_bonferroni(p, groups.to_numpy())
    out["p_value_bh"] = grouped_benjamini_hochberg(p, groups.to_numpy())


def _add_srm(out: pd.DataFrame, frame: pd.DataFrame, settings: AnalysisSettings) -> None:
    from scipy import stats

    keys = [frame["experiment_key"], frame["metric"]]
    n = frame["n"].astype(float)
    valid_n = n.notna() & (n >= 0) & (n % 1 == 0)
    group_valid = valid_n.groupby(keys).transform("all")
    w = frame["traffic_weight"].astype(float)
    group_valid &= (w.notna() & (w > 0)).groupby(keys).transform("all")
    total = n.groupby(keys).transform("sum")
    share = w / w.groupby(keys).transform("sum")
    expected = total * share
    with np.errstate(all="ignore"):
        contribution = (n - expected) ** 2 / expected
    chi2 = contribution.groupby(keys).transform("sum")
    k = n.groupby(keys).transform("size")
    checkable = group_valid & (k >= 2) & (total > 0)
    p = np.where(checkable, stats.chi2.sf(chi2.to_numpy(float), np.maximum(k.to_numpy() - 1, 1)), np.nan)
    out["srm_p_value"] = p
    out["srm_status"] = np.where(~checkable, SRM_NOT_CHECKED, np.where(p < settings.srm_threshold, SRM_MISMATCH, SRM_OK))
    out["trustworthy"] = out["srm_status"] != SRM_MISMATCH


def _decisions(out: pd.DataFrame, settings: AnalysisSettings) -> np.ndarray:
    status = out["status"].to_numpy()
    ok = status == ResultStatus.OK.value
    adjusted = {"holm": out["p_value_holm"], "bh": out["p_value_bh"], "none": out["p_value"]}[settings.correction]
    higher = out["higher_is_better"].to_numpy(bool)
    lift = out["abs_lift"].to_numpy(float)
    good_direction = np.where(higher, lift > 0, lift < 0)
    if settings.engine == "bayesian":
        ctw = out["chance_to_win"].to_numpy(float)
        better = ctw >= settings.win_threshold
        worse = ctw <= 1 - settings.win_threshold
    else:
        significant = adjusted.to_numpy(float) < settings.alpha
        better = significant & good_direction
        worse = significant & ~good_direction
    worse = worse | out["guardrail_harm"].to_numpy(bool)
    decision = np.where(better, DECISION_BETTER, np.where(worse, DECISION_WORSE, DECISION_INCONCLUSIVE))
    decision = np.where(out["srm_status"].to_numpy() == SRM_MISMATCH, DECISION_UNTRUSTWORTHY, decision)
    decision = np.where(ok, decision, DECISION_NO_RESULT)
    return np.where(status == ResultStatus.BASELINE.value, DECISION_BASELINE, decision)


def _finalise(out: pd.DataFrame) -> pd.DataFrame:
    out = out[RESULT_COLUMNS].copy()
    for col in FLOAT_COLUMNS:
        out[col] = pd.array(np.asarray(out[col], dtype=float), dtype="Float64")
    n = out["n"].astype(float)
    out["n"] = n.where(n % 1 == 0).astype("Int64")
    for col in ("is_control", "higher_is_better", "cuped_applied", "trustworthy", "guardrail_harm"):
        out[col] = out[col].astype(bool)
    return out


def variant_recommendations(results: pd.DataFrame) -> pd.DataFrame:
    """One row per experiment x treatment variant: ship / do_not_ship / keep_running / untrustworthy.

    ship: the primary metric is better and no guardrail is harmed; do_not_ship: the primary
    metric is worse or a guardrail is harmed; untrustworthy: SRM; else keep_running."""
    rows = []
    treat = results.loc[~results["is_control"]]
    for (experiment, variant), grp in treat.groupby(["experiment_key", "variant_key"], sort=False):
        primary = grp.loc[grp["metric_role"] == "primary"]
        harmed = sorted(grp.loc[grp["guardrail_harm"], "metric"])
        if (grp["srm_status"] == SRM_MISMATCH).any():
            verdict = "untrustworthy"
        elif harmed or (primary["decision"] == DECISION_WORSE).any():
            verdict = "do_not_ship"
        elif len(primary) and (primary["decision"] == DECISION_BETTER).all():
            verdict = "ship"
        else:
            verdict = "keep_running"
        rows.append(dict(experiment_key=experiment, variant_key=variant, recommendation=verdict,
                         harmed_guardrails=",".join(harmed)))
    return pd.DataFrame(rows, columns=["experiment_key", "variant_key", "recommendation", "harmed_guardrails"])
