"""`python -m personalization import crm|tickets|orders FILE.csv --mapping MAPPING.yml`.

Reads the file, converts it by the mapping, removes duplicate rows, drops erased ids (and,
under `legal_basis: consent`, customers without consent), and upserts the rest in one
transaction: a failed import changes nothing, and importing the same file again changes
nothing either. The suppression list is read under the customers' locks
(store.customer_locks), so an erasure running at the same time is never undone. Unusable
rows go to a rejects file with their line number and the reason.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from personalization.cleaning import DeduplicateById
from personalization.hashing import IdHasher
from personalization.imports.convert import convert
from personalization.imports.mapping import Mapping, MappingError
from personalization.store import Store, audit
from personalization.store.commerce import upsert_orders, upsert_tickets
from personalization.store.customer_locks import lock_for_writing
from personalization.store.customers import upsert_customers
from personalization.store.sql import UpsertCounts, chunks
from personalization.store.tracking import consented, record_consent, suppressed

CHUNK_ROWS = 2000


@dataclass
class ImportReport:
    rows: int = 0
    written: UpsertCounts = field(default_factory=UpsertCounts)
    duplicates: int = 0
    rejected: int = 0
    suppressed: int = 0
    without_consent: int = 0
    rejects_file: Path | None = None

    def summary(self) -> str:
        w = self.written
        text = (f"{self.rows} rows read: {w.inserted} new, {w.updated} updated, "
                f"{w.unchanged} unchanged; {self.duplicates} duplicate rows removed, "
                f"{self.rejected} rejected, {self.suppressed} of erased customers dropped, "
                f"{self.without_consent} without consent dropped.")  # fmt: skip
        if self.rejects_file:
            text += f" Rejected rows with reasons: {self.rejects_file}"
        return text


def read_csv(path: Path, mapping: Mapping) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=mapping.delimiter,
                            encoding=mapping.encoding, skipinitialspace=False)  # fmt: skip
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise MappingError(f"{path}: cannot be read as CSV ({error})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = frame.index + 2  # line numbers: the header is line 1
    return frame


def run_import(
    path: Path,
    mapping: Mapping,
    store: Store,
    hasher: IdHasher,
    rejects_path: Path | None = None,
    progress: bool = True,
) -> ImportReport:
    raw = read_csv(path, mapping)
    report = ImportReport(rows=len(raw))
    converted = convert(raw, mapping, str(path))
    frame = converted.frame
    if mapping.kind != "orders":  # an order spans several lines, one per item
        dedup = DeduplicateById("id").fit(frame)
        frame = dedup.transform(frame)
        report.duplicates = dedup.removed_
    else:
        before = len(frame)
        frame = frame[~frame.astype(str).duplicated()]
        report.duplicates = before - len(frame)

    customer_column = "id" if mapping.kind == "crm" else "customer_id"
    with store.begin() as conn:
        ids = frame[customer_column].astype(str)
        lock_for_writing(conn, set(ids))  # an erasure running now commits first (or waits)
        hashes = ids.map(hasher)
        erased = hashes.isin(suppressed(conn, set(hashes)))
        report.suppressed = int(erased.sum())
        frame = frame[~erased]
        if "consent" in frame:
            decisions = frame[[customer_column, "consent"]].dropna()
            for cid, granted in decisions.itertuples(index=False):
                if record_consent(conn, str(cid), mapping.consent_purpose, bool(granted),
                                  "import"):  # fmt: skip
                    audit.append(conn, f"import of {path.name}", "consent", hasher(str(cid)),
                                 "granted" if granted else "withdrawn",
                                 {"purpose": mapping.consent_purpose})  # fmt: skip
        if mapping.legal_basis == "consent":
            allowed = consented(conn, set(frame[customer_column].astype(str)),
                                mapping.consent_purpose)  # fmt: skip
            keep = frame[customer_column].astype(str).isin(allowed)
            report.without_consent = int((~keep).sum())
            frame = frame[keep]
        writer = {"crm": _write_customers, "tickets": _write_tickets, "orders": _write_orders}
        records = writer[mapping.kind](frame)
        bar = tqdm(total=len(records), unit="rows", disable=not progress, desc=mapping.kind)
        for part in chunks(records, CHUNK_ROWS):
            report.written.add(WRITE[mapping.kind](conn, list(part)))
            bar.update(len(part))
        bar.close()

    report.rejected = len(converted.rejects)
    if converted.rejects:
        report.rejects_file = rejects_path or path.with_suffix(".rejects.csv")
        write_rejects(report.rejects_file, raw, converted.rejects)
    return report


def write_rejects(path: Path, raw: pd.DataFrame, rejects: dict[int, str]) -> None:
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "reason", *raw.columns])
        for line in sorted(rejects):
            writer.writerow([line, rejects[line], *raw.loc[line].tolist()])


def _plain(frame: pd.DataFrame, prefix: str = "attributes.") -> list[dict]:
    rows = []
    for record in frame.to_dict("records"):
        row = {k: v for k, v in record.items() if not k.startswith(prefix) and k != "consent"}
        attributes = {k[len(prefix):]: v for k, v in record.items()
                      if k.startswith(prefix) and v is not None}  # fmt: skip
        if attributes or any(k.startswith(prefix) for k in record):
            row["attributes"] = attributes
        rows.append(row)
    return rows


def _write_customers(frame: pd.DataFrame) -> list[dict]:
    return [{"customer_id": str(r.pop("id")), **r} for r in _plain(frame)]


def _write_tickets(frame: pd.DataFrame) -> list[dict]:
    rows = [{"ticket_id": str(r.pop("id")), **r} for r in _plain(frame)]
    for row in rows:
        if row.get("escalated") is None:
            row["escalated"] = False
    return rows


def _write_orders(frame: pd.DataFrame) -> list[dict]:
    orders: dict[str, dict] = {}
    for r in _plain(frame):
        order_id = str(r.pop("id"))
        item = {k: r.pop(k, None) for k in ("product_id", "quantity", "unit_price")}
        order = orders.setdefault(order_id, {"order_id": order_id, "status": "placed",
                                             "items": []})  # fmt: skip
        order.update({k: v for k, v in r.items() if v is not None})
        if item["product_id"] is not None:
            order["items"].append({**item, "quantity": item["quantity"] or 1})
    return list(orders.values())


WRITE = {"crm": upsert_customers, "tickets": upsert_tickets, "orders": upsert_orders}
