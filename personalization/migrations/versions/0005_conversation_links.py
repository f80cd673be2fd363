"""conversation links: the customer a Rasa conversation (sender id) was verified to belong to

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 21:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_links",
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sender_id", name=op.f("pk_conversation_links")),
    )
    op.create_index(op.f("ix_conversation_links_customer_id"), "conversation_links",
                    ["customer_id"])  # fmt: skip


def downgrade() -> None:
    op.drop_table("conversation_links")
