"""Conversation analytics for the report: requests by intent, routes taken, fallback rate,
counted in Rasa's SQL tracker store (aggregates only: no conversation is shown)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.figure import Figure

from personalization.privacy.conversations import ConversationStore

FALLBACK = "nlu_fallback"
HANDOFF, CALLBACK = "utter_handoff_", "utter_offer_callback"  # data/rules/routing.yml


@dataclass
class ConversationAnalytics:
    conversations: int = 0
    messages: int = 0
    by_intent: dict[str, int] = field(default_factory=dict)  # understood requests, most first
    fallbacks: int = 0
    routes: dict[str, int] = field(default_factory=dict)  # hand-offs by route
    callbacks: int = 0  # callbacks offered outside support hours

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.messages if self.messages else 0.0


def conversation_analytics(tracker_store: ConversationStore) -> ConversationAnalytics:
    found = tracker_store.activity((HANDOFF, CALLBACK))
    intents = {name or "(none)": n for name, n in found["intents"].items()}
    fallbacks = intents.pop(FALLBACK, 0)
    routes = {name.removeprefix(HANDOFF): n for name, n in found["actions"].items()
              if name.startswith(HANDOFF)}  # fmt: skip
    return ConversationAnalytics(
        conversations=found["conversations"], messages=sum(intents.values()) + fallbacks,
        by_intent=dict(sorted(intents.items(), key=lambda kv: (-kv[1], kv[0]))),
        fallbacks=fallbacks, routes=dict(sorted(routes.items(), key=lambda kv: -kv[1])),
        callbacks=found["actions"].get(CALLBACK, 0))  # fmt: skip


def analytics_section(analytics: ConversationAnalytics | None, folder: Path) -> str:
    """The report's conversation section; its picture is written to `folder`."""
    if analytics is None or not analytics.messages:
        return ("<h2>Conversations</h2><p>No conversations recorded yet in Rasa's tracker "
                "store.</p>")  # fmt: skip
    plot_analytics(analytics, folder / "conversations.png")
    routes = "".join(f"<tr><td>{html.escape(r)}</td><td class=num>{n:,}</td></tr>"
                     for r, n in analytics.routes.items()) or (
        "<tr><td colspan=2 class=muted>no hand-offs yet</td></tr>")  # fmt: skip
    intents = "".join(f"<tr><td>{html.escape(i)}</td><td class=num>{n:,}</td>"
                      f"<td class=num>{n / analytics.messages:.1%}</td></tr>"
                      for i, n in analytics.by_intent.items())  # fmt: skip
    return (f"<h2>Conversations</h2><p>{analytics.conversations:,} conversations, "
            f"{analytics.messages:,} customer messages. Fallback rate (messages not "
            f"understood): {analytics.fallback_rate:.1%}. Callbacks offered outside support "
            f"hours: {analytics.callbacks:,}.</p>"
            "<img src='conversations.png' alt='Requests by intent and hand-offs by route'>"
            f"<h3>Hand-offs by route</h3><table><tr><th>route</th><th>hand-offs</th></tr>"
            f"{routes}</table><h3>Requests by intent</h3><table><tr><th>intent</th>"
            f"<th>messages</th><th>share</th></tr>{intents}</table>")  # fmt: skip


def plot_analytics(analytics: ConversationAnalytics, path: Path, top: int = 15) -> None:
    figure = Figure(figsize=(9, 4), dpi=110)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    shown = list(analytics.by_intent.items())[:top][::-1]
    left.barh([name for name, _ in shown], [n for _, n in shown], color="#4f81bd")
    left.set(title=f"Requests by intent (top {len(shown)})", xlabel="messages")
    left.tick_params(axis="y", labelsize=7)
    routes = list(analytics.routes.items())
    right.bar([r for r, _ in routes], [n for _, n in routes], color="#9bbb59")
    right.set(title="Hand-offs by route", ylabel="hand-offs")
    right.tick_params(axis="x", labelrotation=30, labelsize=8)
    figure.tight_layout()
    figure.savefig(path)
