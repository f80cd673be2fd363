"""A terminal chat with the assistant over its REST channel, as a chosen customer.

It plays the part of the shop's website: it signs the chosen customer's id for this chat
session (a random Rasa sender id) with PERSONALIZATION_IDENTITY_SECRET, again before the
signature expires, and sends it as each message's metadata, as a chat widget would.
"""

from __future__ import annotations

import time
import uuid

import requests

from personalization.conversation.identity import EXPIRES_KEY, signed_metadata

RENEW_BEFORE = 60  # seconds: a signature about to expire is made again before a message


def choose_customer(examples: list[tuple[str, str, str]]) -> str | None:
    """Ask who to chat as; None is an anonymous visitor."""
    if not examples:
        return None
    print("\nChat as:\n  0) an anonymous visitor")
    for i, (customer_id, name, why) in enumerate(examples, 1):
        print(f"  {i}) {name} ({customer_id}): {why}")
    while True:
        answer = input("Choose a number [0]: ").strip() or "0"
        if answer.isdigit() and int(answer) <= len(examples):
            return examples[int(answer) - 1][0] if int(answer) else None
        print(f"Please type a number from 0 to {len(examples)}.")


def chat(rasa_url: str, customer_id: str | None, secret: bytes | None,
         lifetime: int = 3600) -> None:  # fmt: skip
    sender = f"terminal-{uuid.uuid4().hex[:12]}"
    metadata: dict = {}

    def signed() -> dict:
        nonlocal metadata
        if customer_id and secret and metadata.get(EXPIRES_KEY, 0) - time.time() < RENEW_BEFORE:
            metadata = signed_metadata(secret, customer_id, sender, lifetime)
        return metadata

    print("\nType a message and press Enter; a number picks a button; Ctrl-C quits.")
    buttons: list[dict] = []
    while True:
        text = input("You: ").strip()
        if not text:
            continue
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        replies = requests.post(f"{rasa_url}/webhooks/rest/webhook", timeout=60, json={
            "sender": sender, "message": text, "metadata": signed()}).json()  # fmt: skip
        buttons = []
        for reply in replies:
            if reply.get("text"):
                print(f"Bot: {reply['text']}")
            for button in reply.get("buttons") or []:
                buttons.append(button)
                print(f"     {len(buttons)}) {button['title']}")
