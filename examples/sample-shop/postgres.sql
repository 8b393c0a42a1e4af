-- The sample shop (PostgreSQL): the source database of the examples and of docker/compose.yml.
--
-- Runs in the current database (it creates tables, never a database), so it can be loaded with
-- `python load.py URL`, `psql URL -f postgres.sql` or a container's /docker-entrypoint-initdb.d.
-- The rows are computed, not random: every value is arithmetic on the row number, so the same
-- file gives the same rows on every server and in mariadb.sql (keep the two in step). Nothing
-- here is downloaded and no real person is in it: the names come from the short lists below.
--
-- Planted structure: low customer ids (gold, then premium tier) place most orders; prices are
-- right-skewed per category; shipped_at is NULL unless the order shipped, and then after
-- ordered_at; order lines carry their product's price. A quarter of the orders have a gift note,
-- one of 40 phrases that each repeat, and each names a person ("Thank you, Ben!"): personal
-- data that looks like a category, which is what examples/mysql-shop-to-postgres-qa corrects.

CREATE TABLE countries (
    code  char(2) PRIMARY KEY,
    name  varchar(60) NOT NULL UNIQUE
);

CREATE TABLE currencies (
    code    char(3) PRIMARY KEY,
    name    varchar(40) NOT NULL,
    symbol  varchar(3) NOT NULL
);

CREATE TABLE categories (
    category_id  integer PRIMARY KEY,
    name         varchar(40) NOT NULL UNIQUE
);

CREATE TABLE products (
    product_id   serial PRIMARY KEY,
    sku          varchar(12) NOT NULL UNIQUE CHECK (sku LIKE 'SKU-%'),
    name         varchar(80) NOT NULL,
    category_id  integer NOT NULL REFERENCES categories (category_id),
    price        numeric(10, 2) NOT NULL CHECK (price > 0),
    active       boolean NOT NULL DEFAULT true
);

CREATE TABLE customers (
    customer_id   serial PRIMARY KEY,
    first_name    varchar(40) NOT NULL,
    last_name     varchar(40) NOT NULL,
    email         varchar(120) NOT NULL UNIQUE,
    phone         varchar(20),
    birth_date    date,
    country_code  char(2) NOT NULL REFERENCES countries (code),
    tier          varchar(10) NOT NULL DEFAULT 'basic' CHECK (tier IN ('basic', 'premium', 'gold')),
    created_at    timestamp NOT NULL
);

CREATE TABLE orders (
    order_id       serial PRIMARY KEY,
    customer_id    integer NOT NULL REFERENCES customers (customer_id),
    currency_code  char(3) NOT NULL REFERENCES currencies (code),
    status         varchar(10) NOT NULL
                   CHECK (status IN ('new', 'paid', 'shipped', 'delivered', 'cancelled')),
    ordered_at     timestamp NOT NULL,
    shipped_at     timestamp,
    gift_note      varchar(80),
    CHECK (shipped_at IS NULL OR shipped_at >= ordered_at)
);

CREATE TABLE order_items (
    order_id    integer NOT NULL REFERENCES orders (order_id),
    line_no     smallint NOT NULL CHECK (line_no > 0),
    product_id  integer NOT NULL REFERENCES products (product_id),
    quantity    integer NOT NULL CHECK (quantity > 0),
    unit_price  numeric(10, 2) NOT NULL CHECK (unit_price > 0),
    PRIMARY KEY (order_id, line_no)
);

INSERT INTO countries (code, name) VALUES
    ('DE', 'Germany'), ('FR', 'France'), ('ES', 'Spain'), ('IT', 'Italy'), ('NL', 'Netherlands'),
    ('PL', 'Poland'), ('SE', 'Sweden'), ('GB', 'United Kingdom'), ('US', 'United States'),
    ('CA', 'Canada');

INSERT INTO currencies (code, name, symbol) VALUES
    ('EUR', 'Euro', '€'), ('GBP', 'Pound sterling', '£'), ('USD', 'US dollar', '$');

INSERT INTO categories (category_id, name) VALUES
    (1, 'Phones'), (2, 'Laptops'), (3, 'Audio'), (4, 'Cookware'), (5, 'Furniture'), (6, 'Books'),
    (7, 'Cycling'), (8, 'Camping');

-- Spread values: m = mod(n * a, 1009) runs evenly over 0..1008 as n counts up (a Weyl sequence;
-- each column has its own multiplier a, so columns are not lock-stepped). Fractions of it are
-- taken in integer arithmetic, so both dialects compute exactly the same rows.

