-- Tables of bench/lineage_overhead: a sink for the captured INSERT ...
-- SELECT and ten small tables joined by one INSERT ... SELECT.
CREATE TABLE bench_sink (aid int, abalance int);
CREATE TABLE bench_sink10 (id int, total bigint, label text);
DO $$
BEGIN
	FOR i IN 1..10 LOOP
		EXECUTE format('CREATE TABLE j%s (id int PRIMARY KEY, v int, label text)', i);
		EXECUTE format('INSERT INTO j%s SELECT g, g * %s, ''l'' || g FROM generate_series(1, 1000) g', i, i);
	END LOOP;
END $$;
