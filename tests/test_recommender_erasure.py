"""Erasing customers from the recommender without rewriting it: the erased list, applied when
the models are loaded (also by running servers) and by the next training; erasures at the
same moment in several processes, and erasures while a training run reads and fits, lose
nothing. Real SQLite stores, real files, real processes and threads."""

from __future__ import annotations

import logging
import multiprocessing
import random
import shutil
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path

import joblib
import pytest
from sqlalchemy import select

from personalization.conversation.models import LiveModels
from personalization.demo_data import generate, load
from personalization.hashing import IdHasher
from personalization.privacy.requests import PrivacyRequests
from personalization.store import Store, migrate
from personalization.store import schema as t
from personalization.training import load_models, save_models, train_models
from personalization.training.erased import ErasedList
from tests.databases import create_postgres_database, drop_postgres_database

HASHER = IdHasher(b"recommender-erasure-hash-key-01")
NOW = datetime(2026, 11, 27)


def copy_store(source: Store, folder: Path) -> str:
    """A copy of a SQLite profile store (SQLite's online backup: WAL contents included)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "profiles.db"
    with sqlite3.connect(source.engine.url.database) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    """A demo shop trained with the hash key; without churn labels (the churn model takes
    most of a training run's time and keeps nothing per customer)."""
    folder = tmp_path_factory.mktemp("keyed")
    url = f"sqlite:///{folder / 'profiles.db'}"
    migrate.upgrade(url)
    store = Store.from_url(url)
    load(store, generate(800, seed=21, now=NOW), progress=False)
    with store.begin() as conn:
        conn.execute(t.customers.update().values(churned=None))
    started = time.monotonic()
    train_models(store, folder / "models", now=NOW, say=lambda _: None, hasher=HASHER)
    store.dispose()
    return url, folder / "models", time.monotonic() - started


@pytest.fixture
def shop(keyed, tmp_path):
    """(store, models folder, seconds a training run takes): a fresh copy for each test."""
    store = Store.from_url(copy_store(Store.from_url(keyed[0]), tmp_path / "db"))
    models = tmp_path / "models"
    shutil.copytree(keyed[1], models)
    yield store, models, keyed[2]
    store.dispose()


@pytest.fixture
def postgres_shop(keyed, tmp_path):
    """The same shop in a PostgreSQL profile store, where erasures run side by side."""
    url = create_postgres_database()
    migrate.upgrade(url)
    source, target = Store.from_url(keyed[0]), Store.from_url(url)
    tables = [t.customers, t.preferences, t.products, t.orders, t.order_items, t.tickets,
              t.events, t.consent_records, t.consent_state, t.interaction_history]
    with source.engine.connect() as read, target.begin() as write:
        for table in tables:
            rows = [{k: v for k, v in r._mapping.items() if k != "id"}  # ids: the target's
                    for r in read.execute(select(table))]
            for start in range(0, len(rows), 1000):
                write.execute(table.insert(), rows[start:start + 1000])
    source.dispose()
    models = tmp_path / "models"
    shutil.copytree(keyed[1], models)
    yield target, models
    target.dispose()
    drop_postgres_database(url)


def customers_in_model(models: Path, how_many: int) -> list[str]:
    return [str(c) for c in load_models(models).recommender.customers[:how_many]]


def saved_customers(models: Path) -> set[str]:
    """The customer rows in the recommender's file as saved (no erased list applied)."""
    return {str(c) for c in joblib.load(models / "recommender.joblib").customers}


def erase_at(url: str, models: str, customer_id: str, moment: float) -> None:
    """In a process of its own: erase one customer at a given moment."""
    store = Store.from_url(url)
    time.sleep(max(0.0, moment - time.time()))
    PrivacyRequests(store, HASHER, [], Path(models)).erase(customer_id, "test:process")
    store.dispose()


def test_erasures_at_the_same_moment_in_several_processes_all_reach_the_recommender(
        postgres_shop):  # fmt: skip
    store, models = postgres_shop
    *victims, neighbour = customers_in_model(models, 7)
    spawn = multiprocessing.get_context("spawn")
    moment = time.time() + 8  # the processes have imported everything by then
    processes = [spawn.Process(target=erase_at, args=(str(store.engine.url), str(models), c,
                                                      moment)) for c in victims]  # fmt: skip
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0

    recommender = load_models(models).recommender
    assert [recommender.history_of(c) for c in victims] == [{}] * len(victims)
    assert recommender.history_of(neighbour)
    assert sorted(ErasedList(models).read()) == sorted(HASHER(c) for c in victims)
    assert all(c not in (models / "erased.txt").read_text() for c in victims)  # hashes only


def test_an_erasure_does_not_rewrite_the_model_and_running_servers_drop_the_customer(shop):
    store, models, _ = shop
    victim, neighbour = customers_in_model(models, 2)
    live = LiveModels(models)
    assert live.get().recommender.history_of(victim)
    before = {p.name: p.read_bytes() for p in models.glob("*.joblib")}
    version = live.get().version

    report = PrivacyRequests(store, HASHER, [], models).erase(victim, "test")

    assert {p.name: p.read_bytes() for p in models.glob("*.joblib")} == before
    assert live.get().version == version
    assert live.get().recommender.history_of(victim) == {}
    assert live.get().recommender.history_of(neighbour)
    again = PrivacyRequests(store, HASHER, [], models).erase(victim, "test")
    assert "1 added to the recommender's erased list" in report.summary()
    assert not again.anything_found and ErasedList(models).read() == [HASHER(victim)]


def erase_when(store: Store, models: Path, customer_id: str, signal: str):
    """A `say` for train_models that erases the customer, in another thread (its own
    connection), when the training run reports `signal`: the run waits for it meanwhile."""

    def say(line: str) -> None:
        if signal in line:
            erasure = threading.Thread(target=PrivacyRequests(store, HASHER, [], models).erase,
                                       args=(customer_id, "test:race"))  # fmt: skip
            erasure.start()
            erasure.join()

    return say


def test_an_erasure_while_training_fits_is_not_undone_by_its_save(shop):
    store, models, _ = shop
    victim, neighbour = customers_in_model(models, 2)
    train_models(store, models, now=NOW, hasher=HASHER,
                 say=erase_when(store, models, victim, "recommender on"))  # fmt: skip

    assert victim not in saved_customers(models)  # the run dropped the customer before saving
    assert neighbour in saved_customers(models)
    assert ErasedList(models).read() == []  # dealt with: the run removed the entry
    assert load_models(models).recommender.history_of(victim) == {}


def test_erasures_at_random_moments_of_a_training_run_are_all_kept(shop):
    store, models, seconds = shop
    victims = customers_in_model(models, 6)
    requests = PrivacyRequests(store, HASHER, [], models)
    rng = random.Random(4)
    erasures = [threading.Timer(rng.uniform(0, seconds), requests.erase, (c, "test:race"))
                for c in victims]  # fmt: skip
    for erasure in erasures:
        erasure.start()
    train_models(store, models, now=NOW, say=lambda _: None, hasher=HASHER)
    for erasure in erasures:
        erasure.join()

    recommender = load_models(models).recommender
    assert [recommender.history_of(c) for c in victims] == [{}] * len(victims)
    listed = set(ErasedList(models).read())  # those erased after the run had settled
    assert all(c not in saved_customers(models) or HASHER(c) in listed for c in victims)


def test_a_recommender_trained_without_the_hash_key_is_not_used_after_an_erasure(shop, caplog):
    store, models, _ = shop
    unkeyed = load_models(models)  # as `train` without PERSONALIZATION_HASH_KEY leaves it
    unkeyed.recommender.customer_keys = None
    save_models(unkeyed, models)
    victim = customers_in_model(models, 1)[0]
    PrivacyRequests(store, HASHER, [], models).erase(victim, "test")
    with caplog.at_level(logging.WARNING):
        assert load_models(models).recommender is None
    assert "trained without PERSONALIZATION_HASH_KEY" in caplog.text


def test_the_erased_list_keeps_every_entry_of_concurrent_writers(tmp_path):
    listed = ErasedList(tmp_path)
    hashes = [HASHER(f"C{i:05d}") for i in range(400)]
    settled = hashes[:100]
    for h in settled:
        listed.add(h)

    def add(part: list[str]) -> None:
        for h in part:
            listed.add(h)

    writers = [threading.Thread(target=add, args=(hashes[100 + i::4],)) for i in range(4)]
    for writer in writers:
        writer.start()
    listed.remove(settled)  # a training run removing what it dealt with, meanwhile
    for writer in writers:
        writer.join()
    assert sorted(listed.read()) == sorted(hashes[100:])
    with pytest.raises(ValueError, match="64 hexadecimal"):
        listed.add("C00001")  # never an id


def test_an_erasure_after_a_write_cut_short_is_still_listed(tmp_path):
    """A crash in the middle of a line leaves it torn: the next hash starts its own line."""
    listed = ErasedList(tmp_path)
    first, second = HASHER("C00001"), HASHER("C00002")
    listed.add(first)
    with open(tmp_path / "erased.txt", "a") as out:
        out.write(HASHER("C00003")[:20])  # the crash
    listed.add(second)
    assert listed.read() == [first, second]


def test_an_export_after_erasure_shows_nothing_in_the_recommender(shop):
    store, models, _ = shop
    victim = customers_in_model(models, 1)[0]
    requests = PrivacyRequests(store, HASHER, [], models)
    assert requests.export(victim, "test")["recommender"]["products_weighted"]
    requests.erase(victim, "test")
    assert requests.export(victim, "test") is None
    with store.engine.connect() as conn:
        assert not conn.execute(select(t.customers).where(
            t.customers.c.customer_id == victim)).first()  # fmt: skip
