"""Print Rasa's intent_report.json as a table, worst F1 first, with the top confusions.

Usage: python -m scripts.intent_table results/crossval/intent_report.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SUMMARY_ROWS = ("accuracy", "macro avg", "weighted avg", "micro avg")


def format_table(report: dict[str, dict]) -> str:
    intents = {k: v for k, v in report.items() if k not in SUMMARY_ROWS}
    header = f"{'intent':<26} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>5}  most confused with"
    rows: list[str] = [header]
    rows.append("-" * len(rows[0]))
    for name, m in sorted(intents.items(), key=lambda kv: (kv[1]["f1-score"], kv[0])):
        confused = ", ".join(f"{k} ({v})" for k, v in list(m.get("confused_with", {}).items())[:2])
        rows.append(
            f"{name:<26} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1-score']:>6.3f} "
            f"{m['support']:>5}  {confused}"
        )
    rows.append("-" * len(rows[0]))
    for name in SUMMARY_ROWS[1:]:
        if name in report:
            m = report[name]
            rows.append(
                f"{name:<26} {m['precision']:>9.3f} {m['recall']:>7.3f} "
                f"{m['f1-score']:>6.3f} {m['support']:>5}"
            )
    if "accuracy" in report:
        rows.append(f"{'accuracy':<26} {report['accuracy']:>24.3f}")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[0])
    if not path.exists():
        print(f"{path} does not exist: run the NLU evaluation first.", file=sys.stderr)
        return 1
    print(format_table(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
