-- bench/report/setup.sql: :tables tables of 8 columns and :rows rows, a view
-- joining two of them for every third table, each table profiled twice,
-- with 2 expectations validated twice.
CREATE SCHEMA big;
SELECT format('CREATE TABLE big.t%s (id int, amount numeric, name text, kind text, created timestamptz, flag boolean, qty int, note text)', i)
  FROM generate_series(1, :tables) i \gexec
SELECT format($f$INSERT INTO big.t%s SELECT g, g * 1.1, 'name' || g, (ARRAY['a','b','c'])[1 + g %% 3],
                 timestamptz '2024-01-01' + g * interval '1 minute', g %% 2 = 0, g %% 7,
                 CASE WHEN g %% 5 = 0 THEN NULL ELSE 'n' END
            FROM generate_series(1, %s) g$f$, i, :rows)
  FROM generate_series(1, :tables) i \gexec
SELECT format('CREATE VIEW big.v%s AS SELECT a.id, a.amount + b.amount AS total, a.kind FROM big.t%s a JOIN big.t%s b USING (id) WHERE a.flag', i, i, i - 1)
  FROM generate_series(3, :tables, 3) i \gexec
SELECT count(dq.profile(format('big.t%s', i)::regclass)) FROM generate_series(1, :tables) i, generate_series(1, 2);
SELECT count(dq.expect(format('big.t%s', i)::regclass, 'expect_column_values_to_not_be_null', 'note')),
       count(dq.expect(format('big.t%s', i)::regclass, 'expect_column_values_to_be_between', 'qty',
                       '{"min_value": 0, "max_value": 10}'))
  FROM generate_series(1, :tables) i;
SELECT count(dq.validate(format('big.t%s', i)::regclass)) FROM generate_series(1, :tables) i, generate_series(1, 2);
