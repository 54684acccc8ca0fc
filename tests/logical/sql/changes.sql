-- Tables of the change-kind scenario (tests/logical/changes.sh), next to tests/tap/sql/types.sql.
CREATE TABLE items (id integer PRIMARY KEY, c_vc varchar(10), c_num numeric(10,2), c_at timestamptz);
INSERT INTO items VALUES (1, 'one', 1.10, '2024-01-01 00:00:00+00'), (2, 'two', 2.20, NULL),
                         (3, 'three', 3.30, '2024-03-03 03:03:03.5+01');
-- big is stored out of line (EXTERNAL, incompressible), so an update that leaves it alone
-- sends it as "unchanged TOAST"
CREATE TABLE docs (id integer PRIMARY KEY, big text, n integer);
ALTER TABLE docs ALTER COLUMN big SET STORAGE EXTERNAL;
INSERT INTO docs SELECT 1, string_agg(md5(i::text), ''), 1 FROM generate_series(1, 100) i;
INSERT INTO docs SELECT 2, string_agg(md5((i * 7)::text), ''), 1 FROM generate_series(1, 100) i;
