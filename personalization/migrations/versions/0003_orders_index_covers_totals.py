"""orders: the customer index also holds the total (profile reads use the index alone)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 14:05:00
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_orders_customer_placed", table_name="orders")
    op.create_index("ix_orders_customer_placed", "orders", ["customer_id", "placed_at", "total"])


def downgrade() -> None:
    op.drop_index("ix_orders_customer_placed", table_name="orders")
    op.create_index("ix_orders_customer_placed", "orders", ["customer_id", "placed_at"])
