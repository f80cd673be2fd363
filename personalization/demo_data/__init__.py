"""A seeded, realistic synthetic Brightcart store for demos, tests and benchmarks.

    data = generate(customers=100_000, seed=7)   # pandas frames shaped like the store's tables
    load(store, data)                            # into an empty profile store

Each customer has a hidden persona (category affinities, shopping rate, discount seeking),
engagement and friction. Browsing sessions view products of their categories; a session that
converts buys products it viewed. Friction drives tickets, escalations, low CSAT and returns.
Churn is a noisy logistic function of that behaviour and of plan, contract, tenure, payment
method and newsletter; a churned customer stops shopping at their churn date. `data.truth`
holds the hidden traits for checking what models recover.
"""

from personalization.demo_data.catalog import CATEGORIES, PERSONAS
from personalization.demo_data.generate import DemoData, generate
from personalization.demo_data.loading import StoreNotEmpty, load

__all__ = ["CATEGORIES", "PERSONAS", "DemoData", "StoreNotEmpty", "generate", "load"]
