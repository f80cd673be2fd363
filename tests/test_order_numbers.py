import pytest

from personalization.order_numbers import parse_order_number


@pytest.mark.parametrize(
    "text, expected",
    [
        ("10482913", "10482913"),
        ("#10482913", "10482913"),
        ("# 10482913", "10482913"),
        ("ORD-10482913", "10482913"),
        ("ord10482913", "10482913"),
        ("it's 1048-2913 i think", "10482913"),
        ("order no. 1048 2913, thanks", "10482913"),
        ("my order number is 55501234!!", "55501234"),
        (["not a number", "#22223333"], "22223333"),
    ],
)
def test_finds_the_order_number_however_it_is_written(text, expected):
    assert parse_order_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "I don't know it",
        "1234567",  # 7 digits
        "123456789",  # 9 digits
        "INV-204518",  # an invoice number
        "call me on +49 1512 3456789",
        "it cost 10482913.50",
        "my card 5555 5555 5555 4444 was charged twice",  # groups of a card number
        "call 0470 1234 5678",
        [],
    ],
)
def test_rejects_what_is_not_an_order_number(text):
    assert parse_order_number(text) is None
