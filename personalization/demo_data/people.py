"""Who the customers are: identity, place, age, plan, persona and two hidden traits.

`engagement` scales how often someone shops; `friction` how often things go wrong for them
(tickets, escalations, returns). Neither is stored: they only act through behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from personalization.demo_data.catalog import (
    BARGAIN,
    BUSINESS,
    CATEGORIES,
    PERSONAS,
    affinity_matrix,
)
from personalization.demo_data.geography import (
    CITY_LANGUAGES,
    COUNTRIES,
    ENGLISH_PREFERENCE,
    MIXED_CULTURES,
    MIXED_SHARE,
)
from personalization.demo_data.names import NameTable
from personalization.demo_data.sampling import DAY, numbered, pick, pick_by_group, sigmoid

TIERS = ("Free", "Plus", "Premium", "Business")
FREE, BUSINESS_TIER = TIERS.index("Free"), TIERS.index("Business")
TIER_BY_PERSONA = np.array([  # Free, Plus, Premium, Business for each persona
    [0.55, 0.25, 0.17, 0.03], [0.62, 0.24, 0.12, 0.02], [0.60, 0.25, 0.14, 0.01],
    [0.80, 0.14, 0.05, 0.01], [0.40, 0.15, 0.15, 0.30],
])  # fmt: skip
CONTRACTS = ("none", "monthly", "annual")
NO_CONTRACT, MONTHLY, ANNUAL = range(3)
PAYMENTS = ("card", "paypal", "klarna", "apple_pay", "google_pay", "bank_transfer")
PAYMENT_WEIGHTS = np.array([
    [0.42, 0.27, 0.13, 0.11, 0.07, 0.0],  # consumers
    [0.35, 0.10, 0.0, 0.0, 0.0, 0.55],  # Business accounts (invoice by bank transfer)
])  # fmt: skip
DEVICES = ("mobile", "desktop", "tablet")
AGE_BANDS = ((24, "18-24"), (34, "25-34"), (44, "35-44"), (54, "45-54"), (64, "55-64"))
SIGNUP_YEARS = 4.0
FORMAL_LANGUAGES = {"de", "fr", "it", "pl", "cs", "el"}


@dataclass
class Population:
    n: int
    signup_s: np.ndarray
    country: np.ndarray  # index into COUNTRIES
    city: np.ndarray  # index into CITY_* arrays
    language: np.ndarray  # language code (object)
    name: np.ndarray
    email: np.ndarray
    birth_year: np.ndarray
    age_band: np.ndarray
    persona: np.ndarray  # index into PERSONAS
    favourite: np.ndarray  # index into CATEGORIES
    tier: np.ndarray  # index into TIERS
    contract: np.ndarray  # index into CONTRACTS
    payment: np.ndarray  # index into PAYMENTS
    newsletter: np.ndarray
    device: np.ndarray  # index into DEVICES
    formal: np.ndarray
    engagement: np.ndarray
    friction: np.ndarray


def _cities() -> tuple[np.ndarray, ...]:
    country, name, region, postcode, street_first = [], [], [], [], []
    for ci, c in enumerate(COUNTRIES):
        for city, reg, code in c.cities:
            country.append(ci)
            name.append(city)
            region.append(reg)
            postcode.append(code)
            street_first.append(c.number_first)
    return (np.array(country), np.array(name, dtype=object), np.array(region, dtype=object),
            np.array(postcode, dtype=object), np.array(street_first))  # fmt: skip


CITY_COUNTRY, CITY_NAME, CITY_REGION, CITY_POSTCODE, CITY_NUMBER_FIRST = _cities()


def _city_weights(languages: list[str]) -> np.ndarray:
    """(country x language) x city: bigger cities weigh more; in a country with several
    languages, people live where theirs is spoken (Liège for French, Gent for Dutch)."""
    weights = np.zeros((len(COUNTRIES) * len(languages), len(CITY_NAME)))
    for ci in range(len(COUNTRIES)):
        members = np.flatnonzero(CITY_COUNTRY == ci)
        size = 1.0 / (np.arange(len(members)) + 1) ** 0.7
        for li, language in enumerate(languages):
            local = np.array([language in CITY_LANGUAGES.get(CITY_NAME[m], (language,))
                              for m in members])  # fmt: skip
            weights[ci * len(languages) + li, members] = size * local if local.any() else size
    return weights


def _padded(rows: list[list[float]]) -> np.ndarray:
    width = max(len(r) for r in rows)
    return np.array([r + [0.0] * (width - len(r)) for r in rows])


def populate(rng: np.random.Generator, n: int, now_s: int, now_year: int) -> Population:
    age_days = np.maximum(SIGNUP_YEARS * 365.25 * rng.random(n) ** 1.35, 0.5)
    signup_s = np.sort(now_s - (age_days * DAY).astype(np.int64))  # customer ids follow signup

    country = pick(rng, [c.share for c in COUNTRIES], n)
    codes = sorted({lang for c in COUNTRIES for lang in c.languages} | {"en"})
    lang_weights = np.array([[c.languages.get(code, 0.0) for code in codes] for c in COUNTRIES])
    spoken = pick_by_group(rng, country, lang_weights)
    city = pick_by_group(rng, country * len(codes) + spoken, _city_weights(codes))
    language = np.array(codes, dtype=object)[spoken]
    language[rng.random(n) < ENGLISH_PREFERENCE] = "en"

    birth_year = np.clip(np.round(rng.normal(1984, 14, n)), 1945, min(2007, now_year - 18))
    birth_year = birth_year.astype(np.int64)
    age = now_year - birth_year
    band_edges = np.array([edge for edge, _ in AGE_BANDS])
    band_names = np.array([name for _, name in AGE_BANDS] + ["65+"], dtype=object)
    age_band = band_names[np.searchsorted(band_edges, age)]

    name, email = _names_and_emails(rng, country, birth_year)

    persona = pick(rng, [p.share for p in PERSONAS], n)
    favourite = pick_by_group(rng, persona, affinity_matrix())
    tier = pick_by_group(rng, persona, TIER_BY_PERSONA)
    business_tier = tier == BUSINESS_TIER
    monthly = rng.random(n) < np.where(business_tier, 0.25, 0.62)
    contract = np.where(tier == FREE, NO_CONTRACT, np.where(monthly, MONTHLY, ANNUAL))
    payment = pick_by_group(rng, business_tier.astype(np.int64), PAYMENT_WEIGHTS)
    newsletter = rng.random(n) < np.where(persona == BARGAIN, 0.55, 0.36)
    older = (age >= 55).astype(np.int64)
    device = pick_by_group(rng, older, np.array([[0.62, 0.31, 0.07], [0.32, 0.55, 0.13]]))
    formal_lang = np.isin(language, list(FORMAL_LANGUAGES))
    formal = rng.random(n) < sigmoid(
        (age - 47) / 7 + 1.3 * (persona == BUSINESS) + 0.5 * formal_lang)

    tier_boost = np.array([0.85, 1.15, 1.35, 1.3])[tier]
    engagement = rng.lognormal(-0.28, 0.75, n) * tier_boost
    friction = rng.lognormal(-0.18, 0.6, n)
    return Population(
        n, signup_s, country, city, language, name, email, birth_year, age_band, persona,
        favourite, tier, contract, payment, newsletter, device, formal, engagement, friction,
    )  # fmt: skip


def _names_and_emails(
    rng: np.random.Generator, country: np.ndarray, birth_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    n = len(country)
    names = NameTable()
    main = np.array([names.index(c.culture) for c in COUNTRIES])[country]
    mixed_codes = np.array([names.index(c) for c in MIXED_CULTURES])
    mixed = mixed_codes[pick(rng, list(MIXED_CULTURES.values()), n)]
    culture = np.where(rng.random(n) < MIXED_SHARE, mixed, main)
    first = names.first_start[culture] + (rng.random(n) * names.first_count[culture]).astype(int)
    last = names.last_start[culture] + (rng.random(n) * names.last_count[culture]).astype(int)
    full = names.first[first] + " " + names.last[last]

    fa, la = names.first_ascii[first], names.last_ascii[last]
    pattern = pick(rng, [0.5, 0.2, 0.15, 0.15], n)
    initial = pd.Series(fa).str[0].to_numpy(dtype=object)
    yy = numbered("", birth_year % 100, 2)
    local = np.select(
        [pattern == 0, pattern == 1, pattern == 2],
        [fa + "." + la, fa + la, initial + "." + la],
        fa + "." + la + yy,
    )
    domains = [list(c.domains) for c in COUNTRIES]
    width = max(len(d) for d in domains)
    domain_table = np.array([d + [""] * (width - len(d)) for d in domains], dtype=object)
    weights = _padded([[2.0] * (len(d) - 2) + [2.5, 1.5] for d in domains])
    domain = domain_table[country, pick_by_group(rng, country, weights)]
    return full, _unique_emails(local, "@" + domain)


def _unique_emails(local: np.ndarray, at_domain: np.ndarray) -> np.ndarray:
    """local@domain, numbering the second, third, ... holder of the same address."""
    email = pd.Series(local + at_domain)
    suffix = pd.Series(np.zeros(len(email), dtype=np.int64))
    while True:
        repeat = email.groupby(email, sort=False).cumcount().to_numpy()
        if not repeat.any():
            return email.to_numpy(dtype=object)
        suffix = suffix + np.where(repeat > 0, repeat + 1, 0)
        tag = np.where(suffix.to_numpy() > 0, suffix.astype(str).to_numpy(dtype=object), "")
        email = pd.Series(local + tag + at_domain)


def address_dicts(rng: np.random.Generator, pop: Population) -> np.ndarray:
    """One shipping address per customer (their orders share it)."""
    street_tables = [list(c.streets) for c in COUNTRIES]
    width = max(len(s) for s in street_tables)
    table = np.array([s + [s[0]] * (width - len(s)) for s in street_tables], dtype=object)
    counts = np.array([len(s) for s in street_tables])
    street = table[pop.country, (rng.random(pop.n) * counts[pop.country]).astype(int)]
    number = pd.Series(rng.integers(1, 140, pop.n)).astype(str).to_numpy(dtype=object)
    line = np.where(CITY_NUMBER_FIRST[pop.city], number + " " + street, street + " " + number)
    codes = np.array([c.code for c in COUNTRIES], dtype=object)[pop.country]
    return np.array([
        {"line1": s, "postcode": p, "city": c, "country": k}
        for s, p, c, k in zip(line, CITY_POSTCODE[pop.city], CITY_NAME[pop.city], codes,
                              strict=True)
    ], dtype=object)  # fmt: skip


def interests(persona: np.ndarray, favourite: np.ndarray) -> np.ndarray:
    """Product interests as a customer states them: their favourite and persona's top two."""
    shared = {}
    for p, persona_def in enumerate(PERSONAS):
        for f, fav in enumerate(CATEGORIES):
            tops = [c for c in persona_def.top_categories(3) if c != fav][:2]
            shared[p * len(CATEGORIES) + f] = [fav, *tops]
    lookup = np.empty(len(PERSONAS) * len(CATEGORIES), dtype=object)
    for code, value in shared.items():
        lookup[code] = value
    return lookup[persona * len(CATEGORIES) + favourite]
