-- Great Expectations' distributional kinds; the expected figures were
-- worked out independently (closed forms noted beside each)
\set VERBOSITY terse
CREATE TABLE gd (cat text, x float8, y float8, a text, b text, n int);
INSERT INTO gd VALUES
    ('a', 0.5, -1,  'x', 'p', 1), ('a', 1.5, 0.5, 'x', 'p', 2), ('a', 1.5, 1.5, 'x', 'p', 3),
    ('a', 2.5, 2.5, 'x', 'p', 4), ('a', 3,   4,   'x', 'p', 5), ('b', NULL, NULL, 'x', 'p', 6),
    ('b', NULL, NULL, 'x', 'p', 7), ('b', NULL, NULL, 'x', 'p', 8), ('c', NULL, NULL, 'x', 'p', 9),
    ('c', NULL, NULL, 'x', 'p', 10);
-- 30 pairs (a, b) for Cramer's phi: x/p 10, x/q 5, y/p 3, y/q 12
CREATE TABLE gp AS
  SELECT 'x'::text AS a, 'p'::text AS b FROM generate_series(1, 10)
  UNION ALL SELECT 'x', 'q' FROM generate_series(1, 5)
  UNION ALL SELECT 'y', 'p' FROM generate_series(1, 3)
  UNION ALL SELECT 'y', 'q' FROM generate_series(1, 12);
CREATE FUNCTION r(j jsonb) RETURNS text LANGUAGE sql AS $$
  SELECT format('success=%s observed=%s', j->>'success',
                round((j->'result'->>'observed_value')::numeric, 12))
$$;

-- chi-square: 5 a, 3 b, 2 c against thirds: statistic 1.4 on 2 degrees of
-- freedom, p = exp(-1.4 / 2) = 0.496585303791
SELECT r(dq.check('gd', 'expect_column_chisquare_test_p_value_to_be_greater_than', 'cat',
     '{"partition_object": {"values": ["a", "b", "c"], "weights": [0.3333333333333333, 0.3333333333333333, 0.3333333333333334]}}'));
SELECT dq.check('gd', 'expect_column_chisquare_test_p_value_to_be_greater_than', 'cat',
     '{"partition_object": {"values": ["a", "b", "c"], "weights": [0.5, 0.3, 0.2]}, "result_format": "SUMMARY"}') -> 'result';
-- a value the partition lacks: p = 0 without holdout
SELECT r(dq.check('gd', 'expect_column_chisquare_test_p_value_to_be_greater_than', 'cat',
     '{"partition_object": {"values": ["a", "b"], "weights": [0.6, 0.4]}}'));

-- KL divergence, categorical: sum p ln(p / q) of (.5, .3, .2) from thirds = 0.068959274604
SELECT r(dq.check('gd', 'expect_column_kl_divergence_to_be_less_than', 'cat',
     '{"partition_object": {"values": ["a", "b", "c"], "weights": [0.3333333333333333, 0.3333333333333333, 0.3333333333333334]}, "threshold": 0.1}'));
-- c unknown to the partition: infinite without holdout (observed null) ...
SELECT r(dq.check('gd', 'expect_column_kl_divergence_to_be_less_than', 'cat',
     '{"partition_object": {"values": ["a", "b"], "weights": [0.6, 0.4]}, "threshold": 0.1}'));
-- ... and with tail_weight_holdout 0.1: (.5,.3,.2) from (.54,.36,.1) = 0.045452448506
SELECT r(dq.check('gd', 'expect_column_kl_divergence_to_be_less_than', 'cat',
     '{"partition_object": {"values": ["a", "b"], "weights": [0.6, 0.4]}, "threshold": 0.1, "tail_weight_holdout": 0.1}'));
SELECT dq.check('gd', 'expect_column_kl_divergence_to_be_less_than', 'cat',
     '{"partition_object": {"values": ["a", "b"], "weights": [0.6, 0.4]}, "threshold": 0.1, "tail_weight_holdout": 0.1, "result_format": "SUMMARY"}') -> 'result' -> 'details';
-- continuous: y holds -1, 0.5, 1.5, 2.5, 4 against bins 0..3 with weights
-- .2 .4 .4 and tail holdout .2: observed (.2 each of 5 parts) from
-- (.1, .16, .32, .32, .1) = 0.133886130789
SELECT r(dq.check('gd', 'expect_column_kl_divergence_to_be_less_than', 'y',
     '{"partition_object": {"bins": [0, 1, 2, 3], "weights": [0.2, 0.4, 0.4]}, "threshold": 0.5, "tail_weight_holdout": 0.2}'));
