-- The regex kinds' byte automaton gives the same verdicts as PostgreSQL's ~
\set VERBOSITY terse

-- values: every ASCII character alone, corner cases, non-ASCII, long ones,
-- and random strings over the characters the patterns use; three
-- collations (C, the database's, ICU's root locale)
CREATE TABLE rx_str (s text, s_c text COLLATE "C", s_i text COLLATE "und-x-icu");
INSERT INTO rx_str SELECT chr(i), chr(i), chr(i) FROM generate_series(1, 127) i;
INSERT INTO rx_str SELECT v, v, v FROM unnest(ARRAY[
    '', 'ab', 'abc', 'aaa', 'ba', 'bb', 'aab', 'abab', E'a\n', E'\na', E'a\nb', E'\n\n',
    'a b', E'a\tb', 'x-y', 'a.b', 'a-b', 'a_b', '0123abcd-', 'deadbeef-0000', '0123ABCD-',
    '0123abc-', '0123abcde-', '01234567-89ab-cdef-0123-456789abcdef', 'é', 'aé', 'éa', 'é0123abcd-',
    '0123abcd-é', 'ÿ', '日本', 'a日b', E'\u00a0', 'ab$', '^ab', 'a\b', 'a{2}', '[ab]', '(a)', 'a|b',
    'a+', 'a*', 'a?', '}', ']{', '00', '11', '0a1b', 'A0', 'Z_9', '  ', ' a ', E'a\r\n',
    repeat('ab', 500), repeat('a', 999) || 'b', 'b' || repeat('a', 999), repeat('0', 300) || '-',
    repeat('a', 300) || 'é', 'é' || repeat('a', 300)]) v;
SELECT setseed(0.25);
INSERT INTO rx_str SELECT v, v, v FROM (
    SELECT string_agg(substr(E'ab01-_. \nAZ{}[]é\t$^', 1 + floor(random() * 20)::int, 1), '') v
      FROM generate_series(1, 300) n, LATERAL generate_series(0, (n * 7) % 13) k
     GROUP BY n) r;
-- longer random strings over fewer characters: long runs that keep an
-- automaton in one state (its inner loop), ended by any character
INSERT INTO rx_str SELECT v, v, v FROM (
    SELECT string_agg(substr(E'ab01ab01ab01ab01-_ \nAZé$', 1 + floor(random() * 24)::int, 1), '') v
      FROM generate_series(1, 120) n, LATERAL generate_series(0, 20 + (n * 37) % 100) k
     GROUP BY n) r;
INSERT INTO rx_str VALUES (NULL, NULL, NULL);
SELECT count(*) AS strings, count(DISTINCT s) AS distinct_strings FROM rx_str;

