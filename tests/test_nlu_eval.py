"""The NLU measurement itself: metrics, near-copy detection, held-out hygiene, calibration."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from components.calibration import fit_calibrated, softmax
from nlu_eval.dedupe import drop_lines, repeated_within
from nlu_eval.metrics import (
    FALLBACK,
    Parse,
    expected_calibration_error,
    out_of_scope_rejection,
    summarise,
    threshold_tradeoff,
)
from nlu_eval.similarity import NEAR_DUPLICATE, duplicate_groups, near_copies


def parse(expected, best, confidence, fallback=False):
    return Parse("text", expected, FALLBACK if fallback else best, best, confidence)


def test_summary_counts_a_fallback_as_wrong_and_reads_the_gate():
    parses = [
        parse("a", "a", 0.95),  # right, above the gate
        parse("a", "a", 0.6),  # right, below the gate
        parse("a", "b", 0.9),  # confidently wrong
        parse("a", "a", 0.3, fallback=True),  # best right, but sent to the fallback
    ]
    s = summarise(parses, gate=0.8)
    assert s.accuracy == 0.5
    assert s.fallback_rate == 0.25
    assert s.best_right == 0.75
    assert s.confident_wrong == 0.25
    assert s.gate_coverage == 0.25
    assert s.right_above_gate == 0.5


def test_calibration_error_is_zero_when_confidence_matches_accuracy_and_large_when_not():
    honest = [parse("a", "a", 0.75)] * 3 + [parse("a", "b", 0.75)]
    assert expected_calibration_error(honest) == pytest.approx(0.0)
    overconfident = [parse("a", "a", 0.99)] + [parse("a", "b", 0.99)]
    assert expected_calibration_error(overconfident) == pytest.approx(0.49)


def test_threshold_tradeoff_moves_messages_to_the_fallback():
    parses = [parse("a", "a", 0.9), parse("a", "b", 0.4), parse("a", "a", 0.55)]
    low, high = threshold_tradeoff(parses, [0.0, 0.5])
    assert (low["fallback_rate"], low["confident_wrong"]) == (0.0, pytest.approx(1 / 3))
    assert (high["fallback_rate"], high["confident_wrong"]) == (pytest.approx(1 / 3), 0.0)


def test_out_of_scope_rejection_counts_the_fallback_as_not_taken_for_a_request():
    parses = [Parse("weather?", "out_of_scope", "out_of_scope", "out_of_scope", 0.9),
              Parse("jokes", "out_of_scope", FALLBACK, "review", 0.3),
              Parse("flight", "out_of_scope", "track_order", "track_order", 0.7)]  # fmt: skip
    result = out_of_scope_rejection(parses)
    assert result["out_of_scope"] == pytest.approx(1 / 3)
    assert result["rejected"] == pytest.approx(2 / 3)
    assert result["taken_for"] == {"track_order": 1}


def test_near_copies_are_found_beyond_exact_matches_and_other_sentences_are_not():
    training = ["change email", "is there a cancellation fee", "can I go from Plus to Premium",
                "where is my order"]  # fmt: skip
    held_out = ["change my email address", "how much is the cancellation fee",
                "Is it possible to go from Premium back to Plus?", "where is my order 12345678"]
    copies = {q for q, _, _ in near_copies(held_out, training)}
    assert copies == {"change my email address", "how much is the cancellation fee",
                      "where is my order 12345678"}  # fmt: skip


def test_near_duplicates_chain_into_one_group():
    texts = ["cancel my order please", "cancel my order pls", "pls cancel my order",
             "what is the weather"]  # fmt: skip
    groups = duplicate_groups(texts, NEAR_DUPLICATE)
    assert groups[0] == groups[1] == groups[2] != groups[3]


def test_repeats_within_an_intent_are_found_and_border_pairs_across_intents_stay():
    pairs = [("where is my parcel", "track_order"), ("where is my parcel?", "track_order"),
             ("where is my refund", "track_refund"), ("I want a refund", "get_refund")]
    assert repeated_within(pairs) == ["where is my parcel?"]


def test_dropping_held_out_lines_keeps_the_rest_of_the_file(tmp_path):
    path = tmp_path / "held.yml"
    path.write_text('version: "3.1"\nnlu:\n- intent: a\n  examples: |\n    - one\n'
                    "    - [two](x) words\n    - three\n")  # fmt: skip
    assert drop_lines(path, {"two words"}) == 1
    assert path.read_text() == 'version: "3.1"\nnlu:\n- intent: a\n  examples: |\n    - one\n' \
                               "    - three\n"


def test_temperature_scaling_makes_an_overconfident_classifier_honest():
    x, y = make_classification(n_samples=1500, n_features=40, n_informative=8, n_classes=5,
                               n_clusters_per_class=2, flip_y=0.05, random_state=0)  # fmt: skip
    train, held = slice(0, 1000), slice(1000, None)
    model, temperature = fit_calibrated(x[train], y[train], C=100)
    uncalibrated, one = fit_calibrated(x[train], y[train], C=100, folds=0)
    assert one == 1.0 and np.allclose(uncalibrated.coef_, model.coef_)

    def ece(t):
        probs = softmax(model.decision_function(x[held]) / t)
        best = probs.argmax(axis=1)
        return expected_calibration_error([
            Parse("", str(truth), str(b), str(b), float(p[b]))
            for truth, b, p in zip(y[held], best, probs, strict=True)
        ])  # fmt: skip

    assert temperature != pytest.approx(1.0, abs=0.05)
    assert ece(temperature) < ece(1.0)
    assert ece(temperature) < 0.05
    assert np.allclose(softmax(np.array([[1.0, 2.0]])).sum(), 1.0)


def test_training_data_gains_misspelt_copies_but_entity_examples_stay_as_they_are():
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from components.typo_augmenter import TypoAugmenter, misspelt_copies

    texts = [f"where is the parcel I ordered for my cousin number {i:03d}" for i in range(200)]
    copies = misspelt_copies([(t, "track_order") for t in texts], share=0.5, seed=0)
    assert 70 < len(copies) < 130  # about half
    assert copies == misspelt_copies([(t, "track_order") for t in texts], share=0.5, seed=0)
    for changed, intent, original in copies:
        assert intent == "track_order" and changed not in texts and original in texts
        assert abs(len(changed) - len(texts[0])) <= 2

    with_entity = Message(data={"text": "cancel 12345678", "intent": "cancel_order",
                                "entities": [{"start": 7, "end": 15, "value": "12345678",
                                              "entity": "order_id"}]})  # fmt: skip
    plain_examples = [Message(data={"text": t, "intent": "track_order"}) for t in texts]
    data = TrainingData([with_entity, *plain_examples])
    augmented = TypoAugmenter({"share": 1.0, "seed": 0}).process_training_data(data)
    added = [m for m in augmented.intent_examples if m.get("text") not in
             {"cancel 12345678", *texts}]  # fmt: skip
    assert len(added) == len(texts)
    assert all(m.get("intent") == "track_order" for m in added)
    assert all(m.get("augmented_from") in texts for m in added)  # calibration groups by it
    assert sum(m.get("intent") == "cancel_order" for m in augmented.intent_examples) == 1


def test_the_report_covers_every_held_out_set_and_transformation_and_draws_its_pictures(
    tmp_path,
):
    """Any parser will do: here one that knows only the word "refund", over the real sets."""
    from nlu_eval.report import build_report, markdown, write_report
    from nlu_eval.robustness import TRANSFORMATIONS

    def parse(texts):
        return [("get_refund", "get_refund", 0.9) if "refund" in t.lower()
                else (FALLBACK, "out_of_scope", 0.3) for t in texts]  # fmt: skip

    report, parses = build_report(parse)
    assert set(report["sets"]) == {"holdout", "definitions"}
    assert set(report["robustness"]) == set(TRANSFORMATIONS)
    definitions = report["sets"]["definitions"]
    assert 0 < definitions["in_scope"]["accuracy"] < 0.2  # only get_refund can be right
    assert definitions["out_of_scope"]["rejected"] > 0.9  # most get the fallback
    write_report(report, parses, tmp_path, threshold=0.55)
    for picture in ("reliability.png", "thresholds.png"):
        assert (tmp_path / picture).read_bytes()[:4] == b"\x89PNG"
    table = (tmp_path / "report.md").read_text()
    assert table == markdown(report) and "| definitions |" in table and "| typo_swap |" in table
