"""Suggestions in a chat and the models as the action server sees them (real trained models)."""

import logging
import shutil

from personalization.conversation.models import LiveModels
from personalization.conversation.suggestions import NONE, PERSONAL, POPULAR, suggest
from personalization.store.profile import Profile


def a_buyer(store):
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT o.customer_id FROM orders o GROUP BY o.customer_id "
            "ORDER BY COUNT(*) DESC, o.customer_id LIMIT 1").all()  # fmt: skip
    return store.profile(rows[0][0])


def test_a_known_customer_gets_suggestions_based_on_their_interest(trained):
    store, folder, models, _ = trained
    profile = a_buyer(store)
    found = suggest(models.recommender, store, profile)
    assert found.kind == PERSONAL and len(found.products) == 3
    bought = {p for o in profile.recent_orders for p, _ in o.items}
    names = {r[0]: r[1] for r in store.engine.connect().exec_driver_sql(
        "SELECT product_id, name FROM products").all()}  # fmt: skip
    assert found.interest in {names[p] for p in bought}
    assert not set(found.products) & {names[p] for p in bought}  # nothing they already have
    assert found.listed().count(",") == 1 and " and " in found.listed()


def test_new_customers_and_visitors_get_popular_products(trained):
    store, _, models, _ = trained
    newcomer = suggest(models.recommender, store, Profile("BRAND-NEW"))  # signed up just now
    visitor = suggest(models.recommender, store, None)
    assert newcomer.kind == visitor.kind == POPULAR
    assert newcomer.products == visitor.products and newcomer.interest is None


def test_without_a_recommender_there_is_nothing_to_suggest(trained):
    store, *_ = trained
    assert suggest(None, store, a_buyer(store)).kind == NONE


def test_models_are_loaded_once_replaced_models_are_reloaded_and_bad_ones_skipped(
        trained, tmp_path, caplog):  # fmt: skip
    _, folder, models, _ = trained
    copy = tmp_path / "models"
    shutil.copytree(folder, copy)
    live = LiveModels(copy)
    first = live.get()
    assert first is not None and first.version == models.version and live.get() is first

    (copy / "recommender.joblib").write_bytes(b"not a model")  # one part replaced, alone
    with caplog.at_level(logging.WARNING):
        assert live.get() is None
    assert "corrupt" in live.problem and "Customer models unavailable" in caplog.text

    shutil.copy(folder / "recommender.joblib", copy / "recommender.joblib")
    metadata = copy / "metadata.json"
    metadata.write_text(metadata.read_text() + " ")  # a training run writes it last
    assert live.get() is not None and live.problem is None

    assert LiveModels(tmp_path / "nowhere").get() is None
