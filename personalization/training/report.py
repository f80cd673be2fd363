"""`python -m personalization report`: one HTML page (plus its pictures) for analysts: the
customer models, and the conversations in Rasa's tracker store."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from personalization.analytics import ConversationAnalytics, analytics_section
from personalization.churn import plot_curves
from personalization.features.reading import iter_features
from personalization.segmentation import plot_segments
from personalization.settings import Settings
from personalization.store import Store
from personalization.training.artifacts import Models
from personalization.training.scoring import score_frame
from personalization.training.train import PURPOSE

SAMPLE = 20_000  # customers drawn in the pictures

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;
text-align:left;vertical-align:top}th{background:#f3f3f3}img{max-width:100%}
.num{text-align:right}.muted{color:#666}"""


def write_report(store: Store, models: Models, folder: Path,
                 conversations: ConversationAnalytics | None = None) -> Path:  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    frame = next(iter_features(store, chunk_customers=SAMPLE, granted_to=PURPOSE), None)
    if frame is None:
        raise ValueError("The profile store has no customers who allow personalization to "
                         "report on.")
    scores = score_frame(models, frame)
    matrix = models.features.transform(frame)[models.segments.columns]
    labels = scores.segment.astype(int).to_numpy()
    plot_segments(matrix, labels, models.personas, folder / "segments.png")
    parts = [_header(models, len(frame)), _segments(models), _churn(models, scores, folder),
             _recommender(models), analytics_section(conversations, folder)]  # fmt: skip
    page = folder / "index.html"
    page.write_text("<!doctype html><meta charset='utf-8'><title>Customers and conversations"
                    f"</title><style>{STYLE}</style>" + "\n".join(parts))  # fmt: skip
    return page


def report_from_settings(settings: Settings, folder: Path, models_dir: Path | None = None,
                         endpoints: Path | None = None) -> Path:  # fmt: skip
    """The report of the store and models the settings name, with the conversations of the
    tracker store in Rasa's endpoints file."""
    from personalization.analytics import conversation_analytics
    from personalization.privacy.conversations import TRACKER_STORE, rasa_stores
    from personalization.training.artifacts import load_models

    stores = rasa_stores(endpoints or Path(settings.endpoints_path))
    tracker = next((s for s in stores if s.role == TRACKER_STORE), None)
    store = Store.from_url(settings.db_url)
    try:
        return write_report(store, load_models(models_dir or Path(settings.models_dir)), folder,
                            conversation_analytics(tracker) if tracker else None)  # fmt: skip
    finally:
        store.dispose()


def _header(models: Models, drawn: int) -> str:
    m, fp = models.metadata, models.metadata.get("data_fingerprint", {})
    return (f"<h1>Customer models</h1><p class='muted'>Models {_e(models.version)}, trained "
            f"{_e(m.get('trained_at', ''))} on a store of {fp.get('customers', '?'):,} customers, "
            f"{fp.get('orders', '?'):,} orders, {fp.get('events', '?'):,} events; "
            f"{_count(m.get('customers_used'))} customers allow personalization and were used. "
            f"Pictures show the first {drawn:,} of them.</p>")  # fmt: skip


def _segments(models: Models) -> str:
    seg = models.metadata.get("metrics", {}).get("segments", {})
    by_k = ", ".join(f"k={k}: {v:.3f}" for k, v in seg.get("silhouette_by_k", {}).items())
    rows = "".join(
        f"<tr><td>{p.segment}</td><td>{_e(p.name)}</td><td class=num>{p.size:,}</td>"
        f"<td class=num>{p.share:.0%}</td><td>{_e(p.description)}</td></tr>"
        for p in models.personas.values())  # fmt: skip
    return (f"<h2>Segments and personas</h2><p>{_e(seg.get('method', ''))}, "
            f"{seg.get('k', '?')} segments chosen by silhouette score ({by_k}).</p>"
            "<table><tr><th>segment</th><th>persona</th><th>customers</th><th>share</th>"
            f"<th>how it differs</th></tr>{rows}</table><img src='segments.png' "
            "alt='Customers on the first two principal components, coloured by segment'>")
    # fmt: skip


def _churn(models: Models, scores, folder: Path) -> str:
    churn = models.metadata.get("metrics", {}).get("churn")
    if models.churn is None or not churn:
        return "<h2>Churn risk</h2><p>No churn label in the store, so no churn model.</p>"
    plot_curves(models.churn, folder / "churn_curves.png")
    _risk_histogram(scores.churn_risk.to_numpy(), folder / "churn_risk.png")
    cv = ", ".join(f"{_e(k)} {v:.3f}" for k, v in churn["cv_auc"].items())
    drivers = "".join(f"<tr><td>{_e(d['feature'])}</td><td class=num>{d['importance']:.3f}"
                      f"</td><td>{_e(d['direction'])}</td></tr>" for d in churn["drivers"])
    high = float(np.mean(scores.churn_risk > 0.7))
    return (f"<h2>Churn risk</h2><p>Model: {_e(churn['algorithm'])} (cross-validated ROC-AUC: "
            f"{cv}). On {int(churn['test_customers']):,} held-out customers: ROC-AUC "
            f"{churn['roc_auc']:.3f}, PR-AUC {churn['pr_auc']:.3f} (churn rate "
            f"{churn['base_rate']:.1%}), Brier score {churn['brier']:.3f}. {high:.1%} of the "
            "customers drawn have a risk above 0.7.</p>"
            "<img src='churn_curves.png' alt='ROC and calibration curves'>"
            "<img src='churn_risk.png' alt='Distribution of churn risk'>"
            "<h3>What drives risk</h3><table><tr><th>feature</th><th>ROC-AUC lost when "
            f"shuffled</th><th>effect</th></tr>{drivers}</table>")  # fmt: skip


def _recommender(models: Models) -> str:
    rec = models.metadata.get("metrics", {}).get("recommender")
    if not rec:
        return "<h2>Recommendations</h2><p>No purchases or views, so no recommender.</p>"
    return (f"<h2>Recommendations</h2><p>Item-item collaborative filtering. Hit rate at 5 on "
            f"each customer's last purchase ({rec['customers']:,} customers): "
            f"{rec['hit_rate_at_5']:.3f}, against {rec['popularity_hit_rate_at_5']:.3f} for "
            "recommending the most popular products.</p>")  # fmt: skip


def _risk_histogram(risk: np.ndarray, path: Path) -> None:
    figure = Figure(figsize=(6, 3.5), dpi=110)
    axes = figure.subplots()
    axes.hist(risk, bins=20, range=(0, 1), color="#c0504d")
    axes.set(title="Churn risk of the customers drawn", xlabel="churn risk",
             ylabel="customers")  # fmt: skip
    figure.tight_layout()
    figure.savefig(path)


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def _e(text: object) -> str:
    return html.escape(str(text))
