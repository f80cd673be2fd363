"""The NLU report: every figure of docs/nlu.md from one parse function over the held-out sets.

`build_report(parse)` takes any function from messages to (intent acted on, best
non-fallback intent, its confidence) triples (the Rasa model in scripts/nlu_report.py) and
returns the figures and the in-scope parses of each set; `write_report` writes the figures
with the table, the reliability diagram and the threshold trade-off picture.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from nlu_eval.datasets import CUSTOMER_REQUEST_INTENTS, evaluation_sets
from nlu_eval.metrics import (
    OUT_OF_SCOPE,
    Parse,
    out_of_scope_rejection,
    per_intent,
    summarise,
    threshold_tradeoff,
)
from nlu_eval.plots import reliability_diagram, threshold_plot
from nlu_eval.robustness import robustness_suite

# What the assistant acts on, and its best real intent with that intent's probability.
Parser = Callable[[list[str]], list[tuple[str, str, float]]]

ROBUSTNESS_SET = "definitions"  # the larger and more independent set


def _progress(done: int, total: int) -> None:
    print(f"\r  parsed {done}/{total} messages", end="" if done < total else "\n",
          file=sys.stderr, flush=True)  # fmt: skip


def parse_pairs(parse: Parser, pairs: list[tuple[str, str]], chunk: int = 200) -> list[Parse]:
    parses: list[Parse] = []
    for start in range(0, len(pairs), chunk):
        part = pairs[start:start + chunk]
        for (text, expected), (intent, best, confidence) in zip(
            part, parse([t for t, _ in part]), strict=True
        ):
            parses.append(Parse(text, expected, intent, best, confidence))
        _progress(len(parses), len(pairs))
    return parses


def build_report(parse: Parser, robustness: bool = True, gate: float = 0.8
                 ) -> tuple[dict, dict[str, list[Parse]]]:  # fmt: skip
    sets = evaluation_sets()
    report: dict = {"sets": {}, "robustness": {}, "ms_per_message": {}}
    parsed: dict[str, list[Parse]] = {}
    for name, pairs in sets.items():
        print(f"{name}: {len(pairs)} messages", file=sys.stderr)
        started = time.perf_counter()
        parses = parse_pairs(parse, pairs)
        report["ms_per_message"][name] = round(
            1000 * (time.perf_counter() - started) / len(pairs), 1)
        in_scope = [p for p in parses if p.expected != OUT_OF_SCOPE]
        parsed[name] = in_scope
        entry = {"in_scope": summarise(in_scope, gate).as_dict(),
                 "per_intent": per_intent(in_scope),
                 "errors": [p.__dict__ | {"right": p.right} for p in in_scope
                            if p.intent != p.expected]}  # fmt: skip
        out_of_scope = [p for p in parses if p.expected == OUT_OF_SCOPE]
        if out_of_scope:
            entry["out_of_scope"] = out_of_scope_rejection(out_of_scope)
        report["sets"][name] = entry
    every = [p for parses in parsed.values() for p in parses]
    report["thresholds"] = threshold_tradeoff(every, [t / 20 for t in range(0, 20)])
    if robustness:
        originals = {p.text: p for p in parsed[ROBUSTNESS_SET]}
        # customer requests only: a greeting wrapped around "hi" is still a greeting
        suite = robustness_suite([(t, i) for t, i in sets[ROBUSTNESS_SET]
                                  if i in CUSTOMER_REQUEST_INTENTS])  # fmt: skip
        for transformation, rows in suite.items():
            print(f"robustness, {transformation}: {len(rows)} messages", file=sys.stderr)
            changed = parse_pairs(parse, [(new, intent) for intent, _, new in rows])
            before = [originals[original] for _, original, _ in rows]
            after = summarise(changed, gate)
            report["robustness"][transformation] = {
                "messages": len(rows),
                "accuracy": after.accuracy,
                "fallback_rate": after.fallback_rate,
                "confident_wrong": after.confident_wrong,
                "accuracy_before": summarise(before, gate).accuracy,
                "errors": [p.__dict__ for p in changed if p.intent != p.expected],
            }
    return report, parsed


def markdown(report: dict) -> str:
    lines = ["| held-out set | messages | right intent | fallback | best right | "
             "confident wrong | right at/above gate (of all) | right above gate | ECE | "
             "out of scope rejected |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for name, entry in report["sets"].items():
        s = entry["in_scope"]
        oos = entry.get("out_of_scope")
        rejected = f"{oos['rejected']:.3f} (n={oos['messages']})" if oos else "-"
        lines.append(
            f"| {name} | {s['messages']} | {s['accuracy']:.3f} | {s['fallback_rate']:.1%} | "
            f"{s['best_right']:.3f} | {s['confident_wrong']:.1%} | {s['gate_coverage']:.1%} | "
            f"{s['right_above_gate']:.1%} | {s['ece']:.3f} | {rejected} |"
        )
    if report["robustness"]:
        lines += ["", "| transformation | messages | right intent | fallback | confident wrong "
                      "| right before |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for name, r in report["robustness"].items():
            lines.append(f"| {name} | {r['messages']} | {r['accuracy']:.3f} | "
                         f"{r['fallback_rate']:.1%} | {r['confident_wrong']:.1%} | "
                         f"{r['accuracy_before']:.3f} |")  # fmt: skip
    lines += ["", "Time to understand one message: " + ", ".join(
        f"{ms} ms ({name})" for name, ms in report["ms_per_message"].items())]
    return "\n".join(lines) + "\n"


def write_report(report: dict, parses: dict[str, list[Parse]], out: Path,
                 threshold: float) -> None:  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    reliability_diagram(parses, out / "reliability.png")
    threshold_plot([p for ps in parses.values() for p in ps], threshold, out / "thresholds.png")
    (out / "report.json").write_text(json.dumps(report, indent=2))
    (out / "report.md").write_text(markdown(report))