SELECT dq.check('gd', 'expect_column_kl_divergence_to_be_less_than', 'y',
     '{"partition_object": {"bins": [0, 1, 2, 3], "weights": [0.2, 0.4, 0.4]}, "threshold": 0.5, "tail_weight_holdout": 0.2, "result_format": "SUMMARY"}') -> 'result' -> 'details';
-- x (0.5, 1.5, 1.5, 2.5, 3: the last edge belongs to the last bin) matches exactly: 0
SELECT r(dq.check('gd', 'expect_column_kl_divergence_to_be_less_than', 'x',
     '{"partition_object": {"bins": [0, 1, 2, 3], "weights": [0.2, 0.4, 0.4]}, "threshold": 0}'));
-- infinite edges as PostgreSQL writes them
SELECT r(dq.check('gd', 'expect_column_kl_divergence_to_be_less_than', 'y',
     '{"partition_object": {"bins": ["-Infinity", 1, 2, "Infinity"], "weights": [0.4, 0.2, 0.4]}, "threshold": 0}'));
-- no partition: the column against its own histogram, 0
SELECT r(dq.check('gd', 'expect_column_kl_divergence_to_be_less_than', 'x', '{"threshold": null}'));

-- parameterized KS: one value 1 against norm(0, 1): D = Phi(1),
-- p = 2 (1 - Phi(1)) = 0.317310507863; GE's own example, 0.1 .. 0.9
-- against uniform(0, 1): D = 0.1, p = 0.999874284065
CREATE TABLE gk1 AS SELECT 1::float8 AS v;
SELECT r(dq.check('gk1', 'expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than', 'v',
     '{"distribution": "norm", "params": {"mean": 0, "std_dev": 1}}'));
CREATE TABLE gk9 AS SELECT i / 10.0 AS v FROM generate_series(1, 9) i;
SELECT dq.check('gk9', 'expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than', 'v',
     '{"distribution": "uniform", "params": [0, 1], "p_value": 0.05}') -> 'result';
-- 100000 evenly spread values: the asymptotic branch, p close to 1
CREATE TABLE gkn AS SELECT (i - 0.5) / 100000.0 AS v FROM generate_series(1, 100000) i;
SELECT r(dq.check('gkn', 'expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than', 'v',
     '{"distribution": "uniform", "params": {"min": 0, "max": 1}}'));
SELECT dq.check('gkn', 'expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than', 'v',
     '{"distribution": "norm", "params": {"mean": 0.5, "std_dev": 1}}') ->> 'success' AS norm_fails;
SELECT (dq.sorted_values(v))[1:3] AS smallest FROM (SELECT 3 - n * 0.5 AS v FROM gd) s;

-- bootstrapped KS: same shape passes, shifted data fail (fixed seed)
CREATE TABLE gb AS SELECT (i % 100) / 100.0 + 0.005 AS v, (i % 100) / 100.0 + 0.6 AS w
  FROM generate_series(1, 2000) i;
SELECT dq.check('gb', 'expect_column_bootstrapped_ks_test_p_value_to_be_greater_than', 'v',
     '{"partition_object": {"bins": [0, 0.25, 0.5, 0.75, 1], "weights": [0.25, 0.25, 0.25, 0.25]}}') ->> 'success' AS same;
SELECT j ->> 'success' AS shifted, j -> 'result' -> 'details' -> 'observed_partition' AS observed,
       j -> 'result' -> 'details' -> 'bootstrap_sample_size' AS size
  FROM (SELECT dq.check('gb', 'expect_column_bootstrapped_ks_test_p_value_to_be_greater_than', 'w',
     '{"partition_object": {"bins": [0, 0.25, 0.5, 0.75, 1], "weights": [0.25, 0.25, 0.25, 0.25]}, "result_format": "SUMMARY"}') AS j) s;

-- Cramer's phi: the 2 x 2 table 10 5 / 3 12 with Yates' correction:
-- chi2 = 4.886877828054, phi = sqrt(chi2 / 30) = 0.403603676398
SELECT r(dq.check('gp', 'expect_column_pair_cramers_phi_value_to_be_less_than',
     params => '{"column_A": "a", "column_B": "b", "threshold": 0.5}'));
SELECT dq.check('gp', 'expect_column_pair_cramers_phi_value_to_be_less_than',
     params => '{"column_A": "a", "column_B": "b", "result_format": "SUMMARY"}') -> 'result' -> 'details';
-- a column against itself: 1; numeric bins
SELECT r(dq.check('gd', 'expect_column_pair_cramers_phi_value_to_be_less_than',
     params => '{"column_A": "cat", "column_B": "cat"}'));
SELECT r(dq.check('gd', 'expect_column_pair_cramers_phi_value_to_be_less_than',
     params => '{"column_A": "n", "column_B": "cat", "n_bins_A": 2}'));

