-- tests/logical/partitions.sh: inheritance and multi-level partition trees.
-- (a) inheritance: parent ip; children ic (selected with it) and ic2 (not selected)
CREATE TABLE ip (id int PRIMARY KEY, v text);
CREATE TABLE ic (extra text, PRIMARY KEY (id)) INHERITS (ip);
CREATE TABLE ic2 (n int, PRIMARY KEY (id)) INHERITS (ip);
INSERT INTO ip VALUES (1, 'p1'), (2, 'p2');
INSERT INTO ic VALUES (10, 'c10', 'e10'), (11, 'c11', 'e11');
INSERT INTO ic2 VALUES (20, 'd20', 20), (21, 'd21', 21);
-- four three-level trees: root r<x>, intermediate m<x> (k 0..99) with leaves l<x>1 (0..49) and
-- l<x>2 (50..99), and a leaf o<x> (100..199) right under the root
DO $$
DECLARE x text;
BEGIN
  FOREACH x IN ARRAY ARRAY['a', 'b', 'c', 'd'] LOOP
    EXECUTE format('CREATE TABLE r%s (id int, k int, v text, PRIMARY KEY (id, k)) PARTITION BY RANGE (k)', x);
    EXECUTE format('CREATE TABLE m%s PARTITION OF r%s FOR VALUES FROM (0) TO (100) PARTITION BY RANGE (k)', x, x);
    EXECUTE format('CREATE TABLE l%s1 PARTITION OF m%s FOR VALUES FROM (0) TO (50)', x, x);
    EXECUTE format('CREATE TABLE l%s2 PARTITION OF m%s FOR VALUES FROM (50) TO (100)', x, x);
    EXECUTE format('CREATE TABLE o%s PARTITION OF r%s FOR VALUES FROM (100) TO (200)', x, x);
    EXECUTE format('INSERT INTO r%s SELECT i, i %% 200, ''v'' || i FROM generate_series(1, 400) i', x);
  END LOOP;
END $$;
