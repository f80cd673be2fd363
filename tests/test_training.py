"""Training every model, the artifacts on disk, and scoring every customer in chunks."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from personalization.features import read_features
from personalization.store import schema as t
from personalization.training import ArtifactError, load_models, score_customers
from personalization.training.report import write_report
from personalization.training.scoring import score_frame
from tests.commands import personalization_cli

NOW = datetime(2026, 11, 27)


def test_training_writes_every_artifact_with_its_metadata(trained):
    _, folder, models, lines = trained
    assert {p.name for p in folder.iterdir()} == {"metadata.json", "features.joblib",
                                                  "segments.joblib", "churn.joblib",
                                                  "recommender.joblib"}  # fmt: skip
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["version"] == models.version and metadata["trained_at"].startswith("2026")
    assert metadata["data_fingerprint"]["customers"] == 1200
    assert metadata["data_fingerprint"]["consent_decisions"] > 0
    assert set(metadata["libraries"]) >= {"scikit-learn", "pandas", "numpy", "python"}
    churn = metadata["metrics"]["churn"]
    assert churn["roc_auc"] > 0.75 and {"pr_auc", "brier", "drivers", "cv_auc"} <= set(churn)
    recommender = metadata["metrics"]["recommender"]
    assert recommender["hit_rate_at_5"] > recommender["popularity_hit_rate_at_5"]
    assert metadata["metrics"]["segments"]["k"] == len(models.personas) >= 2
    assert "spend" in metadata["features"]
    assert any("churn model" in line for line in lines)  # progress is shown


def test_loaded_models_give_the_same_answers(trained):
    store, folder, models, _ = trained
    again = load_models(folder)
    frame = read_features(store, now=NOW, granted_to="personalization").iloc[:200]
    first, second = score_frame(models, frame), score_frame(again, frame)
    assert first.equals(second)
    assert again.recommender.recommend("C0000003") == models.recommender.recommend("C0000003")


def test_chunked_scoring_equals_scoring_in_one_go(trained):
    store, folder, models, _ = trained
    granted = models.metadata["customers_used"]  # those who allow personalization
    assert 900 < granted < 1200
    done = score_customers(store, models, chunk_customers=97, now=NOW, progress=False)
    assert done == granted
    with store.begin() as conn:
        stored = {r.customer_id: r for r in conn.execute(select(t.scores))}
    whole = score_frame(models, read_features(store, now=NOW, granted_to="personalization"))
    assert len(stored) == len(whole) == granted
    assert [stored[c].segment for c in whole.index] == list(whole.segment)
    np.testing.assert_allclose([stored[c].churn_risk for c in whole.index], whole.churn_risk)
    profile = store.profile(whole.index[10])
    assert profile.persona == models.personas[int(profile.segment)].name
    assert profile.model_version == models.version


def test_the_report_shows_segments_churn_and_recommendations(trained, tmp_path):
    store, _, models, _ = trained
    page = write_report(store, models, tmp_path / "report")
    text = page.read_text()
    for persona in models.personas.values():
        assert persona.name in text
    churn = models.metadata["metrics"]["churn"]
    assert f"ROC-AUC {churn['roc_auc']:.3f}" in text and "What drives risk" in text
    assert "Hit rate at 5" in text
    for picture in ("segments.png", "churn_curves.png", "churn_risk.png"):
        assert f"src='{picture}'" in text
        assert (tmp_path / "report" / picture).read_bytes()[:4] == b"\x89PNG"


def broken(folder: Path, tmp_path: Path, name: str) -> Path:
    copy = tmp_path / name
    copy.mkdir()
    for path in folder.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    return copy


def test_missing_corrupt_or_incompatible_artifacts_are_clear_errors(trained, tmp_path):
    _, folder, _, _ = trained
    with pytest.raises(ArtifactError, match="No trained models.*personalization train"):
        load_models(tmp_path / "nowhere")
    corrupt = broken(folder, tmp_path, "corrupt")
    (corrupt / "churn.joblib").write_bytes(b"not a pickle at all")
    with pytest.raises(ArtifactError, match="churn.joblib is corrupt"):
        load_models(corrupt)
    missing = broken(folder, tmp_path, "missing")
    (missing / "features.joblib").unlink()
    with pytest.raises(ArtifactError, match="features.joblib is missing"):
        load_models(missing)
    old = broken(folder, tmp_path, "old")
    metadata = json.loads((old / "metadata.json").read_text())
    metadata["libraries"]["scikit-learn"] = "0.24.2"
    (old / "metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(ArtifactError, match="scikit-learn 0.24.2.*train again"):
        load_models(old)


def test_the_train_and_score_commands(tmp_path):
    command = personalization_cli(f"sqlite:///{tmp_path / 'p.db'}")

    assert command("db", "upgrade").returncode == 0
    assert command("demo-data", "--customers", "400", "--quiet").returncode == 0
    missing = command("score", "--models", str(tmp_path / "models"))
    assert missing.returncode == 2 and "No trained models" in missing.stderr
    personas = tmp_path / "personas.yml"
    personas.write_text("segments:\n  0: {name: Everyday shoppers}\n  1: {nmae: typo}\n")
    bad = command("train", "--out", str(tmp_path / "models"), "--personas", str(personas))
    assert bad.returncode == 2 and "line 3" in bad.stderr, bad.stderr
    personas.write_text("segments:\n  0: {name: Everyday shoppers}\n")
    trained = command("train", "--out", str(tmp_path / "models"), "--personas", str(personas))
    assert trained.returncode == 0, trained.stderr
    assert "segment 0: Everyday shoppers" in trained.stdout
    assert "warning: no hash key given" in trained.stdout  # erasures would switch it off
    keyed = personalization_cli(f"sqlite:///{tmp_path / 'p.db'}",
                                env={"PERSONALIZATION_HASH_KEY": "train-test-hash-key"})
    trained = keyed("train", "--out", str(tmp_path / "models"), "--personas", str(personas))
    assert trained.returncode == 0 and "warning: no hash key" not in trained.stdout
    again = command("train", "--out", str(tmp_path / "models"), "--if-stale")
    assert again.returncode == 0 and "trained on this data already" in again.stdout
    scored = command("score", "--models", str(tmp_path / "models"), "--quiet")
    assert scored.returncode == 0, scored.stderr
    assert re.search(r"Scored 3\d\d customers", scored.stdout)  # those who allow it, of 400
    report = command("report", "--models", str(tmp_path / "models"), "--out",
                     str(tmp_path / "report"))  # fmt: skip
    assert report.returncode == 0 and (tmp_path / "report" / "index.html").exists(), report.stderr
