"""Churn risk: a telecom-style CRM export trains with its mapping file alone and gets close to
the best possible ROC-AUC on planted signal; the demo store's churn is found; errors are clear.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from personalization.churn import evaluate_churn, plot_curves, train_churn
from personalization.demo_data import generate, load
from personalization.features import LABEL, read_features
from personalization.hashing import IdHasher
from personalization.imports.mapping import load_mapping
from personalization.imports.runner import run_import
from personalization.store import Store, migrate
from tests.test_imports import MAPPINGS

NOW = datetime(2026, 11, 27)


def telecom_export(path: Path, n: int, seed: int) -> pd.Series:
    """A CSV shaped like a telecom CRM export; returns each customer's true churn probability."""
    rng = np.random.default_rng(seed)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.21, 0.24])
    tenure = np.where(contract == "Month-to-month", rng.integers(0, 40, n), rng.integers(0, 73, n))
    internet = rng.choice(["DSL", "Fiber optic", "No"], n, p=[0.34, 0.44, 0.22])
    support = np.where(internet == "No", "No internet service", rng.choice(["Yes", "No"], n))
    payment = rng.choice(["Electronic check", "Mailed check", "Bank transfer (automatic)",
                          "Credit card (automatic)"], n)  # fmt: skip
    senior = (rng.random(n) < 0.16).astype(int)
    partner = rng.choice(["Yes", "No"], n)
    paperless = rng.choice(["Yes", "No"], n, p=[0.6, 0.4])
    monthly = np.round(20 + 25 * (internet == "DSL") + 55 * (internet == "Fiber optic")
                       + rng.normal(0, 8, n), 2)  # fmt: skip
    total = [f"{m * t:,.2f}" if t > 0 else " " for m, t in zip(monthly, tenure, strict=True)]
    logit = (-1.6 + 1.3 * (contract == "Month-to-month") - 0.9 * (contract == "Two year")
             - 0.035 * tenure + 0.9 * (internet == "Fiber optic") - 0.6 * (internet == "No")
             + 0.5 * (payment == "Electronic check") - 0.45 * (support == "Yes")
             + 0.35 * senior - 0.2 * (partner == "Yes") + 0.3 * (paperless == "Yes"))  # fmt: skip
    probability = 1 / (1 + np.exp(-logit))
    churn = rng.random(n) < probability
    ids = [f"{rng.integers(1000, 9999)}-{i:05d}" for i in range(n)]
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customerID", "gender", "SeniorCitizen", "Partner", "tenure",
                         "InternetService", "TechSupport", "Contract", "PaperlessBilling",
                         "PaymentMethod", "MonthlyCharges", "TotalCharges", "Churn"])  # fmt: skip
        for i in range(n):
            writer.writerow([ids[i], rng.choice(["Female", "Male"]), senior[i], partner[i],
                             tenure[i], internet[i], support[i], contract[i], paperless[i],
                             payment[i], monthly[i], total[i],
                             "Yes" if churn[i] else "No"])  # fmt: skip
    return pd.Series(probability, index=ids)


def sqlite_store(tmp_path: Path) -> Store:
    url = f"sqlite:///{tmp_path / 'profiles.db'}"
    migrate.upgrade(url)
    return Store.from_url(url)


def test_a_telecom_crm_export_trains_with_its_mapping_alone(tmp_path):
    store = sqlite_store(tmp_path)
    truth = telecom_export(tmp_path / "telco.csv", 3000, seed=21)
    report = run_import(tmp_path / "telco.csv", load_mapping(MAPPINGS / "telecom_crm.yml"),
                        store, IdHasher(b"k" * 32), progress=False)  # fmt: skip
    assert report.rejected == 0
    frame = read_features(store, now=NOW)
    evaluation = evaluate_churn(frame, random_state=1)
    print(evaluation)
    held_out = evaluation.y_test
    assert len(held_out) == 750
    # the best any model can do on these customers: rank them by their true probability
    best = roc_auc_score(held_out, truth.loc[held_out.index])
    print(f"best possible ROC-AUC {best:.3f}, model {evaluation.metrics['roc_auc']:.3f}")
    assert evaluation.metrics["roc_auc"] > best - 0.03
    assert set(evaluation.model.cv_auc) == {"logistic_regression", "gradient_boosting"}
    named = {d.feature for d in evaluation.drivers}
    assert {"attr_contract", "attr_tenure"} & named
    png = plot_curves(evaluation.model, tmp_path / "curves.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_demo_churn_is_found_and_probabilities_are_calibrated(tmp_path):
    store = sqlite_store(tmp_path)
    load(store, generate(2500, seed=12, now=NOW), progress=False)
    frame = read_features(store, now=NOW)
    evaluation = evaluate_churn(frame)
    assert evaluation.metrics["roc_auc"] > 0.8
    assert abs(evaluation.risk_test.mean() - evaluation.y_test.mean()) < 0.04
    assert evaluation.metrics["brier"] < 0.16
    model = evaluation.model
    joblib.dump(model, tmp_path / "churn.joblib")
    again = joblib.load(tmp_path / "churn.joblib")
    sample = frame.drop(columns=[LABEL]).iloc[:50]
    np.testing.assert_array_equal(again.predict_risk(sample), model.predict_risk(sample))
    # columns in another order, an extra one: the same risk
    shuffled = sample[sample.columns[::-1]].assign(extra=1)
    np.testing.assert_allclose(model.predict_risk(shuffled), model.predict_risk(sample))


def test_no_label_or_too_few_churners_is_a_clear_error():
    frame = pd.DataFrame({"tenure_days": np.arange(100.0), LABEL: pd.NA})
    with pytest.raises(ValueError, match="No churn label"):
        train_churn(frame)
    frame[LABEL] = [True] * 3 + [False] * 97
    with pytest.raises(ValueError, match="Only 3 labelled customers churned"):
        train_churn(frame)
