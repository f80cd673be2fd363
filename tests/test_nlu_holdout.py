"""Intent accuracy on held-out messages the model never saw (tests/nlu/holdout.yml).

The assistant is judged on real customer messages; this set, written independently of the
training data, is the project's stand-in for them. The figures are written to
results/holdout.json and printed with -s.
"""

import json
from collections import Counter

from tests.nlu_data import holdout_examples
from tests.trackers import ROOT

MIN_ACCURACY = 0.95
MAX_FALLBACK_RATE = 0.05


def test_intent_accuracy_on_held_out_messages(assistant):
    results = []
    for intent, texts in holdout_examples().items():
        for text in texts:
            parsed = assistant.parse(text)
            ranking = [r for r in parsed["intent_ranking"] if r["name"] != "nlu_fallback"]
            results.append(
                {
                    "text": text,
                    "expected": intent,
                    "predicted": ranking[0]["name"],
                    "confidence": ranking[0]["confidence"],
                    "fallback": parsed["intent"]["name"] == "nlu_fallback",
                }
            )
    correct = sum(r["predicted"] == r["expected"] for r in results)
    accuracy = correct / len(results)
    fallback_rate = sum(r["fallback"] for r in results) / len(results)
    errors = [r for r in results if r["predicted"] != r["expected"]]
    confusions = Counter(f"{r['expected']} -> {r['predicted']}" for r in errors)

    out = ROOT / "results" / "holdout.json"
    out.parent.mkdir(exist_ok=True)
    summary = {"messages": len(results), "accuracy": accuracy, "fallback_rate": fallback_rate}
    out.write_text(json.dumps({**summary, "errors": errors}, indent=2))
    print(f"\nheld-out messages: {len(results)}, intent accuracy {accuracy:.3f}, "
          f"sent to fallback {fallback_rate:.3f}; confusions: {dict(confusions.most_common(10))}")

    assert accuracy >= MIN_ACCURACY, f"{accuracy:.3f}: see {out}"
    assert fallback_rate <= MAX_FALLBACK_RATE, f"{fallback_rate:.3f}: see {out}"
