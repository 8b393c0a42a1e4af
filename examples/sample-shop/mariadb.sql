-- The sample shop (MariaDB / MySQL): the same tables and rows as postgres.sql, written the way a
-- MySQL application's schema often is: AUTO_INCREMENT keys, an ENUM, TINYINT(1) booleans,
-- unsigned integers, and one relation the application never declared (orders.customer_id has
-- an index but no FOREIGN KEY; a dbsynth.yaml names it as a virtual foreign key).
--
-- Runs in the current database (it creates tables, never a database): `python load.py URL`,
-- `mariadb shop < mariadb.sql`, or a container's /docker-entrypoint-initdb.d. Every value is
-- arithmetic on the row number, by the same formulas as postgres.sql (keep the two in step).

-- The currency symbols are UTF-8, whatever the client's default character set.
SET NAMES utf8mb4;

CREATE TABLE countries (
    code  CHAR(2) NOT NULL PRIMARY KEY,
    name  VARCHAR(60) NOT NULL UNIQUE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE currencies (
    code    CHAR(3) NOT NULL PRIMARY KEY,
    name    VARCHAR(40) NOT NULL,
    symbol  VARCHAR(3) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE categories (
    category_id  INT UNSIGNED NOT NULL PRIMARY KEY,
    name         VARCHAR(40) NOT NULL UNIQUE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE products (
    product_id   INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    sku          VARCHAR(12) NOT NULL UNIQUE,
    name         VARCHAR(80) NOT NULL,
    category_id  INT UNSIGNED NOT NULL,
    price        DECIMAL(10, 2) NOT NULL,
    active       TINYINT(1) NOT NULL DEFAULT 1,
    CONSTRAINT products_category FOREIGN KEY (category_id) REFERENCES categories (category_id),
    CONSTRAINT products_price CHECK (price > 0),
    CONSTRAINT products_sku CHECK (sku LIKE 'SKU-%')
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE customers (
    customer_id   INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    first_name    VARCHAR(40) NOT NULL,
    last_name     VARCHAR(40) NOT NULL,
    email         VARCHAR(120) NOT NULL UNIQUE,
    phone         VARCHAR(20),
    birth_date    DATE,
    country_code  CHAR(2) NOT NULL,
    tier          ENUM('basic', 'premium', 'gold') NOT NULL DEFAULT 'basic',
    created_at    DATETIME NOT NULL,
    CONSTRAINT customers_country FOREIGN KEY (country_code) REFERENCES countries (code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE orders (
    order_id       INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id    INT UNSIGNED NOT NULL,  -- refers to customers, undeclared
    currency_code  CHAR(3) NOT NULL,
    status         ENUM('new', 'paid', 'shipped', 'delivered', 'cancelled') NOT NULL,
    ordered_at     DATETIME NOT NULL,
    shipped_at     DATETIME NULL,
    gift_note      VARCHAR(80) NULL,
    KEY orders_customer (customer_id),
    CONSTRAINT orders_currency FOREIGN KEY (currency_code) REFERENCES currencies (code),
    CONSTRAINT orders_shipped CHECK (shipped_at IS NULL OR shipped_at >= ordered_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE order_items (
    order_id    INT UNSIGNED NOT NULL,
    line_no     TINYINT UNSIGNED NOT NULL,
    product_id  INT UNSIGNED NOT NULL,
    quantity    SMALLINT UNSIGNED NOT NULL,
    unit_price  DECIMAL(10, 2) NOT NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_items_order FOREIGN KEY (order_id) REFERENCES orders (order_id),
    CONSTRAINT order_items_product FOREIGN KEY (product_id) REFERENCES products (product_id),
    CONSTRAINT order_items_line CHECK (line_no > 0),
    CONSTRAINT order_items_quantity CHECK (quantity > 0),
    CONSTRAINT order_items_price CHECK (unit_price > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

INSERT INTO countries (code, name) VALUES
    ('DE', 'Germany'), ('FR', 'France'), ('ES', 'Spain'), ('IT', 'Italy'), ('NL', 'Netherlands'),
    ('PL', 'Poland'), ('SE', 'Sweden'), ('GB', 'United Kingdom'), ('US', 'United States'),
    ('CA', 'Canada');

INSERT INTO currencies (code, name, symbol) VALUES
    ('EUR', 'Euro', '€'), ('GBP', 'Pound sterling', '£'), ('USD', 'US dollar', '$');

INSERT INTO categories (category_id, name) VALUES
    (1, 'Phones'), (2, 'Laptops'), (3, 'Audio'), (4, 'Cookware'), (5, 'Furniture'), (6, 'Books'),
    (7, 'Cycling'), (8, 'Camping');

-- Row numbers 1..1999 from three digit tables: portable to MySQL and MariaDB, unlike a recursive
-- CTE (at most 1000 iterations by default) or MariaDB's seq_1_to_N tables.
CREATE TEMPORARY TABLE numbers (n INT UNSIGNED NOT NULL PRIMARY KEY);
INSERT INTO numbers (n)
SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d
FROM (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS a
CROSS JOIN (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS b
CROSS JOIN (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS c
CROSS JOIN (SELECT 0 AS d UNION ALL SELECT 1) AS e
WHERE a.d + b.d + c.d + e.d > 0;

-- Spread values: m = MOD(n * a, 1009) runs evenly over 0..1008 as n counts up (a Weyl sequence;
-- each column has its own multiplier a, so columns are not lock-stepped). Fractions of it are
-- taken in integer arithmetic (DIV), so both dialects compute exactly the same rows.

-- 120 products, 15 per category; price = the category's typical price b times a skewed factor
-- (0.4 + 3 (m / 1009)^3), in cents.
INSERT INTO products (sku, name, category_id, price, active)
SELECT CONCAT('SKU-', LPAD(n, 5, '0')),
       CONCAT(ELT(1 + MOD(n * 7, 8), 'Classic', 'Compact', 'Deluxe', 'Eco', 'Pro', 'Ultra', 'Smart', 'Travel'),
              ' ', ELT(1 + MOD(n - 1, 8), 'Phone', 'Laptop', 'Headphones', 'Pan', 'Chair', 'Novel', 'Helmet',
                       'Tent'),
              ' ', n),
       1 + MOD(n - 1, 8),
       (b * 40 + (b * 300 * MOD(n * 461, 1009) * MOD(n * 461, 1009) * MOD(n * 461, 1009)) DIV 1027243729) / 100,
       MOD(n, 10) <> 0
FROM (
    SELECT n, ELT(1 + MOD(n - 1, 8), 400, 900, 80, 40, 250, 15, 120, 60) AS b
    FROM numbers
    WHERE n <= 120
) AS base
ORDER BY n;

-- 400 customers: 40 gold, 80 premium, the rest basic; a phone and a birth date for most.
INSERT INTO customers (first_name, last_name, email, phone, birth_date, country_code, tier, created_at)
SELECT f, l,
       CONCAT(LOWER(f), '.', LOWER(l), n, '@', ELT(1 + MOD(n, 3), 'example.com', 'example.org', 'example.net')),
       CASE WHEN MOD(n, 7) <> 0 THEN CONCAT('+1-555-', LPAD(MOD(n * 7919, 10000), 4, '0')) END,
       CASE WHEN MOD(n, 9) <> 0 THEN DATE '1950-01-01' + INTERVAL MOD(n * 7573, 18000) DAY END,
       ELT(1 + MOD(n * 11, 16), 'DE', 'DE', 'DE', 'FR', 'FR', 'ES', 'IT', 'NL', 'PL', 'SE', 'GB', 'GB', 'US', 'US',
           'US', 'CA'),
       CASE WHEN n <= 40 THEN 'gold' WHEN n <= 120 THEN 'premium' ELSE 'basic' END,
       TIMESTAMP '2021-01-01 00:00:00' + INTERVAL MOD(n * 649681, 1051200) MINUTE
FROM (
    SELECT n,
           ELT(1 + MOD(n * 7, 20), 'Anna', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Greta', 'Hugo', 'Ida',
               'Jonas', 'Lena', 'Max', 'Nora', 'Oskar', 'Paula', 'Quentin', 'Rosa', 'Simon', 'Tilda', 'Umar') AS f,
           ELT(1 + MOD(n * 13 + n DIV 20, 20), 'Berger', 'Costa', 'Dubois', 'Eriksson', 'Fischer', 'Garcia',
               'Hansen', 'Jansen', 'Kowalski', 'Lambert', 'Moreau', 'Novak', 'Olsen', 'Petit', 'Rossi',
               'Schmidt', 'Tanaka', 'Weber', 'Young', 'Zimmer') AS l
    FROM numbers
    WHERE n <= 400
) AS people
ORDER BY n;

-- 1200 orders, in time order; the customer is 1 + floor(400 (m / 1009)^2): low ids order most.
INSERT INTO orders (customer_id, currency_code, status, ordered_at, shipped_at, gift_note)
SELECT 1 + (400 * MOD(n * 7919, 1009) * MOD(n * 7919, 1009)) DIV 1018081,
       ELT(1 + MOD(n * 5, 6), 'EUR', 'EUR', 'EUR', 'GBP', 'USD', 'USD'),
       s,
       t,
       CASE WHEN s IN ('shipped', 'delivered')
            THEN t + INTERVAL (1 + MOD(n, 5)) DAY + INTERVAL MOD(n * 17, 24) HOUR END,
       CASE WHEN MOD(n * 271, 1009) < 250
            THEN CONCAT(ELT(1 + MOD(n DIV 3, 5), 'Happy birthday', 'Congratulations', 'Merry Christmas',
                            'Thank you', 'Get well soon'),
                        ', ',
                        ELT(1 + MOD(n * 3, 8), 'Anna', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Greta', 'Hugo'),
                        '!') END
FROM (
    SELECT n,
           CASE WHEN MOD(n * 389, 1009) < 100 THEN 'new'
                WHEN MOD(n * 389, 1009) < 250 THEN 'paid'
                WHEN MOD(n * 389, 1009) < 400 THEN 'shipped'
                WHEN MOD(n * 389, 1009) < 950 THEN 'delivered'
                ELSE 'cancelled' END AS s,
           TIMESTAMP '2023-01-01 00:00:00' + INTERVAL (n * 600 + MOD(n * 433, 600)) MINUTE AS t
    FROM numbers
    WHERE n <= 1200
) AS o
ORDER BY n;

-- One to three lines per order, each at its product's price.
INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price)
SELECT o.order_id, k.n, p.product_id,
       1 + (4 * MOD(o.order_id * 3 + k.n * 211, 1009) * MOD(o.order_id * 3 + k.n * 211, 1009)) DIV 1018081,
       p.price
FROM orders AS o
CROSS JOIN numbers AS k
JOIN products AS p ON p.product_id = 1 + (120 * MOD(o.order_id * 829 + k.n * 263, 1009)) DIV 1009
WHERE k.n <= 1 + (3 * MOD(o.order_id * 577, 1009)) DIV 1009
ORDER BY o.order_id, k.n;

DROP TEMPORARY TABLE numbers;
