"""The bundled example source database: a small web shop in SQLite, built from a seed.

``build_shop(path, seed, customers)`` creates the schema of ``dbsynth/data/shop.sql`` and fills it
with a few thousand rows drawn with numpy and Faker, both seeded, so the same seed (on the same
Faker version) gives the same rows, byte for byte. Nothing depends on the clock or on Python's
hash order.

Structure planted for the fit and report steps to find again (tests check each one):

* premium and gold customers place more orders than basic ones (mean orders per customer
  about 1.6 / 4 / 7 by tier), with more lines per order and larger quantities;
* they buy pricier products (product choice weighted by ``price ** alpha`` with alpha rising
  with tier), so ``order_items.unit_price`` correlates with tier through the FK chain;
* prices are right-skewed (log-normal around a per-category scale, mean > median);
* ``orders.shipped_at`` is NULL unless shipped/delivered, and then after ``created_at`` and after
  the order's payments; reviews and returns come after shipping;
* a customer's city belongs to their country; low ratings come with longer comments.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import numpy as np
from faker import Faker

SHOP_TABLES = (
    "categories",
    "products",
    "customers",
    "addresses",
    "employees",
    "orders",
    "order_items",
    "payments",
    "reviews",
    "returns",
)
TIERS = ("basic", "premium", "gold")
TIER_SHARE = (0.70, 0.22, 0.08)
ORDERS_PER_CUSTOMER = {"basic": 1.6, "premium": 4.0, "gold": 7.0}
EXTRA_LINES = {"basic": 0.8, "premium": 1.4, "gold": 2.0}  # lines per order = 1 + Poisson(this)
EXTRA_QTY = {"basic": 0.3, "premium": 0.6, "gold": 1.0}  # qty = 1 + Poisson(this)
PRICE_TASTE = {"basic": -0.3, "premium": 0.2, "gold": 0.6}  # product weight = price ** this

START = datetime(2022, 1, 1)
SPAN_DAYS = 730
STAMP = "%Y-%m-%d %H:%M:%S"

# root -> {leaf category: typical price in dollars}
CATEGORIES: dict[str, dict[str, float]] = {
    "Electronics": {"Phones": 400.0, "Laptops": 900.0, "Audio": 80.0},
    "Home & Kitchen": {"Cookware": 40.0, "Furniture": 250.0},
    "Books": {"Fiction": 14.0, "Non-fiction": 22.0},
    "Sports & Outdoors": {"Cycling": 120.0, "Camping": 60.0},
}
NOUNS: dict[str, tuple[str, ...]] = {
    "Phones": ("Smartphone", "Phone Case", "Charger"),
    "Laptops": ("Laptop", "Ultrabook", "Docking Station"),
    "Audio": ("Headphones", "Speaker", "Earbuds"),
    "Cookware": ("Frying Pan", "Stock Pot", "Knife Set"),
    "Furniture": ("Armchair", "Bookshelf", "Desk"),
    "Fiction": ("Novel", "Short Stories", "Thriller"),
    "Non-fiction": ("Biography", "Cookbook", "Travel Guide"),
    "Cycling": ("Helmet", "Bike Light", "Saddle"),
    "Camping": ("Tent", "Sleeping Bag", "Lantern"),
}
COUNTRIES: dict[str, tuple[float, tuple[str, ...]]] = {
    "US": (0.45, ("New York", "Chicago", "Austin", "Seattle", "Denver")),
    "GB": (0.15, ("London", "Manchester", "Leeds")),
    "DE": (0.12, ("Berlin", "Hamburg", "Munich")),
    "FR": (0.10, ("Paris", "Lyon", "Lille")),
    "CA": (0.10, ("Toronto", "Vancouver", "Montreal")),
    "AU": (0.08, ("Sydney", "Melbourne")),
}
ADJECTIVES = ("Classic", "Compact", "Deluxe", "Eco", "Pro", "Smart", "Travel", "Ultra")
STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled")
PAY_METHODS = ("card", "paypal", "bank_transfer", "gift_card")
RETURN_REASONS = ("damaged", "wrong_item", "not_as_described", "changed_mind")


def shop_sql() -> str:
    """The DDL of the example shop (package data ``dbsynth/data/shop.sql``)."""
    return resources.files("dbsynth").joinpath("data/shop.sql").read_text(encoding="utf-8")


def build_shop(path: Path, seed: int = 0, customers: int = 500) -> Path:
    """Create the example shop database at ``path`` (replacing any file there) and return it.

    ``customers`` scales everything else (about 2.5 orders, 6 order lines per customer).
    Foreign keys are enforced while loading, so a returned database always passes
    ``PRAGMA foreign_key_check``.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    rows = _Generator(seed, customers).rows()
    conn = sqlite3.connect(path)
    try:
        conn.executescript(shop_sql())
        conn.execute("PRAGMA foreign_keys = ON")
        with conn:
            for table in SHOP_TABLES:
                if rows[table]:
                    marks = ", ".join("?" * len(rows[table][0]))
                    conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[table])
    finally:
        conn.close()
    return path


