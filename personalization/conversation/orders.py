"""An order as the assistant talks about it: its stage and the words for its details."""

from __future__ import annotations

from personalization.store.profile import OrderSummary

STATUS_WORDS = {
    "placed": "has been placed and is being prepared",
    "paid": "is paid and being prepared in our warehouse",
    "dispatched": "is on its way",
    "delivered": "has been delivered",
    "cancelled": "was cancelled",
    "returned": "was returned",
    "refunded": "was returned and refunded",
}
STAGES = {"placed": "open", "paid": "open", "dispatched": "shipped"}  # others: closed
CURRENCY_SIGNS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF "}


def order_stage(order: OrderSummary) -> str:
    """open (can still be changed or cancelled), shipped, or closed."""
    return STAGES.get(order.status, "closed")


def order_words(order: OrderSummary, names: dict[str, str]) -> dict[str, str]:
    """Response variables: order_date, order_total, order_items, order_status."""
    count = sum(quantity for _, quantity in order.items)
    if len(order.items) == 1:
        product, quantity = order.items[0]
        items = names.get(product, product) + (f" (x{quantity})" if quantity > 1 else "")
    else:
        items = f"{count} items"
    sign = CURRENCY_SIGNS.get(order.currency or "EUR", f"{order.currency} ")
    total = f"{sign}{order.total:,.2f}" if order.total is not None else "an unknown total"
    return {
        "order_date": f"{order.placed_at.day} {order.placed_at:%B %Y}",
        "order_total": total,
        "order_items": items,
        "order_status": STATUS_WORDS.get(order.status, f"is {order.status}"),
    }
