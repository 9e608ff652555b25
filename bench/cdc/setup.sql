-- bench/cdc: the watched table (6 columns) and its 10 row-level
-- expectations; about 1% of the generated rows violate one of them.
CREATE TABLE bench_cdc (
	id		bigint PRIMARY KEY,
	qty		int,
	price	numeric(12,2),
	status	text,
	email	text,
	created	timestamptz
);
SELECT dq.expect('bench_cdc', 'expect_column_values_to_not_be_null', 'id');
SELECT dq.expect('bench_cdc', 'expect_column_values_to_be_between', 'qty', '{"min_value": 0, "max_value": 1000}');
SELECT dq.expect('bench_cdc', 'expect_column_values_to_be_between', 'price', '{"min_value": 0}');
SELECT dq.expect('bench_cdc', 'expect_column_values_to_not_be_null', 'status');
SELECT dq.expect('bench_cdc', 'expect_column_values_to_be_in_set', 'status', '{"value_set": ["new", "paid", "shipped", "returned"]}');
SELECT dq.expect('bench_cdc', 'expect_column_value_lengths_to_be_between', 'email', '{"min_value": 5, "max_value": 80}');
SELECT dq.expect('bench_cdc', 'expect_column_values_to_match_like_pattern', 'email', '{"like_pattern": "%@%"}');
SELECT dq.expect('bench_cdc', 'expect_column_values_to_not_be_null', 'created');
SELECT dq.expect('bench_cdc', 'expect_column_values_to_be_between', 'created', '{"min_value": "2000-01-01"}');
SELECT dq.expect('bench_cdc', 'expect_column_values_to_not_be_in_set', 'qty', '{"value_set": [999]}');

-- n rows from id first on; every 100th row violates the qty range
CREATE FUNCTION bench_cdc_rows(first bigint, n int) RETURNS SETOF bench_cdc
LANGUAGE sql AS $$
	SELECT g, CASE WHEN g % 100 = 0 THEN -1 ELSE (g % 900)::int END,
		   (g % 10000) / 100.0, (ARRAY['new', 'paid', 'shipped', 'returned'])[1 + g % 4],
		   'user' || g || '@example.com', timestamptz '2024-01-01' + g * interval '1 second'
	  FROM generate_series(first, first + n - 1) g
$$;