-- in dq.validate's one scan, with the other aggregates; x (0.5, 1.5, 1.5,
-- 2.5, 3) against uniform(0, 3): D = 0.3, P(D_5 >= 0.3) = 0.6643 (a
-- simulation of 400000 samples of 5 gave 0.66428)
CREATE TABLE gdv AS SELECT * FROM gd;
SELECT dq.expect('gdv', 'expect_column_chisquare_test_p_value_to_be_greater_than', 'cat',
     '{"partition_object": {"values": ["a", "b", "c"], "weights": [0.5, 0.3, 0.2]}}') > 0 AS ok;
SELECT dq.expect('gdv', 'expect_column_kl_divergence_to_be_less_than', 'y',
     '{"partition_object": {"bins": [0, 1, 2, 3], "weights": [0.2, 0.4, 0.4]}, "threshold": 0.1, "tail_weight_holdout": 0.2}') > 0 AS ok;
SELECT dq.expect('gdv', 'expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than', 'x',
     '{"distribution": "uniform", "params": [0, 3]}') > 0 AS ok;
-- (a and b of gdv are constant: a 1 x 1 table has no phi, observed null, failed)
SELECT dq.expect('gdv', 'expect_column_pair_cramers_phi_value_to_be_less_than',
     params => '{"column_A": "a", "column_B": "b"}') > 0 AS ok;
SELECT dq.expect('gdv', 'expect_column_mean_to_be_between', 'x', '{"min_value": 0}') > 0 AS ok;
SELECT dq.validate('gdv') > 0 AS validated;
SELECT kind, success, round((result -> 'result' ->> 'observed_value')::numeric, 6) AS observed
  FROM dq.latest_validation WHERE table_name = 'gdv' ORDER BY expectation_id;

-- bad input
SELECT dq.check('gd', 'expect_column_chisquare_test_p_value_to_be_greater_than', 'cat', '{}');
SELECT dq.check('gd', 'expect_column_chisquare_test_p_value_to_be_greater_than', 'cat',
     '{"partition_object": {"values": ["a"], "weights": [0.5]}}');
SELECT dq.check('gd', 'expect_column_chisquare_test_p_value_to_be_greater_than', 'cat',
     '{"partition_object": {"bins": [0, 1], "weights": [1]}}');
SELECT dq.check('gd', 'expect_column_kl_divergence_to_be_less_than', 'cat',
     '{"partition_object": {"values": ["a"], "weights": [1]}, "internal_weight_holdout": 0.1}');
SELECT dq.check('gd', 'expect_column_kl_divergence_to_be_less_than', 'y',
     '{"partition_object": {"bins": ["-Infinity", 0, "Infinity"], "weights": [0.5, 0.5]}, "tail_weight_holdout": 0.1}');
SELECT dq.check('gd', 'expect_column_kl_divergence_to_be_less_than', 'y',
     '{"partition_object": {"bins": [0, 2, 1], "weights": [0.5, 0.5]}}');
SELECT dq.check('gd', 'expect_column_kl_divergence_to_be_less_than', 'y',
     '{"partition_object": {"bins": [0, 1], "weights": [1]}, "threshold": -1}');
SELECT dq.check('gd', 'expect_column_kl_divergence_to_be_less_than', 'cat',
     '{"partition_object": {"bins": [0, 1], "weights": [1]}}');
SELECT dq.check('gd', 'expect_column_bootstrapped_ks_test_p_value_to_be_greater_than', 'x',
     '{"partition_object": {"bins": ["-Infinity", 0, 1], "weights": [0.5, 0.5]}}');
SELECT dq.check('gd', 'expect_column_bootstrapped_ks_test_p_value_to_be_greater_than', 'x',
     '{"partition_object": {"bins": [0, 1], "weights": [0.5], "tail_weights": [0.25, 0.25]}}');
SELECT dq.check('gd', 'expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than', 'x',
     '{"distribution": "cauchy", "params": [0, 1]}');
SELECT dq.check('gd', 'expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than', 'x',
     '{"distribution": "norm", "params": {"mean": 0}}');
SELECT dq.check('gd', 'expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than', 'x',
     '{"distribution": "norm", "params": [0, -1]}');
SELECT dq.check('gd', 'expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than', 'cat',
     '{"distribution": "norm", "params": [0, 1]}');
SELECT dq.check('gd', 'expect_column_pair_cramers_phi_value_to_be_less_than',
     params => '{"column_A": "n", "column_B": "cat", "bins_A": ["x"]}');
SELECT dq.check('gd', 'expect_column_pair_cramers_phi_value_to_be_less_than',
     params => '{"column_A": "n", "column_B": "cat", "n_bins_B": 0}');
