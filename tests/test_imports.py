"""CRM, ticket and order imports driven by mapping files, against real databases."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from personalization.hashing import IdHasher
from personalization.imports.mapping import MappingError, load_mapping, parse_mapping
from personalization.imports.runner import run_import
from personalization.store import audit
from personalization.store import schema as t
from personalization.store.tracking import record_consent, suppress
from tests.trackers import ROOT

HASHER = IdHasher(b"test-hash-key-0123456789")
MAPPINGS = ROOT / "examples" / "mappings"
TELECOM_HEADER = ["customerID", "gender", "SeniorCitizen", "Partner", "tenure", "Contract",
                  "PaymentMethod", "MonthlyCharges", "TotalCharges", "Churn"]  # fmt: skip


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def telecom_rows() -> list[list]:
    return [
        ["7590-VHVEG", "Female", "0", "Yes", "1", "Month-to-month", "Electronic check", "29.85",
         "29.85", "No"],
        ["5575-GNVDE", "Male", "0", "No", "34", "One year", "Mailed check", "56.95", "1,889.50",
         "No"],
        ["3668-QPYBK", "Male", "1", "No", "0", "Two year", "Bank transfer", "53.85", " ", "Yes"],
        ["9237-HQITU", "Female", "0", "No", "2", "Month-to-month", "Credit card", "seventy",
         "151.65", "Yes"],
        ["", "Female", "0", "No", "8", "Month-to-month", "Credit card", "99.65", "820.5", "Yes"],
        ["5575-GNVDE", "Male", "0", "No", "34", "One year", "Mailed check", "56.95", "1,889.50",
         "No"],
    ]  # fmt: skip


def count(store, table):
    with store.begin() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_a_telecom_export_imports_with_its_mapping_alone(store, tmp_path):
    source = write_csv(tmp_path / "telco.csv", TELECOM_HEADER, telecom_rows())
    mapping = load_mapping(MAPPINGS / "telecom_crm.yml", "crm")
    report = run_import(source, mapping, store, HASHER, progress=False)

    assert report.rows == 6
    assert (report.written.inserted, report.duplicates, report.rejected) == (3, 1, 2)
    new = store.profile("3668-QPYBK")
    assert "TotalCharges" not in new.attributes  # blank is missing, not an error
    assert new.attributes["SeniorCitizen"] == 1 and new.attributes["Partner"] is False
    assert store.profile("5575-GNVDE").attributes["TotalCharges"] == pytest.approx(1889.5)
    with store.begin() as conn:
        labels = dict(conn.execute(select(t.customers.c.customer_id, t.customers.c.churned)).all())
    assert labels == {"7590-VHVEG": False, "5575-GNVDE": False, "3668-QPYBK": True}

    with open(report.rejects_file) as rejects:
        rejected = list(csv.DictReader(rejects))
    assert [(r["line"], r["customerID"]) for r in rejected] == [("5", "9237-HQITU"), ("6", "")]
    assert "MonthlyCharges" in rejected[0]["reason"] and "'seventy'" in rejected[0]["reason"]
    assert "empty" in rejected[1]["reason"]

    again = run_import(source, mapping, store, HASHER, progress=False)
    assert (again.written.inserted, again.written.updated, again.written.unchanged) == (0, 0, 3)
    assert count(store, t.customers) == 3


def test_changed_rows_update_and_blank_id_rows_never_merge(store, tmp_path):
    mapping = load_mapping(MAPPINGS / "telecom_crm.yml")
    rows = telecom_rows()[:2]
    run_import(write_csv(tmp_path / "a.csv", TELECOM_HEADER, rows), mapping, store, HASHER,
               progress=False)  # fmt: skip
    rows[1][4] = "35"  # tenure went up
    report = run_import(write_csv(tmp_path / "b.csv", TELECOM_HEADER, rows), mapping, store,
                        HASHER, progress=False)  # fmt: skip
    assert (report.written.updated, report.written.unchanged) == (1, 1)
    assert store.profile("5575-GNVDE").attributes["tenure"] == 35


def test_erased_customers_are_not_imported_again(store, tmp_path):
    with store.begin() as conn:
        suppress(conn, [HASHER("7590-VHVEG")])
    source = write_csv(tmp_path / "telco.csv", TELECOM_HEADER, telecom_rows()[:2])
    report = run_import(source, load_mapping(MAPPINGS / "telecom_crm.yml"), store, HASHER,
                        progress=False)  # fmt: skip
    assert report.suppressed == 1
    assert store.profile("7590-VHVEG") is None and store.profile("5575-GNVDE") is not None


def test_consent_as_legal_basis_imports_only_consenting_customers(store, tmp_path):
    header = ["id", "name", "opt_in"]
    source = write_csv(tmp_path / "crm.csv", header, [["a", "Ann", "Y"], ["b", "Bob", "N"],
                                                      ["c", "Cy", ""]])  # fmt: skip
    with store.begin() as conn:
        record_consent(conn, "c", "personalization", True, "web")
    mapping = parse_mapping({
        "kind": "crm", "id": "id", "legal_basis": "consent", "fields": {"name": "name"},
        "consent": {"column": "opt_in", "purpose": "personalization",
                    "translate": {"Y": True, "N": False}},
    }, "inline")  # fmt: skip
    report = run_import(source, mapping, store, HASHER, progress=False)
    assert report.without_consent == 1
    assert store.profile("a").name == "Ann" and store.profile("c").name == "Cy"
    assert store.profile("b") is None
    assert store.profile("a").consent == {"personalization": True}
    with store.engine.connect() as conn:
        log = {(e["subject"], e["outcome"]) for e in audit.entries(conn)
               if e["action"] == "consent" and e["actor"] == "import of crm.csv"}  # fmt: skip
    assert log == {(HASHER("a"), "granted"), (HASHER("b"), "withdrawn")}


def test_tickets_import(store, tmp_path):
    header = ["Ticket ID", "Customer", "Topic", "Channel", "Opened", "Closed", "Escalated",
              "Satisfaction"]  # fmt: skip
    source = write_csv(tmp_path / "tickets.csv", header, [
        ["T-1", "c1", "delivery", "email", "2026-03-01 09:15", "2026-03-02 10:00", "L2", "2"],
        ["T-2", "c1", "refund", "chat", "2026-03-05T08:00:00", "", "L1", ""],
        ["T-3", "c2", "account", "phone", "not a date", "", "L1", "5"],
    ])  # fmt: skip
    report = run_import(source, load_mapping(MAPPINGS / "tickets.yml"), store, HASHER,
                        progress=False)  # fmt: skip
    assert (report.written.inserted, report.rejected) == (2, 1)
    tickets = {k.ticket_id: k for k in store.profile("c1").recent_tickets}
    assert tickets["T-1"].escalated is True and tickets["T-1"].csat == 2
    assert tickets["T-1"].created_at == datetime(2026, 3, 1, 9, 15)
    assert tickets["T-2"].resolved_at is None and tickets["T-2"].escalated is False


def test_order_lines_become_orders_with_items(store, tmp_path):
    header = ["order_number", "customer", "state", "order_total", "currency", "created", "sku",
              "qty", "price"]  # fmt: skip
    source = write_csv(tmp_path / "orders.csv", header, [
        ["10000001", "c1", "shipped", "45.00", "EUR", "01.04.2026 10:30", "p1", "2", "15.00"],
        ["10000001", "c1", "shipped", "45.00", "EUR", "01.04.2026 10:30", "p2", "1", "15.00"],
        ["10000002", "c1", "complete", "9.99", "EUR", "03.04.2026 18:00", "p3", "", "9.99"],
    ])  # fmt: skip
    run_import(source, load_mapping(MAPPINGS / "orders.yml"), store, HASHER, progress=False)
    orders = {o.order_id: o for o in store.profile("c1").recent_orders}
    assert orders["10000001"].items == (("p1", 2), ("p2", 1))
    assert orders["10000001"].status == "dispatched"
    assert orders["10000002"].status == "delivered" and orders["10000002"].items == (("p3", 1),)
    assert orders["10000002"].placed_at.date() == date(2026, 4, 3)


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"kind": "crm", "id": "id", "fields": {"emial": "mail"}}, "fields.emial: is not a crm"),
        ({"kind": "crm", "id": "id", "colour": 1}, "colour: unknown key"),
        ({"kind": "tickets", "id": "id", "fields": {"category": "c"}}, "needs customer_id"),
        ({"kind": "crm", "fields": {}}, "id: name the source column"),
        ({"kind": "crm", "id": "id", "fields": {"churned": {"column": "c", "type": "yesno"}}},
         "fields.churned.type: must be one of"),
        ({"kind": "invoices", "id": "id"}, "kind: must be one of"),
    ],
)  # fmt: skip
def test_mapping_mistakes_are_explained(raw, message):
    with pytest.raises(MappingError, match=message):
        parse_mapping(raw, "m.yml")


def test_a_column_missing_from_the_file_is_named(store, tmp_path):
    source = write_csv(tmp_path / "x.csv", ["customerID", "Churned?"], [["a", "Yes"]])
    with pytest.raises(MappingError, match="no column 'Churn'; its columns are 'customerID'"):
        run_import(source, load_mapping(MAPPINGS / "telecom_crm.yml"), store, HASHER)
    assert count(store, t.customers) == 0


def test_the_import_command(tmp_path):
    db = f"sqlite:///{tmp_path / 'p.db'}"
    env = {"PATH": "/usr/bin:/bin", "PERSONALIZATION_HASH_KEY": "k" * 32}
    run = [sys.executable, "-m", "personalization", "--db", db]
    subprocess.run([*run, "db", "upgrade"], check=True, cwd=ROOT, env=env, capture_output=True)
    source = write_csv(tmp_path / "telco.csv", TELECOM_HEADER, telecom_rows())
    done = subprocess.run(
        [*run, "import", "crm", str(source), "--mapping", str(MAPPINGS / "telecom_crm.yml"),
         "--quiet"], cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "6 rows read: 3 new, 0 updated, 0 unchanged; 1 duplicate rows removed, 2 rejected" in (
        done.stdout)  # fmt: skip
    bad = subprocess.run([*run, "import", "tickets", str(source), "--mapping",
                          str(MAPPINGS / "telecom_crm.yml")], cwd=ROOT, env=env,
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2
    assert "this mapping is for 'crm' imports, not 'tickets'" in bad.stderr


def test_a_yes_no_column_with_a_third_answer_is_a_category(store, tmp_path):
    rows = [[f"c{i}", "Yes" if i % 3 else "No internet service", "No"] for i in range(12)]
    source = write_csv(tmp_path / "x.csv", ["customerID", "TechSupport", "Churn"], rows)
    report = run_import(source, load_mapping(MAPPINGS / "telecom_crm.yml"), store, HASHER)
    assert report.rejected == 0
    assert store.profile("c0").attributes == {"TechSupport": "No internet service"}
    assert store.profile("c1").attributes == {"TechSupport": "Yes"}
