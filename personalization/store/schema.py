"""Tables of the profile store. Changes here need an Alembic migration (see docs/data.md)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
)
from sqlalchemy.dialects.postgresql import JSONB

# Names for constraints, so migrations are the same on SQLite and PostgreSQL.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = JSON().with_variant(JSONB(), "postgresql")


def customer_fk() -> ForeignKey:
    return ForeignKey("customers.customer_id", ondelete="CASCADE")

customers = Table(
    "customers",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("name", String(200)),
    Column("email", String(320), index=True),
    Column("country", String(64)),
    Column("region", String(64)),
    Column("language", String(16)),
    Column("birth_year", Integer),
    Column("age_band", String(16)),
    Column("account_tier", String(32)),
    Column("loyalty_status", String(32)),
    Column("signup_date", Date),
    # a label such as "churned" from a CRM export, for the models
    Column("churned", Boolean),
    # every other CRM attribute the import mapping keeps (contract, payment method, ...)
    Column("attributes", Json, nullable=False, default=dict),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

preferences = Table(
    "preferences",
    metadata,
    Column("customer_id", String(64), customer_fk(), primary_key=True),
    Column("tone", String(16)),  # formal | casual
    Column("language", String(16)),
    Column("product_interests", Json, nullable=False, default=list),
    Column("updated_at", DateTime, nullable=False),
)

products = Table(
    "products",
    metadata,
    Column("product_id", String(64), primary_key=True),
    Column("name", String(200)),
    Column("category", String(64), index=True),
    Column("price", Numeric(12, 2, asdecimal=False)),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    # None once the customer is erased: the order stays for the accounts, anonymized
    Column("customer_id", String(64), customer_fk()),
    Column("status", String(32), nullable=False),
    Column("total", Numeric(12, 2, asdecimal=False)),
    Column("currency", String(3)),
    Column("placed_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("shipping_address", Json),
    # total too: a profile's order count and lifetime value are read from the index alone
    Index("ix_orders_customer_placed", "customer_id", "placed_at", "total"),
)

order_items = Table(
    "order_items",
    metadata,
    Column(
        "order_id",
        String(64),
        ForeignKey("orders.order_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("product_id", String(64), primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Numeric(12, 2, asdecimal=False)),
)

tickets = Table(
    "tickets",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("customer_id", String(64), customer_fk(), nullable=False),
    Column("category", String(64)),
    Column("channel", String(32)),
    Column("created_at", DateTime, nullable=False),
    Column("resolved_at", DateTime),
    Column("escalated", Boolean, nullable=False, default=False),
    Column("csat", Integer),  # 1-5
    # hand-offs from the assistant: who took over and why (personalization rules)
    Column("route", String(32)),
    Column("reason", String(500)),
    Index("ix_tickets_customer_created", "customer_id", "created_at"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(128), nullable=False, unique=True),
    Column("customer_id", String(64), index=True),
    Column("anonymous_id", String(128)),
    Column("type", String(16), nullable=False),  # identify | track | page
    Column("name", String(128)),
    Column("properties", Json, nullable=False, default=dict),
    Column("context", Json, nullable=False, default=dict),
    Column("timestamp", DateTime, nullable=False),
    Column("received_at", DateTime, nullable=False),
)

consent_records = Table(
    "consent_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("purpose", String(32), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("channel", String(32), nullable=False),
    Column("notice_version", String(32)),
)

# The latest decision per customer and purpose: what the consent gate reads.
consent_state = Table(
    "consent_state",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("purpose", String(32), primary_key=True),
    Column("granted", Boolean, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("notice_version", String(32)),  # the privacy notice the customer answered
)

scores = Table(
    "scores",
    metadata,
    Column("customer_id", String(64), customer_fk(), primary_key=True),
    Column("segment", String(64)),
    Column("persona", String(200)),
    Column("churn_risk", Float),
    Column("model_version", String(64)),
    Column("computed_at", DateTime, nullable=False),
)

interaction_history = Table(
    "interaction_history",
    metadata,
    Column("customer_id", String(64), customer_fk(), primary_key=True),
    Column("last_interaction_at", DateTime),
    Column("conversations", Integer, nullable=False, default=0),
    Column("messages", Integer, nullable=False, default=0),
    Column("requests_by_intent", Json, nullable=False, default=dict),
    Column("escalations", Integer, nullable=False, default=0),
    Column("fallbacks", Integer, nullable=False, default=0),
    Column("updated_at", DateTime, nullable=False),
)

# Keys of conversation events already applied by the updater: exactly-once effect.
applied_events = Table(
    "applied_events",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("event_key", String(128), primary_key=True),
    Column("applied_at", DateTime, nullable=False),
)

# Where the updater has read a polled source up to.
source_offsets = Table(
    "source_offsets",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("position", Integer, nullable=False),
)

# Erased ids, as keyed hashes: later events or imports for them are dropped.
suppression = Table(
    "suppression",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("added_at", DateTime, nullable=False),
)

# Exports, erasures and consent changes: who, what, when, outcome. Append-only (database
# triggers refuse UPDATE and DELETE). `subject` is the keyed hash of the customer id, and
# `detail` holds counts and reasons, never personal data.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(32), nullable=False),
    Column("subject", String(64), index=True),
    Column("outcome", String(32), nullable=False),
    Column("detail", Json, nullable=False, default=dict),
)

# Conversations of erased customers that Rasa may still be writing (an erasure asked for in
# the chat): deleted from the tracker store and event broker once quiet, then removed here.
pending_sweeps = Table(
    "pending_sweeps",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column("requested_at", DateTime, nullable=False),
)

# Which customer a Rasa conversation belongs to (its sender id is random on the web chat), as
# the signed metadata of its messages proved; the updater attributes conversation events so.
conversation_links = Table(
    "conversation_links",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("linked_at", DateTime, nullable=False),
)