-- 120 products, 15 per category; price = the category's typical price b times a skewed factor
-- (0.4 + 3 (m / 1009)^3), in cents.
INSERT INTO products (sku, name, category_id, price, active)
SELECT 'SKU-' || lpad(n::text, 5, '0'),
       (ARRAY['Classic', 'Compact', 'Deluxe', 'Eco', 'Pro', 'Ultra', 'Smart', 'Travel'])[1 + mod(n * 7, 8)]
           || ' ' || (ARRAY['Phone', 'Laptop', 'Headphones', 'Pan', 'Chair', 'Novel', 'Helmet', 'Tent'])
           [1 + mod(n - 1, 8)] || ' ' || n,
       1 + mod(n - 1, 8),
       (b * 40 + b * 300 * power(mod(n * 461, 1009), 3)::bigint / 1027243729) / 100.0,
       mod(n, 10) <> 0
FROM (
    SELECT n, (ARRAY[400, 900, 80, 40, 250, 15, 120, 60])[1 + mod(n - 1, 8)]::bigint AS b
    FROM generate_series(1, 120) AS n
) AS base;

-- 400 customers: 40 gold, 80 premium, the rest basic; a phone and a birth date for most.
INSERT INTO customers (first_name, last_name, email, phone, birth_date, country_code, tier, created_at)
SELECT f, l,
       lower(f) || '.' || lower(l) || n || '@' || (ARRAY['example.com', 'example.org', 'example.net'])[1 + mod(n, 3)],
       CASE WHEN mod(n, 7) <> 0 THEN '+1-555-' || lpad(mod(n * 7919, 10000)::text, 4, '0') END,
       CASE WHEN mod(n, 9) <> 0 THEN DATE '1950-01-01' + mod(n * 7573, 18000) END,
       (ARRAY['DE', 'DE', 'DE', 'FR', 'FR', 'ES', 'IT', 'NL', 'PL', 'SE', 'GB', 'GB', 'US', 'US', 'US', 'CA'])
           [1 + mod(n * 11, 16)],
       CASE WHEN n <= 40 THEN 'gold' WHEN n <= 120 THEN 'premium' ELSE 'basic' END,
       TIMESTAMP '2021-01-01' + mod(n * 649681, 1051200) * INTERVAL '1 minute'
FROM (
    SELECT n,
           (ARRAY['Anna', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Greta', 'Hugo', 'Ida', 'Jonas',
                  'Lena', 'Max', 'Nora', 'Oskar', 'Paula', 'Quentin', 'Rosa', 'Simon', 'Tilda', 'Umar'])
               [1 + mod(n * 7, 20)] AS f,
           (ARRAY['Berger', 'Costa', 'Dubois', 'Eriksson', 'Fischer', 'Garcia', 'Hansen', 'Jansen',
                  'Kowalski', 'Lambert', 'Moreau', 'Novak', 'Olsen', 'Petit', 'Rossi', 'Schmidt',
                  'Tanaka', 'Weber', 'Young', 'Zimmer'])[1 + mod(n * 13 + n / 20, 20)] AS l
    FROM generate_series(1, 400) AS n
) AS people;

-- 1200 orders, in time order; the customer is 1 + floor(400 (m / 1009)^2): low ids order most.
INSERT INTO orders (customer_id, currency_code, status, ordered_at, shipped_at, gift_note)
SELECT 1 + 400 * power(mod(n * 7919, 1009), 2)::integer / 1018081,
       (ARRAY['EUR', 'EUR', 'EUR', 'GBP', 'USD', 'USD'])[1 + mod(n * 5, 6)],
       s,
       t,
       CASE WHEN s IN ('shipped', 'delivered')
            THEN t + (1 + mod(n, 5)) * INTERVAL '1 day' + mod(n * 17, 24) * INTERVAL '1 hour' END,
       CASE WHEN mod(n * 271, 1009) < 250
            THEN (ARRAY['Happy birthday', 'Congratulations', 'Merry Christmas', 'Thank you', 'Get well soon'])
                     [1 + mod(n / 3, 5)]
                 || ', ' || (ARRAY['Anna', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Greta', 'Hugo'])
                     [1 + mod(n * 3, 8)] || '!' END
FROM (
    SELECT n,
           CASE WHEN mod(n * 389, 1009) < 100 THEN 'new'
                WHEN mod(n * 389, 1009) < 250 THEN 'paid'
                WHEN mod(n * 389, 1009) < 400 THEN 'shipped'
                WHEN mod(n * 389, 1009) < 950 THEN 'delivered'
                ELSE 'cancelled' END AS s,
           TIMESTAMP '2023-01-01' + (n * 600 + mod(n * 433, 600)) * INTERVAL '1 minute' AS t
    FROM generate_series(1, 1200) AS n
) AS o;

-- One to three lines per order, each at its product's price.
INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price)
SELECT o.order_id, k, p.product_id, 1 + 4 * power(mod(o.order_id * 3 + k * 211, 1009), 2)::integer / 1018081,
       p.price
FROM orders AS o
CROSS JOIN generate_series(1, 3) AS k
JOIN products AS p ON p.product_id = 1 + 120 * mod(o.order_id * 829 + k * 263, 1009) / 1009
WHERE k <= 1 + 3 * mod(o.order_id * 577, 1009) / 1009;
