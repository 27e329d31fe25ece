"""Experimentation analysis engine (A/B/n, factorial, sequential, Bayesian) on numpy/scipy/pandas.

Public entry points:
  analyse(summary_df, ...)              summary statistics -> results DataFrame
  analyse_experiment_users(rows, ...)   fct_experiment_user rows -> ExperimentAnalysis
  summarise_daily(daily)                fct_experiment_daily cohort sums -> analyse() input
  variant_recommendations(results)      ship / do_not_ship / keep_running / untrustworthy
  sample_size_per_arm, minimum_detectable_effect, power_at   planning
See README.md in this folder for every statistic, its formula and its source.
"""
from ml.experiments.analysis import RESULT_COLUMNS, analyse, variant_recommendations
from ml.experiments.bayesian import EffectBayesABTest, GaussianPrior
from ml.experiments.factorial import (
    factorial_anova_from_cells,
    factorial_anova_from_users,
    parse_factor_levels,
)
from ml.experiments.frequentist import (
    OneSidedTreatmentGreaterTTest,
    OneSidedTreatmentLesserTTest,
    TwoSidedTTest,
)
from ml.experiments.multiple_testing import benjamini_hochberg, holm_bonferroni
from ml.experiments.power import minimum_detectable_effect, power_at, sample_size_per_arm
from ml.experiments.sequential import SequentialTwoSidedTTest
from ml.experiments.srm import srm_test
from ml.experiments.statistics import (
    ProportionStatistic,
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    pooled_theta,
)
from ml.experiments.status import ResultStatus
from ml.experiments.users import (
    DEFAULT_METRICS,
    FACTORIAL_ANOVA_COLUMNS,
    FACTORIAL_EFFECT_COLUMNS,
    ExperimentAnalysis,
    MetricSpec,
    analyse_experiment_users,
    summarise_daily,
    summarise_users,
)

__all__ = [
    "DEFAULT_METRICS", "FACTORIAL_ANOVA_COLUMNS", "FACTORIAL_EFFECT_COLUMNS", "RESULT_COLUMNS",
    "EffectBayesABTest", "ExperimentAnalysis", "GaussianPrior", "MetricSpec",
    "OneSidedTreatmentGreaterTTest", "OneSidedTreatmentLesserTTest", "ProportionStatistic",
    "RatioStatistic", "RegressionAdjustedStatistic", "ResultStatus", "SampleMeanStatistic",
    "SequentialTwoSidedTTest", "TwoSidedTTest", "analyse", "analyse_experiment_users",
    "benjamini_hochberg", "factorial_anova_from_cells", "factorial_anova_from_users",
    "holm_bonferroni", "minimum_detectable_effect", "parse_factor_levels", "pooled_theta",
    "power_at", "sample_size_per_arm", "srm_test", "summarise_daily", "summarise_users", "variant_recommendations",
]