@dataclass
class _Order:
    order_id: int
    customer: int
    tier: str
    created: datetime
    status: str
    shipped: datetime | None = None


class _Generator:
    """Draws every table in FK order; one numpy Generator and one Faker, both from ``seed``."""

    def __init__(self, seed: int, customers: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.n_customers = customers
        self.out: dict[str, list[tuple[object, ...]]] = {t: [] for t in SHOP_TABLES}

    def rows(self) -> dict[str, list[tuple[object, ...]]]:
        self._categories()
        self._products()
        self._customers()
        self._employees()
        self._orders()
        self._reviews_and_returns()
        return self.out

    # -- helpers -------------------------------------------------------------------------------

    def _moment(self, after: datetime, days: float) -> datetime:
        """A time ``days`` after ``after``, at whole seconds (what TIMESTAMP text can hold)."""
        return after + timedelta(seconds=int(days * 86400))

    def _choice(self, options: tuple[str, ...], p: tuple[float, ...] | list[float]) -> str:
        return options[int(self.rng.choice(len(options), p=np.asarray(p) / np.sum(p)))]

    # -- tables --------------------------------------------------------------------------------

    def _categories(self) -> None:
        self.leaf_ids: list[int] = []
        self.leaf_scale: dict[int, float] = {}
        self.leaf_name: dict[int, str] = {}
        next_id = 1
        for root, leaves in CATEGORIES.items():
            root_id = next_id
            self.out["categories"].append((root_id, root, None))
            next_id += 1
            for leaf, scale in leaves.items():
                self.out["categories"].append((next_id, leaf, root_id))
                self.leaf_ids.append(next_id)
                self.leaf_scale[next_id] = scale
                self.leaf_name[next_id] = leaf
                next_id += 1

    def _products(self) -> None:
        n = max(40, self.n_customers // 4)
        codes = self.rng.choice(np.arange(1, 1_000_000), size=n, replace=False)
        self.price_cents = np.zeros(n + 1, dtype=np.int64)  # indexed by product_id
        self.active = np.zeros(n + 1, dtype=bool)
        for pid in range(1, n + 1):
            cat = self.leaf_ids[int(self.rng.integers(len(self.leaf_ids)))]
            dollars = self.leaf_scale[cat] * float(self.rng.lognormal(0.0, 0.6))
            cents = max(99, int(dollars) * 100 + 99)  # shop prices end in .99
            active = bool(self.rng.random() < 0.92)
            noun = NOUNS[self.leaf_name[cat]][int(self.rng.integers(3))]
            adjective = ADJECTIVES[int(self.rng.integers(len(ADJECTIVES)))]
            name = f"{adjective} {noun} {self.fake.bothify('?-###').upper()}"
            created = self._moment(START - timedelta(days=365), float(self.rng.uniform(0, 365)))
            self.price_cents[pid], self.active[pid] = cents, active
            sku = f"SKU-{int(codes[pid - 1]):06d}"
            self.out["products"].append(
                (pid, sku, name, cat, cents / 100, int(active), created.strftime(STAMP))
            )

    def _customers(self) -> None:
        countries = tuple(COUNTRIES)
        shares = [COUNTRIES[c][0] for c in countries]
        self.tiers: list[str] = [""]  # indexed by customer_id
        self.joined: list[datetime] = [START]
        self.shipping_address: list[int | None] = [None]
        address_id = 0
        for cid in range(1, self.n_customers + 1):
            tier = self._choice(TIERS, TIER_SHARE)
            country = self._choice(countries, shares)
            cities = COUNTRIES[country][1]
            city = cities[int(self.rng.integers(len(cities)))]
            first, last = self.fake.first_name(), self.fake.last_name()
            email = f"{first}.{last}{cid}@{self.fake.free_email_domain()}".lower().replace(" ", "")
            phone = None if self.rng.random() < 0.15 else self.fake.phone_number()[:30]
            joined = self._moment(START, float(self.rng.uniform(0, SPAN_DAYS * 0.8)))
            self.tiers.append(tier)
            self.joined.append(joined)
            self.out["customers"].append(
                (cid, first, last, email, phone, city, country, tier, joined.strftime(STAMP))
            )
            shipping = None
            for kind, prob in (("shipping", 0.95), ("billing", 0.40)):
                if self.rng.random() < prob:
                    address_id += 1
                    shipping = address_id if kind == "shipping" else shipping
                    street, postcode = self.fake.street_address(), self.fake.postcode()
                    self.out["addresses"].append((address_id, cid, kind, street, city, postcode, country))
            self.shipping_address.append(shipping)

    def _employees(self) -> None:
        # (title, manager's employee_id): a CEO, two sales managers with four reps each, support.
        staff: list[tuple[str, int | None]] = [
            ("Chief Executive Officer", None),
            ("Head of Customer Support", 1),
        ]
        for head in (3, 8):
            staff.append(("Sales Manager", 1))
            staff.extend(("Sales Representative", head) for _ in range(4))
        self.reps: list[int] = []
        emails: set[str] = set()
        for eid, (title, manager) in enumerate(staff, start=1):
            first, last = self.fake.first_name(), self.fake.last_name()
            hired = START - timedelta(days=int(self.rng.integers(30, 3000)))
            email = f"{first}.{last}@shop.example".lower().replace(" ", "")
            if email in emails:  # namesakes get their staff number, as mail servers do
                email = email.replace("@", f"{eid}@")
            emails.add(email)
            self.out["employees"].append((eid, first, last, email, title, manager, hired.date().isoformat()))
            if title == "Sales Representative":
                self.reps.append(eid)

    def _orders(self) -> None:
        drafts: list[tuple[datetime, int]] = []
        end = START + timedelta(days=SPAN_DAYS)
        for cid in range(1, self.n_customers + 1):
            mean = ORDERS_PER_CUSTOMER[self.tiers[cid]]
            count = int(self.rng.poisson(self.rng.gamma(2.0, mean / 2.0)))
            room = (end - self.joined[cid]).total_seconds() / 86400
            for _ in range(count):
                drafts.append((self._moment(self.joined[cid], float(self.rng.uniform(0, room))), cid))
        drafts.sort()  # order ids grow with time, as in a real shop
        self.orders: list[_Order] = []
        self.items: list[tuple[int, int, int, int]] = []  # order_id, line_no, product_id, qty
        for oid, (created, cid) in enumerate(drafts, start=1):
            age = (end - created).days
            p = (0.35, 0.35, 0.2, 0.0, 0.1) if age < 7 else (0.01, 0.02, 0.04, 0.85, 0.08)
            order = _Order(oid, cid, self.tiers[cid], created, self._choice(STATUSES, p))
            self.orders.append(order)
            total = self._items(order)
            paid = self._payments(order, total)
            if order.status in ("shipped", "delivered"):
                order.shipped = self._moment(max(paid), float(self.rng.gamma(2.0, 1.2)))
            rep = None if self.rng.random() < 0.35 else self.reps[int(self.rng.integers(len(self.reps)))]
            self.out["orders"].append(
                (
                    oid,
                    cid,
                    rep,
                    self.shipping_address[cid],
                    order.status,
                    created.strftime(STAMP),
                    order.shipped.strftime(STAMP) if order.shipped else None,
                    total / 100,
                )
            )

    def _items(self, order: _Order) -> int:
        """Add the order's lines; return its total in cents."""
        prices = self.price_cents[1:].astype(float)
        weights = prices ** PRICE_TASTE[order.tier] * np.where(self.active[1:], 1.0, 0.2)
        lines = min(1 + int(self.rng.poisson(EXTRA_LINES[order.tier])), len(prices))
        products = self.rng.choice(len(prices), size=lines, replace=False, p=weights / weights.sum()) + 1
        total = 0
        for line_no, pid in enumerate(products, start=1):
            qty = 1 + int(self.rng.poisson(EXTRA_QTY[order.tier]))
            cents = int(self.price_cents[pid])
            total += qty * cents
            self.items.append((order.order_id, line_no, int(pid), qty))
            self.out["order_items"].append((order.order_id, line_no, int(pid), qty, cents / 100))
        return total

    def _payments(self, order: _Order, total: int) -> list[datetime]:
        """Pay for orders past ``pending`` (not cancelled); return the payment times."""
        if order.status in ("pending", "cancelled"):
            return [order.created]
        parts: list[tuple[str, int]]
        if total > 2000 and self.rng.random() < 0.12:
            gift = min(total - 1000, 100 * int(self.rng.choice([10, 25, 50])))
            parts = [("gift_card", gift), ("card", total - gift)]
        else:
            parts = [(self._choice(PAY_METHODS, (0.6, 0.25, 0.1, 0.05)), total)]
        times = []
        for method, cents in parts:
            # Bank transfers clear in days, the rest in minutes.
            delay = self.rng.uniform(1, 3) if method == "bank_transfer" else self.rng.exponential(0.015)
            paid = self._moment(order.created, float(delay))
            times.append(paid)
            pay_id = len(self.out["payments"]) + 1
            self.out["payments"].append((pay_id, order.order_id, method, cents / 100, paid.strftime(STAMP)))
        return times

    def _reviews_and_returns(self) -> None:
        by_order = {o.order_id: o for o in self.orders}
        reviewed: set[tuple[int, int]] = set()
        for order_id, line_no, pid, qty in self.items:
            order = by_order[order_id]
            if order.status != "delivered" or order.shipped is None:
                continue
            key = (pid, order.customer)
            if key not in reviewed and self.rng.random() < 0.2:
                reviewed.add(key)
                rating = 1 + int(self.rng.choice(5, p=[0.05, 0.07, 0.13, 0.33, 0.42]))
                comment = None
                if self.rng.random() < 0.7:
                    # Unhappy customers write more.
                    sentences = int(self.rng.integers(1, 3)) + (2 if rating <= 2 else 0)
                    comment = self.fake.paragraph(nb_sentences=sentences)
                when = self._moment(order.shipped, float(self.rng.uniform(2, 20)))
                self.out["reviews"].append(
                    (len(self.out["reviews"]) + 1, key[0], key[1], rating, comment, when.strftime(STAMP))
                )
            if self.rng.random() < 0.05:
                back = 1 + int(self.rng.integers(qty))
                reason = self._choice(RETURN_REASONS, (0.3, 0.2, 0.25, 0.25))
                when = self._moment(order.shipped, float(self.rng.uniform(3, 30)))
                self.out["returns"].append(
                    (len(self.out["returns"]) + 1, order_id, line_no, back, reason, when.strftime(STAMP))
                )


__all__ = ["SHOP_TABLES", "TIERS", "build_shop", "shop_sql"]
