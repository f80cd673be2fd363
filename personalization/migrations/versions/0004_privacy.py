"""privacy: an append-only audit log, the notice version of a consent, anonymized orders,
conversations waiting to be swept after an erasure

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Rows of the audit log can be added, never changed or removed: the database refuses.
SQLITE_GUARDS = [
    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]
POSTGRES_GUARD = [
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64)),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_subject"), "audit_log", ["subject"])
    for statement in POSTGRES_GUARD if op.get_bind().dialect.name == "postgresql" else (
            SQLITE_GUARDS):  # fmt: skip
        op.execute(statement)
    op.create_table(
        "pending_sweeps",
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sender_id", name=op.f("pk_pending_sweeps")),
    )
    with op.batch_alter_table("consent_state") as batch:
        batch.add_column(sa.Column("notice_version", sa.String(length=32), nullable=True))
    # the notice of each current decision: that of the newest record behind it
    op.execute(
        "UPDATE consent_state SET notice_version = (SELECT r.notice_version FROM "
        "consent_records r WHERE r.customer_id = consent_state.customer_id AND r.purpose = "
        "consent_state.purpose ORDER BY r.recorded_at DESC, r.id DESC LIMIT 1)"
    )
    # an erased customer's orders stay for the accounts, without the customer
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("customer_id", existing_type=sa.String(length=64), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("customer_id", existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table("consent_state") as batch:
        batch.drop_column("notice_version")
    op.drop_table("pending_sweeps")
    op.drop_table("audit_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_log_append_only()")
