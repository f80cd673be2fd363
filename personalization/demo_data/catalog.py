"""The product catalog and the latent shopper personas that decide what people look at."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from personalization.demo_data.sampling import stream

# category -> (brands, (product type, typical price in EUR))
CATALOG: dict[str, tuple[tuple[str, ...], tuple[tuple[str, float], ...]]] = {
    "laptops": (("Nimbus", "Voltra", "Arcadia", "Kestrel"), (
        ("Air 13 Laptop", 999), ("Pro 14 Laptop", 1499), ("Pro 16 Laptop", 1999),
        ("Flex 14 2-in-1 Laptop", 849), ("Book 15 Laptop", 649), ("Go 12 Chromebook", 349),
        ("Studio 16 Creator Laptop", 2299))),
    "phones": (("Lumo", "Orbit", "Pixis", "Nova"), (
        ("S24 Smartphone", 799), ("S24 Plus Smartphone", 999), ("Mini Smartphone", 599),
        ("Max Smartphone", 1199), ("Lite Smartphone", 299), ("Fold Smartphone", 1699),
        ("A3 Smartphone", 199))),
    "audio": (("Sonik", "Bassline", "Aurora", "Echo"), (
        ("Wireless Earbuds", 129), ("Noise-Cancelling Headphones", 299),
        ("Bluetooth Speaker", 89), ("Soundbar", 349), ("Sport Earbuds", 69),
        ("Studio Headphones", 179), ("Smart Speaker", 99))),
    "tv": (("Vistar", "Lumina", "Kronos"), (
        ('32" HD TV', 229), ('43" 4K TV', 379), ('50" 4K TV', 499), ('55" OLED TV', 1299),
        ('65" QLED TV', 1099), ('75" 4K TV', 1399), ("4K Streaming Stick", 59))),
    "kitchen": (("Cucina", "HomeChef", "Brava"), (
        ("Espresso Machine", 449), ("Blender", 89), ("Air Fryer", 129), ("Electric Kettle", 39),
        ("Toaster", 49), ("Knife Set", 119), ("Non-Stick Pan Set", 79), ("Stand Mixer", 399),
        ("Food Processor", 159))),
    "furniture": (("Nordhus", "Oakline", "Casa"), (
        ("Ergonomic Office Chair", 329), ("Standing Desk", 549), ("Bookshelf", 149),
        ("Coffee Table", 199), ("Sofa Bed", 799), ("Dining Chairs (2-pack)", 179),
        ("Floor Lamp", 89), ("TV Stand", 229), ("Wardrobe", 449))),
    "bedding": (("Dreamwell", "Linenry", "Snoozy"), (
        ("All-Season Duvet", 99), ("Pillows (2-pack)", 49), ("Cotton Sheet Set", 59),
        ("Mattress Topper", 139), ("Weighted Blanket", 119), ("Knitted Throw", 45),
        ("Linen Duvet Cover", 89))),
    "menswear": (("Harbor & Co", "Urbanist", "Fjord"), (
        ("Oxford Shirt", 49), ("Chinos", 59), ("Merino Sweater", 89), ("Rain Jacket", 129),
        ("Slim Jeans", 69), ("Polo Shirt", 39), ("Wool Blazer", 179), ("T-Shirts (3-pack)", 35))),
    "womenswear": (("Maison Lila", "Urbanist", "Verde"), (
        ("Wrap Dress", 79), ("Linen Blouse", 49), ("Cashmere Cardigan", 149),
        ("High-Rise Jeans", 69), ("Trench Coat", 189), ("Midi Skirt", 55), ("Knit Top", 39),
        ("Puffer Jacket", 159))),
    "shoes": (("Stride", "Pace", "Cobbler & Sons"), (
        ("Running Shoes", 119), ("Leather Sneakers", 99), ("Chelsea Boots", 159),
        ("Loafers", 129), ("Sandals", 59), ("Hiking Boots", 169), ("Trail Runners", 139))),
    "sports": (("Peakform", "Stride", "Tidal"), (
        ("Yoga Mat", 35), ("Adjustable Dumbbells", 199), ("Cycling Helmet", 79),
        ("Fitness Tracker", 99), ("Tennis Racket", 129), ("Gym Bag", 45),
        ("Resistance Bands", 25), ("Swim Goggles", 19), ("Foam Roller", 29))),
}  # fmt: skip
CATEGORIES: tuple[str, ...] = tuple(CATALOG)

# What a category's shoppers often add or look at next (used for add-ons in a basket).
COMPLEMENTS: dict[str, str] = {
    "laptops": "audio", "phones": "audio", "audio": "phones", "tv": "audio",
    "kitchen": "furniture", "furniture": "bedding", "bedding": "furniture",
    "menswear": "shoes", "womenswear": "shoes", "shoes": "sports", "sports": "shoes",
}  # fmt: skip


@dataclass(frozen=True)
class Persona:
    name: str
    share: float
    affinity: dict[str, float]  # weight of each category in what they browse
    sessions_per_year: float
    conversion: float  # chance that a browsing session ends in an order
    discount_seeking: float  # chance that an item is bought on sale
    bulk: float  # chance of a quantity above one

    def top_categories(self, n: int = 3) -> tuple[str, ...]:
        ranked = sorted(self.affinity, key=lambda c: -self.affinity[c])
        return tuple(ranked[:n])


def _weights(**w: float) -> dict[str, float]:
    return {c: w.get(c, 0.02) for c in CATEGORIES}


PERSONAS: tuple[Persona, ...] = (
    Persona("tech enthusiast", 0.22, _weights(laptops=0.22, phones=0.24, audio=0.22, tv=0.16,
                                              sports=0.04), 4.5, 0.33, 0.10, 0.05),
    Persona("home maker", 0.24, _weights(kitchen=0.30, furniture=0.22, bedding=0.24, tv=0.06,
                                         audio=0.03), 4.0, 0.36, 0.15, 0.15),
    Persona("fashion shopper", 0.24, _weights(menswear=0.2, womenswear=0.28, shoes=0.24,
                                              sports=0.1), 5.0, 0.32, 0.25, 0.10),
    Persona("bargain hunter", 0.21, _weights(audio=0.14, kitchen=0.16, bedding=0.12,
                                             shoes=0.12, sports=0.14, menswear=0.07,
                                             womenswear=0.07, phones=0.06, laptops=0.03),
            6.0, 0.22, 0.70, 0.12),
    Persona("business buyer", 0.09, _weights(laptops=0.34, phones=0.24, furniture=0.2,
                                             audio=0.08, tv=0.05), 3.5, 0.50, 0.05, 0.55),
)
PERSONA_NAMES = tuple(p.name for p in PERSONAS)
FASHION, BARGAIN, BUSINESS = (PERSONA_NAMES.index(name) for name in (
    "fashion shopper", "bargain hunter", "business buyer"))  # fmt: skip


def affinity_matrix() -> np.ndarray:
    """personas x categories, each row summing to 1."""
    m = np.array([[p.affinity[c] for c in CATEGORIES] for p in PERSONAS], dtype=float)
    return m / m.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Catalog:
    products: pd.DataFrame  # the `products` table
    category: np.ndarray  # category index of each product
    price_cents: np.ndarray
    by_category: np.ndarray  # categories x max products: product index, -1 padding
    popularity: np.ndarray  # same shape: weight of each product within its category


def build_catalog(seed: int) -> Catalog:
    """About 200 products: a random subset of brand x type per category, Zipf popularity."""
    rng = stream(seed, "catalog")
    names, cats, prices = [], [], []
    for ci, (brands, types) in enumerate(CATALOG.values()):
        combos = [(b, kind, price) for kind, price in types for b in brands]
        keep = rng.choice(len(combos), size=min(len(combos), int(rng.integers(16, 22))),
                          replace=False)  # fmt: skip
        for k in np.sort(keep):
            brand, kind, typical = combos[k]
            price = typical * rng.lognormal(0.0, 0.12)
            price = np.floor(price) + (0.99 if price >= 20 else 0.49)
            names.append(f"{brand} {kind}")
            cats.append(ci)
            prices.append(round(float(price), 2))
    category = np.array(cats)
    price_cents = np.round(np.array(prices) * 100).astype(np.int64)
    ids = np.array([f"P{10001 + i}" for i in range(len(names))], dtype=object)
    products = pd.DataFrame({
        "product_id": ids, "name": np.array(names, dtype=object),
        "category": np.array(CATEGORIES, dtype=object)[category], "price": price_cents / 100,
    })  # fmt: skip
    width = np.bincount(category).max()
    by_category = np.full((len(CATEGORIES), width), -1)
    popularity = np.zeros((len(CATEGORIES), width))
    for ci in range(len(CATEGORIES)):
        members = np.flatnonzero(category == ci)
        by_category[ci, : len(members)] = members
        ranks = rng.permutation(len(members)) + 1
        popularity[ci, : len(members)] = 1.0 / ranks**0.9
    return Catalog(products, category, price_cents, by_category, popularity)
