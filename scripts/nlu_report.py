"""`make nlu-report`: the trained model's understanding measured on the held-out sets.

Usage: python -m scripts.nlu_report [--model models/brightcart.tar.gz] [--out results/nlu]
       [--no-robustness]

Writes results/nlu/report.md (the table of docs/nlu.md), report.json (every figure and every
error), reliability.png and thresholds.png, and prints the table.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

import yaml

from nlu_eval.metrics import from_rasa
from nlu_eval.report import build_report, markdown, write_report

ROOT = Path(__file__).resolve().parent.parent


def fallback_threshold() -> float:
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    return next(c["threshold"] for c in pipeline if c["name"] == "FallbackClassifier")


def rasa_parser(model: Path):
    import structlog
    from rasa.core.agent import Agent

    # Rasa logs every parse through structlog at debug level: only warnings here.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()

    def parse(texts: list[str]) -> list[tuple[str, str, float]]:
        return [from_rasa(loop.run_until_complete(agent.parse_message(t))) for t in texts]

    return parse


def main() -> int:
    parser = argparse.ArgumentParser(description="Measure the NLU on the held-out sets.")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "brightcart.tar.gz")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "nlu")
    parser.add_argument("--no-robustness", action="store_true")
    args = parser.parse_args()
    if not args.model.exists():
        print(f"No trained model at {args.model}: run `make train` first.", file=sys.stderr)
        return 1
    logging.disable(logging.WARNING)
    report, parses = build_report(rasa_parser(args.model), robustness=not args.no_robustness)
    write_report(report, parses, args.out, fallback_threshold())
    print(markdown(report))
    print(f"Figures and every error: {args.out / 'report.json'}; pictures: "
          f"{args.out / 'reliability.png'}, {args.out / 'thresholds.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
