-- The bundled example source database: a small web shop (SQLite).
--
-- Built by dbsynth.examples.build_shop, which fills it deterministically from a seed. The
-- structure exercises what dbsynth has to keep: two self-references (categories.parent_id,
-- employees.manager_id), a composite primary key (order_items) referenced by a composite FK
-- (returns), one-to-one relations (returns -> order_items), nullable FKs, unique codes and
-- e-mails, and CHECK constraints of several shapes (ranges, IN lists, cross-column ordering).

CREATE TABLE categories (
    category_id  INTEGER PRIMARY KEY,
    name         VARCHAR(60) NOT NULL UNIQUE,
    parent_id    INTEGER REFERENCES categories (category_id)
);

CREATE TABLE products (
    product_id   INTEGER PRIMARY KEY,
    sku          VARCHAR(12) NOT NULL UNIQUE CHECK (sku LIKE 'SKU-%'),
    name         VARCHAR(120) NOT NULL,
    category_id  INTEGER NOT NULL REFERENCES categories (category_id),
    price        NUMERIC(10, 2) NOT NULL CHECK (price >= 0),
    active       BOOLEAN NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE customers (
    customer_id  INTEGER PRIMARY KEY,
    first_name   VARCHAR(50) NOT NULL,
    last_name    VARCHAR(50) NOT NULL,
    email        VARCHAR(120) NOT NULL UNIQUE,
    phone        VARCHAR(30),
    city         VARCHAR(60) NOT NULL,
    country      VARCHAR(2) NOT NULL,
    tier         VARCHAR(10) NOT NULL DEFAULT 'basic' CHECK (tier IN ('basic', 'premium', 'gold')),
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE addresses (
    address_id   INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (customer_id) ON DELETE CASCADE,
    kind         VARCHAR(10) NOT NULL CHECK (kind IN ('shipping', 'billing')),
    line1        VARCHAR(120) NOT NULL,
    city         VARCHAR(60) NOT NULL,
    postal_code  VARCHAR(12) NOT NULL,
    country      VARCHAR(2) NOT NULL,
    UNIQUE (customer_id, kind)
);

CREATE TABLE employees (
    employee_id  INTEGER PRIMARY KEY,
    first_name   VARCHAR(50) NOT NULL,
    last_name    VARCHAR(50) NOT NULL,
    email        VARCHAR(120) NOT NULL UNIQUE,
    title        VARCHAR(60) NOT NULL,
    manager_id   INTEGER REFERENCES employees (employee_id),
    hired_on     DATE NOT NULL
);

CREATE TABLE orders (
    order_id     INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (customer_id),
    employee_id  INTEGER REFERENCES employees (employee_id),
    address_id   INTEGER REFERENCES addresses (address_id),
    status       VARCHAR(10) NOT NULL
                 CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled')),
    created_at   TIMESTAMP NOT NULL,
    shipped_at   TIMESTAMP,
    total        NUMERIC(12, 2) NOT NULL CHECK (total >= 0),
    CHECK (shipped_at IS NULL OR shipped_at >= created_at)
);

CREATE TABLE order_items (
    order_id     INTEGER NOT NULL REFERENCES orders (order_id) ON DELETE CASCADE,
    line_no      INTEGER NOT NULL CHECK (line_no >= 1),
    product_id   INTEGER NOT NULL REFERENCES products (product_id),
    qty          INTEGER NOT NULL CHECK (qty > 0),
    unit_price   NUMERIC(10, 2) NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE payments (
    payment_id   INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL REFERENCES orders (order_id),
    method       VARCHAR(16) NOT NULL CHECK (method IN ('card', 'paypal', 'bank_transfer', 'gift_card')),
    amount       NUMERIC(12, 2) NOT NULL CHECK (amount > 0),
    paid_at      TIMESTAMP NOT NULL
);

CREATE TABLE reviews (
    review_id    INTEGER PRIMARY KEY,
    product_id   INTEGER NOT NULL REFERENCES products (product_id),
    customer_id  INTEGER NOT NULL REFERENCES customers (customer_id),
    rating       INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment      TEXT,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (product_id, customer_id)
);

CREATE TABLE returns (
    return_id    INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL,
    line_no      INTEGER NOT NULL,
    qty          INTEGER NOT NULL CHECK (qty > 0),
    reason       VARCHAR(20) NOT NULL CHECK (reason IN ('damaged', 'wrong_item', 'not_as_described', 'changed_mind')),
    returned_at  TIMESTAMP NOT NULL,
    UNIQUE (order_id, line_no),
    FOREIGN KEY (order_id, line_no) REFERENCES order_items (order_id, line_no)
);

CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX order_items_product_idx ON order_items (product_id);
CREATE INDEX payments_order_idx ON payments (order_id);