-- Does dq.check on column col agree with "col ~ pattern" on every value?
-- Compares the lists of unexpected values (result_format COMPLETE).
CREATE FUNCTION rx_agrees(pat text, col text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    dq_list text[];
    pg_list text[];
BEGIN
    SELECT array_agg(x COLLATE "C" ORDER BY x COLLATE "C") INTO dq_list
      FROM jsonb_array_elements_text(
             dq.check('rx_str', 'expect_column_values_to_match_regex', col,
                      jsonb_build_object('regex', pat, 'result_format', 'COMPLETE'))
             ->'result'->'unexpected_list') x;
    EXECUTE format('SELECT array_agg(%1$I COLLATE "C" ORDER BY %1$I COLLATE "C") FROM rx_str
                     WHERE NOT %1$I ~ $1', col) INTO pg_list USING pat;
    RETURN dq_list IS NOT DISTINCT FROM pg_list;
END $$;

-- Is pat a regular expression PostgreSQL accepts?
CREATE FUNCTION rx_valid(pat text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM '' ~ pat;
    RETURN true;
EXCEPTION WHEN invalid_regular_expression THEN
    RETURN false;
END $$;

-- hand-written corner cases: supported, refused, and some PostgreSQL rejects
CREATE TABLE rx_pat (id serial, pat text, generated boolean DEFAULT false);
INSERT INTO rx_pat (pat) SELECT unnest(ARRAY[
    '', 'a', 'ab', '^a', 'a$', '^$', '$^', '^a$', '^', '$', 'a|', '|a', 'a|^b', 'a|b$', '(a|^)b',
    'a$b', 'a^b', '^*', 'a**', 'a{2}{3}', '()', '(|)', '(?:)', 'x{0}', 'a{0}b', '(a$){0}b',
    'a{0,0}', 'a{2}', 'a{2,}', 'a{1,3}', 'a{,3}', 'a{x', 'a{256}', 'a{255}', '(ab){2,3}$',
    'a*', 'a+', 'a?', 'a*?', 'a+?', 'a??', 'a{1,2}?', '.', '^.$', '^..$', '.*', '^.*$', 'a.b',
    '[ab]', '[^ab]', '^[^a]$', '[]a]', '[^]a]', '[a-]', '[-a]', '[%-]]', '[a\]b]', '[\d]', '[\w-]',
    '[\s]', '[a-c0-2]', '[z-a]', '[[:alpha:]]', '[[:digit:]_]', '[[:space:]]', '[[:punct:]]',
    '[[:upper:]]', '[[:word:]]', '[[.a.]]', '[[=a=]]', '[[]', '\d', '\D', '\w', '\W', '\s', '\S',
    '^\d+$', '^\w+$', '\s', '^\S*$', '\.', '\-', '\$', '\^', '\\', '\[', '\{', '\}', '\(', '\*',
    '\y', '\m', '\M', '\Y', '\A', '\Z', '\n', '\t', '\x41', '\u0041', '\101', '\e', '\B', '\1',
    '(a)\1', '(?=a)', '(?!a)', '(?<=a)b', '(?<!a)b', '(?i)a', '***:a', '***=a', '(?x) a',
    'é', '[é]', 'a|é', ']', '}', 'a}', '{', 'a{', '#', ' ', E'\n', E'^\n$', E'a\nb',
    '^[0-9a-f]{8}-', '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
    '[0-9a-f]{8}-', 'a.{20}b', '(a|b)*abb', '^(a|b)*abb$', '((a*)*)*b', '(a?){3}a{3}',
    '^(0|1(01*0)*1)*$', '[ab]{3,}$', '^a|b$', '(^a|b$)+', 'b*$', '(a$|b)c', '(a|$)(b|$)',
    '^a{255}', repeat('(a|b)', 30), repeat('a', 1001), '(((((((((((a)))))))))))',
    'a)', '(a', '[a', 'a\']);
SELECT count(*) AS hand_written, count(*) FILTER (WHERE rx_valid(pat)) AS valid FROM rx_pat;

-- a few hundred generated ones, the same every run
CREATE FUNCTION rx_quant() RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN r < 0.55 THEN ''
                ELSE (ARRAY['*', '+', '?', '{2}', '{1,3}', '{0}', '{2,}', '*?', '+?', '{0,2}',
                            '{3}', '??'])[1 + floor((r - 0.55) / 0.45 * 12)::int] END
      FROM (SELECT random() AS r) x
$$;
CREATE FUNCTION rx_atom() RETURNS text LANGUAGE sql AS $$
    SELECT (ARRAY['a', 'b', 'a', 'b', '0', '1', '-', '.', '.', '\d', '\w', '\s', '\D', '\W', '\S',
                  '[ab]', '[^a]', '[0-9]', '[a-z_]', '[^\s]', '\.', '\-', '[[:alpha:]]',
                  '[[:digit:]]', '[[:space:]]', '[[:punct:]]', 'é', '\y', '(?=a)', '\$', '^', '$',
                  ' ', E'\n', '[^ab0-]', 'A', '_', '[\w.-]', '\{', ']', '[]a]', '{'
                 ])[1 + floor(random() * 42)::int]
$$;
CREATE FUNCTION rx_gen(depth int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r float8 := random();
    out text := '';
BEGIN
    IF depth <= 0 OR r < 0.35 THEN
        RETURN rx_atom() || rx_quant();
    ELSIF r < 0.7 THEN
        FOR i IN 1 .. 2 + floor(random() * 3)::int LOOP
            out := out || rx_gen(depth - 1);
        END LOOP;
        RETURN out;
    ELSIF r < 0.85 THEN
        RETURN rx_gen(depth - 1) || '|' || rx_gen(depth - 1);
    ELSE
        RETURN (CASE WHEN random() < 0.5 THEN '(' ELSE '(?:' END) || rx_gen(depth - 1) || ')'
               || rx_quant();
    END IF;
END $$;
SELECT setseed(0.5);
INSERT INTO rx_pat (pat, generated) SELECT rx_gen(4), true FROM generate_series(1, 400);
SELECT count(*) AS generated, count(*) FILTER (WHERE rx_valid(pat)) AS valid,
       count(DISTINCT pat) AS distinct_patterns
  FROM rx_pat WHERE generated;

-- every valid pattern, every collation: no disagreement
SELECT p.id, p.pat, c.col
  FROM rx_pat p, unnest(ARRAY['s', 's_c', 's_i']) c(col)
 WHERE rx_valid(p.pat) AND NOT rx_agrees(p.pat, c.col)
 ORDER BY 1, 3;

-- the other regex kinds, over pairs of generated patterns
CREATE FUNCTION rx_list_agrees(p1 text, p2 text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    l jsonb := jsonb_build_array(p1, p2);
    ok boolean := true;
BEGIN
    ok := ok AND (dq.check('rx_str', 'expect_column_values_to_not_match_regex', 's',
                           jsonb_build_object('regex', p1))->'result'->>'unexpected_count')::int
                 = (SELECT count(*) FILTER (WHERE s ~ p1) FROM rx_str);
    ok := ok AND (dq.check('rx_str', 'expect_column_values_to_match_regex_list', 's',
                           jsonb_build_object('regex_list', l))->'result'->>'unexpected_count')::int
                 = (SELECT count(*) FILTER (WHERE NOT (s ~ p1 OR s ~ p2)) FROM rx_str);
    ok := ok AND (dq.check('rx_str', 'expect_column_values_to_match_regex_list', 's',
                           jsonb_build_object('regex_list', l, 'match_on', 'all'))
                  ->'result'->>'unexpected_count')::int
                 = (SELECT count(*) FILTER (WHERE NOT (s ~ p1 AND s ~ p2)) FROM rx_str);
    ok := ok AND (dq.check('rx_str', 'expect_column_values_to_not_match_regex_list', 's',
                           jsonb_build_object('regex_list', l))->'result'->>'unexpected_count')::int
                 = (SELECT count(*) FILTER (WHERE s ~ p1 OR s ~ p2) FROM rx_str);
    RETURN ok;
END $$;
SELECT count(*) AS pairs, count(*) FILTER (WHERE NOT rx_list_agrees(a.pat, b.pat)) AS disagreements
  FROM rx_pat a JOIN rx_pat b ON b.id = a.id + 1
 WHERE a.generated AND b.generated AND rx_valid(a.pat) AND rx_valid(b.pat) AND a.id % 4 = 0;

-- which patterns get the automaton (DEBUG1 at rule compilation)
CREATE TABLE rx_one (s text);
INSERT INTO rx_one VALUES ('0123abcd-');
SET client_min_messages = debug1;
SELECT dq.check('rx_one', 'expect_column_values_to_match_regex', 's', jsonb_build_object('regex', pat))
       ->>'success' AS success
  FROM unnest(ARRAY['^[0-9a-f]{8}-', '[[:alpha:]]+', 'a|^b', '(a)\1', '(?i)A', 'é', '\y',
                    '[[.a.]]', 'a.{20}b', '(a{200}){3}']) pat;
RESET client_min_messages;

DROP TABLE rx_str, rx_pat, rx_one;
DROP FUNCTION rx_agrees, rx_valid, rx_quant, rx_atom, rx_gen, rx_list_agrees;
