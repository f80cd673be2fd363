"""Pictures of the NLU report: the reliability diagram and the fallback threshold trade-off."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)

from nlu_eval.metrics import (  # noqa: E402
    Parse,
    expected_calibration_error,
    reliability_bins,
    threshold_tradeoff,
)


def reliability_diagram(sets: dict[str, list[Parse]], path: Path) -> None:
    """Per held-out set: share right against stated confidence; the diagonal is perfect."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 7), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1]})  # fmt: skip
    top.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfectly calibrated")
    for name, parses in sets.items():
        rows = [r for r in reliability_bins(parses) if r["count"]]
        ece = expected_calibration_error(parses)
        # a dot's area is its bin's share of the messages: a bin of three says little
        top.scatter([r["confidence"] for r in rows], [r["accuracy"] for r in rows],
                    s=[20 + 400 * r["count"] / len(parses) for r in rows], alpha=0.7)
        top.plot([r["confidence"] for r in rows], [r["accuracy"] for r in rows], alpha=0.5,
                 label=f"{name} (ECE {ece:.3f}, n={len(parses)})")  # fmt: skip
        bottom.bar([(r["low"] + r["high"]) / 2 for r in rows], [r["count"] for r in rows],
                   width=0.09, alpha=0.5, label=name)  # fmt: skip
    top.set_ylabel("share of messages right")
    top.set_title("Does the intent confidence mean what it says?")
    top.legend(loc="upper left", fontsize=8)
    top.set_xlim(0, 1)
    top.set_ylim(0, 1.03)
    bottom.set_xlabel("confidence of the best intent")
    bottom.set_ylabel("messages")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def threshold_plot(parses: list[Parse], chosen: float, path: Path) -> None:
    """Fallback rate, right answers and confident wrong answers as the threshold moves."""
    thresholds = [t / 100 for t in range(0, 100, 2)]
    rows = threshold_tradeoff(parses, thresholds)
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label in (("accuracy", "answered right"), ("fallback_rate", "sent to the fallback"),
                       ("confident_wrong", "answered wrong")):  # fmt: skip
        ax.plot(thresholds, [r[key] for r in rows], label=label)
    ax.axvline(chosen, color="grey", linestyle="--", label=f"threshold {chosen:g}")
    ax.set_xlabel("fallback threshold (confidence of the best intent)")
    ax.set_ylabel("share of in-scope held-out messages")
    ax.set_title("Choosing the fallback threshold")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
