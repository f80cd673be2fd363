"""`make crossval`: k-fold cross-validation of the NLU pipeline, near-duplicates in one fold.

Usage: python -m scripts.crossval [--folds 5] [--out results/crossval]

Rasa's own `rasa test nlu --cross-validation` splits examples at random, so "cancel my order
pls" can be trained on while "cancel my order please" is tested: the score flatters. Here
examples linked by near-duplicates (nlu_eval.similarity) share a fold, each fold trains the
real pipeline of config.yml, and the figures are those of `make nlu-report` (in-scope
messages; out-of-scope examples as the share rejected).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from nlu_eval.metrics import OUT_OF_SCOPE, Parse, out_of_scope_rejection, per_intent, summarise
from nlu_eval.similarity import duplicate_groups
from scripts.nlu_report import rasa_parser

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    parser = argparse.ArgumentParser(description="Grouped cross-validation of the NLU.")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "crossval")
    args = parser.parse_args()

    data = load_data(str(ROOT / "data" / "nlu"))
    examples = [m for m in data.training_examples if m.get("intent")]
    texts = [m.get("text") for m in examples]
    labels = np.array([m.get("intent") for m in examples])
    groups = duplicate_groups(texts)
    splitter = StratifiedGroupKFold(n_splits=args.folds, shuffle=True, random_state=0)
    parses: list[Parse] = []
    with tempfile.TemporaryDirectory() as work:
        for fold, (train, test) in enumerate(splitter.split(texts, labels, groups), start=1):
            print(f"fold {fold}/{args.folds}: training on {len(train)} examples, "
                  f"testing {len(test)}", file=sys.stderr, flush=True)  # fmt: skip
            part = TrainingData([examples[i] for i in train], data.entity_synonyms,
                                data.regex_features, data.lookup_tables)  # fmt: skip
            nlu_file = Path(work) / f"fold{fold}.yml"
            nlu_file.write_text(RasaYAMLWriter().dumps(part))
            model = train_nlu(str(ROOT / "config.yml"), str(nlu_file), str(Path(work) / "m"),
                              fixed_model_name=f"fold{fold}")  # fmt: skip
            parse = rasa_parser(Path(model))
            tested = [texts[i] for i in test]
            for text, i, (intent, best, confidence) in zip(tested, test, parse(tested),
                                                           strict=True):  # fmt: skip
                parses.append(Parse(text, labels[i], intent, best, confidence))
    in_scope = [p for p in parses if p.expected != OUT_OF_SCOPE]
    summary = summarise(in_scope).as_dict()
    summary["out_of_scope_rejected"] = out_of_scope_rejection(
        [p for p in parses if p.expected == OUT_OF_SCOPE])["rejected"]
    intents = per_intent(parses)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "grouped.json").write_text(json.dumps({"summary": summary, "intents": intents},
                                                      indent=2))  # fmt: skip
    print(f"{args.folds}-fold grouped cross-validation, {len(parses)} examples: "
          + ", ".join(f"{k} {v:.3f}" for k, v in summary.items() if k != "messages"))
    for intent, row in sorted(intents.items(), key=lambda kv: kv[1]["accuracy"])[:10]:
        print(f"  {intent:<26} {row['accuracy']:.3f}  {row['confused_with']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
