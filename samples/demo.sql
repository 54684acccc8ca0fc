-- A small, realistic source database for samples/demo.sh: a shop with customers, products,
-- orders and their lines, a view, every common type, some NULLs, unicode and a large
-- (TOASTed) text.
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE SCHEMA shop;

CREATE TABLE shop.customers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       citext NOT NULL UNIQUE,
    full_name   text NOT NULL,
    country     char(2),
    birthday    date,
    vip         boolean NOT NULL DEFAULT false,
    preferences jsonb,
    attributes  hstore,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shop.products (
    sku         varchar(16) PRIMARY KEY,
    title       text NOT NULL,
    price       numeric(10,2) NOT NULL,
    weight_kg   real,
    tags        text[],
    dimensions  integer[][],
    description text,
    image       bytea,
    warranty    interval
);

CREATE TABLE shop.orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES shop.customers (id),
    status      order_status NOT NULL DEFAULT 'new',
    total       numeric(12,2),
    ordered_at  timestamptz NOT NULL,
    delivery_window tstzrange,
    client_ip   inet,
    note        text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shop.order_lines (
    order_id    bigint REFERENCES shop.orders (id),
    line_no     smallint,
    sku         varchar(16) REFERENCES shop.products (sku),
    quantity    integer NOT NULL,
    unit_price  numeric(10,2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE shop.measurements (
    sensor      uuid,
    taken_at    timestamp,
    value       double precision,
    flags       bit(4),
    ok          bit(1)
);

INSERT INTO shop.customers (email, full_name, country, birthday, vip, preferences, attributes, created_at) VALUES
 ('ada@example.com', 'Ada Lovelace', 'GB', '1815-12-10', true, '{"newsletter": true, "lang": "en"}', 'tier=>gold', '2024-01-05 09:00:00+00'),
 ('Jose@Example.com', 'José Núñez', 'ES', NULL, false, '{"newsletter": false}', NULL, '2024-02-11 17:30:12.25+01'),
 ('yuki@example.jp', '山田 由紀', 'JP', '1990-04-01', false, NULL, '"favourite colour"=>"藍色", pet=>NULL', '2024-03-01 00:00:00+09'),
 ('olga@example.ru', 'Ольга Иванова', NULL, '1985-07-23', true, '[1, 2, 3]', '', '2024-03-15 12:00:00+03');

INSERT INTO shop.products VALUES
 ('SKU-001', 'Espresso cup', 12.50, 0.2, '{kitchen,cups}', '{{6,6},{8,8}}', 'A small cup.', '\x89504e47', '2 years'),
 ('SKU-002', 'Tea pot "Classic"', 39.90, 1.1, '{kitchen,"tea pots"}', NULL, repeat('A very long description of a tea pot. ', 2000), NULL, '6 months'),
 ('SKU-003', 'Mug ☕', 9.99, NULL, '{}', '{{1}}', NULL, NULL, NULL),
 ('SKU-004', 'Gift card', 'NaN', 0, NULL, NULL, E'Line one\nLine two\twith a tab', NULL, NULL);

INSERT INTO shop.orders (customer_id, status, total, ordered_at, delivery_window, client_ip, note, updated_at) VALUES
 (1, 'paid', 25.00, '2024-04-01 10:00:00+00', '[2024-04-03 08:00+00,2024-04-03 12:00+00)', '192.0.2.10', NULL, '2024-04-01 10:05:00+00'),
 (2, 'shipped', 39.90, '2024-04-02 11:30:00+02', NULL, '2001:db8::1', 'Leave at the door', '2024-04-03 09:00:00+00'),
 (3, 'new', NULL, '2024-04-05 23:59:59.999999+00', NULL, NULL, '速達', '2024-04-05 23:59:59.999999+00'),
 (1, 'cancelled', 9.99, '2024-04-06 08:00:00+00', 'empty', '198.51.100.7', NULL, '2024-04-06 08:30:00+00');

INSERT INTO shop.order_lines VALUES
 (1, 1, 'SKU-001', 2, 12.50), (2, 1, 'SKU-002', 1, 39.90), (3, 1, 'SKU-003', 3, 9.99), (3, 2, 'SKU-004', 1, 50.00),
 (4, 1, 'SKU-003', 1, 9.99);

INSERT INTO shop.measurements
SELECT md5('sensor' || (i % 3))::uuid, timestamp '2024-01-01' + i * interval '1 minute', sin(i) * 100,
       (i % 16)::bit(4), (i % 2)::bit(1)
FROM generate_series(1, 500) AS i;
INSERT INTO shop.measurements VALUES (NULL, 'infinity', 'Infinity', NULL, NULL);

CREATE VIEW shop.order_summary AS
SELECT o.id AS order_id, c.full_name, o.status, o.total, count(l.line_no) AS lines
FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id
LEFT JOIN shop.order_lines l ON l.order_id = o.id
GROUP BY o.id, c.full_name, o.status, o.total;

ANALYZE;
