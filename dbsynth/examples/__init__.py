"""Bundled example databases: sources that exist on any machine, for the demo and the tests.

``build_shop`` writes a seeded SQLite web shop (schema in ``dbsynth/data/shop.sql``) with known,
planted structure; ``dbsynth demo`` clones it.
"""

from dbsynth.examples.shop import SHOP_TABLES, TIERS, build_shop, shop_sql

__all__ = ["SHOP_TABLES", "TIERS", "build_shop", "shop_sql"]
