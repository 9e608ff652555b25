# Adversarial tests of expectations and profiles: unprivileged roles
# alice, bob and mallory try to get their code run with someone else's
# rights, to read through the extension what they may not read, and to
# see stored values that row-level security or column privileges hide.
# Every piece of code the attackers write records, in mallory.log, the
# role it ran as, and tries to make mallory a superuser (and a member of
# alice) when it can.  Afterwards: no role gained a privilege, the code
# ran only as the role that wrote it, no hidden value is readable, and
# the expectations and results are all there.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use DqTest;

my $node = DqTest::new_node('security_expect', create_extension => 1);
my $su = $node->safe_psql('postgres', 'SELECT current_user');

# Run SQL as a role; die on error.
sub as
{
	my ($role, $sql, $db) = @_;
	return $node->safe_psql($db // 'postgres', $sql,
		extra_params => [ '-U', $role ]);
}

# Run SQL as a role that should fail; returns the error text ('' when it
# did not fail).
sub fails_as
{
	my ($role, $sql, $db) = @_;
	my ($ret, $out, $err) = $node->psql($db // 'postgres', $sql,
		extra_params => [ '-U', $role ]);
	return $ret == 0 ? '' : $err;
}

#
# The cast.  mallory's probe records who runs it and escalates when it can.
#
my $probe_sql = q{
	CREATE TABLE mallory.log (ran_as name, what text);
	GRANT INSERT ON mallory.log TO PUBLIC;
	CREATE FUNCTION mallory.probe(what text, v anyelement) RETURNS boolean
	LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO mallory.log VALUES (current_user, what);
		IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
			EXECUTE 'ALTER ROLE mallory SUPERUSER';
		END IF;
		IF current_user <> 'mallory' THEN
			BEGIN
				EXECUTE format('GRANT %I TO mallory', current_user);
			EXCEPTION WHEN OTHERS THEN NULL;
			END;
		END IF;
		RETURN true;
	END $$;
	GRANT EXECUTE ON FUNCTION mallory.probe(text, anyelement) TO PUBLIC;
};

$node->safe_psql('postgres', qq{
	CREATE ROLE alice LOGIN;
	CREATE ROLE bob LOGIN;
	CREATE ROLE mallory LOGIN;
	CREATE SCHEMA alice AUTHORIZATION alice;
	CREATE SCHEMA bob AUTHORIZATION bob;
	CREATE SCHEMA mallory AUTHORIZATION mallory;
	GRANT USAGE ON SCHEMA alice, bob, mallory TO PUBLIC;
	CREATE DATABASE mdb OWNER mallory;
});
as('mallory', $probe_sql);

#
# Finding 1: mallory's code in things that carry expectations.
#
as('mallory', q{
	-- a domain named in parseable_as
	CREATE DOMAIN mallory.d AS text CHECK (mallory.probe('parseable_as domain', VALUE));
	CREATE TABLE mallory.t (x text, n int);
	INSERT INTO mallory.t VALUES ('a', 1), ('b', 2);
	SELECT dq.expect('mallory.t', 'expect_column_values_to_be_parseable_as', 'x',
					 '{"type": "mallory.d"}');
	-- an array of the domain, a composite with a domain field
	CREATE TYPE mallory.pair AS (a mallory.d, b int);
	SELECT dq.expect('mallory.t', 'expect_column_values_to_be_parseable_as', 'x',
					 '{"type": "mallory.d[]"}');
	SELECT dq.expect('mallory.t', 'expect_column_values_to_be_parseable_as', 'x',
					 '{"type": "mallory.pair"}');

	-- a domain-typed column: bounds, value sets and aggregate bounds go
	-- through the domain's CHECK
	CREATE DOMAIN mallory.dn AS int CHECK (mallory.probe('domain column', VALUE));
	-- (over numeric: its max and min are dq_internal.numeric_max/min)
	CREATE DOMAIN mallory.dnum AS numeric CHECK (mallory.probe('domain column', VALUE));
	CREATE TABLE mallory.typed (v mallory.dn, w mallory.dnum);
	INSERT INTO mallory.typed VALUES (1, 1.5), (5, 2.25), (7, NULL);
	SELECT dq.expect('mallory.typed', 'expect_column_values_to_be_between', 'v',
					 '{"min_value": 0, "max_value": 6}');
	SELECT dq.expect('mallory.typed', 'expect_column_values_to_be_in_set', 'v',
					 '{"value_set": [1, 5]}');
	SELECT dq.expect('mallory.typed', 'expect_column_values_to_not_be_in_set', 'v',
					 '{"value_set": [2]}');
	SELECT dq.expect('mallory.typed', 'expect_column_max_to_be_between', 'v',
					 '{"max_value": 10}');
	SELECT dq.expect('mallory.typed', 'expect_column_max_to_be_between', 'w',
					 '{"max_value": 10}');
	SELECT dq.expect('mallory.typed', 'expect_column_distinct_values_to_be_in_set', 'v',
					 '{"value_set": [1, 5, 7]}');
	SELECT dq.expect('mallory.typed', 'expect_column_most_common_value_to_be_in_set', 'v',
					 '{"value_set": [1], "ties_okay": true}');
	SELECT dq.expect('mallory.typed', 'expect_column_quantile_values_to_be_between', 'v',
					 '{"quantile_ranges": {"quantiles": [0.5], "value_ranges": [[0, 9]]}}');

	-- a function in a view
	CREATE VIEW mallory.v AS
		SELECT x, n, mallory.probe('view', x) AS p FROM mallory.t;
	SELECT dq.expect('mallory.v', 'expect_column_values_to_not_be_null', 'p');
	SELECT dq.expect('mallory.v', 'expect_column_values_to_be_unique', 'x');
	SELECT dq.expect('mallory.v', 'expect_table_row_count_to_be_between',
					 params => '{"min_value": 1}');

	-- a row-level security policy calling the probe, forced on the owner
	CREATE TABLE mallory.r (x int);
	INSERT INTO mallory.r VALUES (1), (2);
	ALTER TABLE mallory.r ENABLE ROW LEVEL SECURITY;
	ALTER TABLE mallory.r FORCE ROW LEVEL SECURITY;
	CREATE POLICY p ON mallory.r USING (mallory.probe('policy', x));
	GRANT SELECT ON mallory.r, mallory.t, mallory.v, mallory.typed TO PUBLIC;
	SELECT dq.expect('mallory.r', 'expect_column_values_to_not_be_null', 'x');

	-- a row condition runs as its author
	SELECT dq.expect('mallory.t', 'expect_row_condition',
					 params => '{"row_condition": "mallory.probe(''row_condition'', n)"}');
});

# The victims: a superuser's nightly run, and alice, who may read everything.
$node->safe_psql('postgres', 'GRANT SELECT ON ALL TABLES IN SCHEMA mallory TO alice');
my $runs = $node->safe_psql('postgres',
	'SELECT count(*) FILTER (WHERE run_id IS NOT NULL), count(*) FROM dq.validate_all()');
is($runs, '4|4', 'the superuser validates every relation of mallory');
as('alice', 'SELECT count(*) FROM dq.validate_all()');
$node->safe_psql('postgres', q{
	SELECT dq.validate('mallory.v');
	SELECT dq.check('mallory.t', 'expect_column_values_to_be_parseable_as', 'x', '{"type": "mallory.d"}');
	SELECT dq.check('mallory.typed', 'expect_column_values_to_be_between', 'v', '{"min_value": 2}');
	SELECT dq.check('mallory.typed', 'expect_column_min_to_be_between', 'v', '{"min_value": 0}');
	SELECT dq.check('mallory.typed', 'expect_column_min_to_be_between', 'w', '{"min_value": 0}');
	SELECT dq.check('mallory.v', 'expect_column_values_to_not_be_null', 'p');
	SELECT dq.check('mallory.r', 'expect_column_values_to_not_be_null', 'x');
	SELECT dq.profile('mallory.v');
	SELECT dq.profile('mallory.r');
	SELECT dq.profile('mallory.typed');
	SELECT count(*) FROM dq.suggest_expectations('mallory.typed');
});
as('alice', q{
	SELECT dq.check('mallory.v', 'expect_column_values_to_be_unique', 'x');
	SELECT dq.profile('mallory.v');
});

is( $node->safe_psql('postgres',
		"SELECT count(*) FROM mallory.log WHERE ran_as <> 'mallory'"),
	'0', "mallory's code ran as mallory only");
is( $node->safe_psql('postgres',
		"SELECT string_agg(DISTINCT what, ', ' ORDER BY what) FROM mallory.log"),
	'domain column, parseable_as domain, policy, row_condition, view',
	'... and every vector did run (as mallory)');
is( $node->safe_psql('postgres', q{
	SELECT count(*) FROM dq.validation_results
	 WHERE relid = 'mallory.t'::regclass AND result->'exception_info'->>'raised_exception' = 'true'}),
	'0', "mallory's own expectations were evaluated, not refused");
is( $node->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE result->'exception_info'->>'raised_exception' = 'true') || '/' ||
	       count(*) FILTER (WHERE column_name = 'w' AND result->'result'->>'observed_value' = '2.25')
	  FROM dq.validation_results WHERE relid = 'mallory.typed'::regclass}),
	'0/2', '... on the domain-typed columns too (the numeric max by dq_internal.numeric_max)');

# Suggestions count a key candidate exactly through dq.check: a view's code
# met by that count runs as the view's owner too.
as('mallory', q{
	CREATE VIEW mallory.keys AS
		SELECT g AS k FROM generate_series(3001, 4500) g WHERE mallory.probe('key candidate', g);
});
$node->safe_psql('postgres', "SELECT dq.profile('mallory.keys')");
my $probes_before = $node->safe_psql('postgres',
	"SELECT count(*) FROM mallory.log WHERE what = 'key candidate'");
like( $node->safe_psql('postgres', q{
	SELECT reason FROM dq.suggest_expectations('mallory.keys')
	 WHERE kind = 'expect_column_values_to_be_unique'}),
	qr/counted exactly/, 'the superuser gets a key candidate of mallory\'s view counted exactly');
ok( $node->safe_psql('postgres',
		"SELECT count(*) FROM mallory.log WHERE what = 'key candidate'") > $probes_before,
	'... which ran the view\'s code');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM mallory.log WHERE ran_as <> 'mallory'"),
	'0', '... as mallory only');

#
# dq.check and dq.expect refuse another role's type that would run as a
# table's owner (the check runs as the owner, who did not choose it).
#
$node->safe_psql('postgres', q{
	CREATE TABLE public.su_t (x text);
	INSERT INTO public.su_t VALUES ('1');
	GRANT SELECT ON public.su_t TO PUBLIC;
	CREATE ROLE dq_admin;
	GRANT dq_admin TO alice;
});
like(fails_as('mallory', q{
	SELECT dq.check('public.su_t', 'expect_column_values_to_be_parseable_as', 'x', '{"type": "mallory.d"}')}),
	qr/type mallory\.d named in parameter "type" of expect_column_values_to_be_parseable_as cannot be used on this relation/,
	"dq.check refuses to run mallory's domain as the table's owner");
as('alice', q{
	CREATE DOMAIN alice.d AS text CHECK (mallory.probe('dq_admin domain', VALUE));
});
like(fails_as('alice', q{
	SELECT dq.expect('public.su_t', 'expect_column_values_to_be_parseable_as', 'x', '{"type": "alice.d"}')}),
	qr/cannot be used on this relation/,
	'a member of dq_admin cannot attach her own domain to a superuser\'s table');
is(as('alice', q{
	SELECT dq.check('public.su_t', 'expect_column_values_to_be_parseable_as', 'x',
					'{"type": "pg_catalog.int4"}')->>'success'}),
	'true', 'built-in types are fine');

#
# Operators and functions that shadow built-ins: mallory owns database mdb,
# puts her schema before pg_catalog in its search_path, and fills it (and
# public, and a schema named like the superuser) with operators.
#
$node->safe_psql('mdb', 'CREATE EXTENSION dq_lineage');
as('mallory', "CREATE SCHEMA mallory; GRANT USAGE ON SCHEMA mallory TO PUBLIC; $probe_sql", 'mdb');
my $ops = '';
foreach my $schema ('mallory', 'public', $su)
{
	$ops .= qq{
		CREATE SCHEMA IF NOT EXISTS "$schema";
		GRANT USAGE ON SCHEMA "$schema" TO PUBLIC;
	};
	foreach my $sig ('bigint, integer', 'integer, integer', 'numeric, numeric',
		'bigint, bigint', 'text, text', 'timestamptz, timestamptz',
		'jsonb, text', 'jsonb, jsonb')
	{
		my ($l, $r) = split /, /, $sig;
		my $fn = "\"$schema\".op_" . join('_', map { s/\W//gr } ($l, $r));
		$ops .= qq{
			CREATE FUNCTION $fn(a $l, b $r) RETURNS boolean LANGUAGE plpgsql AS \$\$
			BEGIN RETURN mallory.probe('operator', a); END \$\$;
		};
		foreach my $op ('=', '>', '>=', '<', '<=', '<>', '?')
		{
			next if $op eq '?' && $l ne 'jsonb';
			$ops .= qq{CREATE OPERATOR "$schema".$op (LEFTARG = $l, RIGHTARG = $r, FUNCTION = $fn);\n};
		}
	}
	$ops .= qq{
		CREATE FUNCTION "$schema".op_bigint_int_div(a bigint, b integer) RETURNS numeric
			LANGUAGE plpgsql AS \$\$ BEGIN PERFORM mallory.probe('operator', a); RETURN 1; END \$\$;
		CREATE OPERATOR "$schema"./ (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = "$schema".op_bigint_int_div);
	};
}
as('mallory', $ops, 'mdb');
as('mallory', qq{ALTER DATABASE mdb SET search_path = mallory, "$su", public, pg_catalog}, 'mdb');
$node->safe_psql('mdb', qq{
	CREATE TABLE public.orders (id int, amount numeric, placed timestamptz, status text,
								info jsonb, ref int);
	INSERT INTO public.orders
		SELECT g, g * 1.5, timestamptz '2024-01-01' + g * interval '1 hour',
			   (ARRAY['new', 'paid'])[1 + g % 2], jsonb_build_object('k', g), g % 5
		  FROM generate_series(1, 50) g;
	CREATE TABLE public.refs (id int);
	INSERT INTO public.refs SELECT generate_series(0, 4);
	CREATE TABLE public.orders_copy AS SELECT * FROM public.orders;
	SELECT dq.expect('public.orders', 'expect_column_values_to_be_between', 'amount', '{"min_value": 0, "max_value": 80}');
	SELECT dq.expect('public.orders', 'expect_column_values_to_be_in_set', 'status', '{"value_set": ["new"]}');
	SELECT dq.expect('public.orders', 'expect_column_values_to_be_unique', 'id');
	SELECT dq.expect('public.orders', 'expect_compound_columns_to_be_unique', params => '{"column_list": ["id", "status"]}');
	SELECT dq.expect('public.orders', 'expect_column_values_to_be_increasing', 'id', '{"order_by": "placed"}');
	SELECT dq.expect('public.orders', 'expect_column_values_to_exist_in', 'ref', '{"to_table": "refs", "to_column": "id"}');
	SELECT dq.expect('public.orders', 'expect_table_row_count_to_equal', params => '{"value": 50}');
	SELECT dq.expect('public.orders', 'expect_table_row_count_to_equal_other_table', params => '{"other_table_name": "orders_copy"}');
	SELECT dq.expect('public.orders', 'expect_column_proportion_of_unique_values_to_be_between', 'id', '{"min_value": 0.5}');
	SELECT dq.expect('public.orders', 'expect_column_mean_to_be_between', 'amount', '{"min_value": 0}');
	SELECT dq.expect('public.orders', 'expect_column_median_to_be_between', 'amount', '{"min_value": 0}');
	SELECT dq.expect('public.orders', 'expect_column_max_to_be_recent', 'placed', '{"max_age": "100 years"}');
	SELECT dq.expect('public.orders', 'expect_column_most_common_value_to_be_in_set', 'status', '{"value_set": ["new", "paid"], "ties_okay": true}');
	SELECT dq.expect('public.orders', 'expect_column_distinct_values_to_be_in_set', 'status', '{"value_set": ["new", "paid"]}');
	SELECT dq.expect('public.orders', 'expect_column_quantile_values_to_be_between', 'amount',
					 '{"quantile_ranges": {"quantiles": [0.5], "value_ranges": [[0, 100]]}}');
	SELECT dq.expect('public.orders', 'expect_row_condition', params => '{"row_condition": "id >= 0"}');
});
my $mdb = $node->safe_psql('mdb', q{
	SELECT dq.validate('public.orders');
	SELECT count(*) FROM dq.validate_all();
	SELECT dq.profile('public.orders', exact => true);
	SELECT count(*) FROM dq.suggest_expectations('public.orders');
	SELECT dq.check('public.orders', 'expect_column_values_to_be_between', 'id', '{"min_value": 1}')->>'success';
	SELECT count(*) FROM dq.latest_validation WHERE NOT success;
	SELECT count(*) FROM dq.latest_profile;
});
is( $node->safe_psql('mdb', "SELECT count(*) FROM mallory.log"),
	'0', 'no operator or function mallory put on the search_path ran');
# (the test's own queries must not use mallory's operators either)
is( $node->safe_psql('mdb', q{
	SET search_path = pg_catalog;
	SELECT count(*) FROM dq.latest_validation
	 WHERE result->'exception_info'->>'raised_exception' = 'true' OR NOT success}),
	'1', 'every expectation was evaluated with the built-in operators (only the in-set one fails)');

#
# Finding 5: the confused deputy.  bob names alice's secrets in his own
# expectations; alice's nightly validation must not read them for him.
#
$node->safe_psql('postgres', q{
	GRANT SELECT ON ALL TABLES IN SCHEMA mallory TO bob;
});
as('alice', q{
	CREATE TABLE alice.secrets (code text, amount int);
	INSERT INTO alice.secrets VALUES ('TOPSECRET1', 10), ('TOPSECRET2', 20), ('TOPSECRET3', 30);
});
as('bob', q{
	CREATE TABLE bob.guesses (code text);
	INSERT INTO bob.guesses VALUES ('TOPSECRET1'), ('guess2'), ('TOPSECRET3');
	GRANT SELECT ON bob.guesses TO alice;
});
like(fails_as('bob', q{
	SELECT dq.expect('bob.guesses', 'expect_column_values_to_exist_in', 'code',
					 '{"to_table": "alice.secrets", "to_column": "code"}')}),
	qr/permission denied for table secrets/,
	'bob cannot define an expectation that reads alice.secrets');
like(fails_as('bob', q{
	SELECT dq.expect('bob.guesses', 'expect_table_row_count_to_equal_other_table',
					 params => '{"other_table_name": "alice.secrets"}')}),
	qr/permission denied for table secrets/,
	'nor one that counts its rows');
like(fails_as('bob', q{
	SELECT dq.check('bob.guesses', 'expect_column_values_to_exist_in', 'code',
					'{"to_table": "alice.secrets", "to_column": "code"}')}),
	qr/permission denied for table secrets/,
	'dq.check refuses too');
# alice lets him read it for a while, he defines both, she takes it back
as('alice', 'GRANT SELECT ON alice.secrets TO bob');
as('bob', q{
	SELECT dq.expect('bob.guesses', 'expect_column_values_to_exist_in', 'code',
					 '{"to_table": "alice.secrets", "to_column": "code"}');
	SELECT dq.expect('bob.guesses', 'expect_table_row_count_to_equal_other_table',
					 params => '{"other_table_name": "alice.secrets"}');
});
as('alice', 'REVOKE SELECT ON alice.secrets FROM bob');
as('alice', 'SELECT count(*) FROM dq.validate_all()');
$node->safe_psql('postgres', 'SELECT count(*) FROM dq.validate_all()');
is( $node->safe_psql('postgres', q{
	SELECT string_agg(kind || ': ' || (result->'exception_info'->>'exception_message'), E'\n' ORDER BY kind)
	  FROM dq.validation_results WHERE relid = 'bob.guesses'::regclass
	   AND result->'exception_info'->>'raised_exception' = 'true'}),
	"expect_column_values_to_exist_in: permission denied for table secrets\n"
	  . "expect_column_values_to_exist_in: permission denied for table secrets\n"
	  . "expect_table_row_count_to_equal_other_table: permission denied for table secrets\n"
	  . "expect_table_row_count_to_equal_other_table: permission denied for table secrets",
	"the reads of alice.secrets ran as bob, who may not read it, in alice's and the superuser's runs");
is( $node->safe_psql('postgres', q{
	SELECT count(*) FROM dq.validation_results
	 WHERE relid = 'bob.guesses'::regclass AND (result::text LIKE '%TOPSECRET%' OR result::text LIKE '%"other": 3%')}),
	'0', 'no result tells which of his guesses exist, or her row count');

#
# Finding 6: stored values and row-level security / column privileges.
#
as('alice', q{
	CREATE TABLE alice.shared (owner_name text, code text, amount int);
	INSERT INTO alice.shared VALUES
		('alice', 'TOPSECRET_A1', 1000), ('alice', 'TOPSECRET_A2', 2000), ('bob', 'bobcode', 5);
	ALTER TABLE alice.shared ENABLE ROW LEVEL SECURITY;
	CREATE POLICY mine ON alice.shared USING (owner_name = current_user);
	GRANT SELECT ON alice.shared TO bob;
	CREATE VIEW alice.shared_v AS SELECT * FROM alice.shared;
	GRANT SELECT ON alice.shared_v TO bob;
	SELECT dq.expect('alice.shared', 'expect_column_values_to_be_in_set', 'code', '{"value_set": ["bobcode"]}');
	SELECT dq.expect('alice.shared', 'expect_column_max_to_be_between', 'amount', '{"max_value": 10}');
	SELECT dq.expect('alice.shared', 'expect_column_values_to_be_unique', 'owner_name');
	SELECT dq.expect('alice.shared', 'expect_row_condition', params => '{"row_condition": "amount < 100"}');
	SELECT dq.expect('alice.shared_v', 'expect_column_values_to_match_regex', 'code', '{"regex": "^bob"}');
	SELECT dq.validate('alice.shared');
	SELECT dq.validate('alice.shared_v');
	SELECT dq.profile('alice.shared');
	SELECT dq.profile('alice.shared_v');

	CREATE TABLE alice.cols (id int, secret text);
	INSERT INTO alice.cols VALUES (1, 'TOPSECRET_C1'), (2, 'TOPSECRET_C2');
	GRANT SELECT (id) ON alice.cols TO bob;
	SELECT dq.expect('alice.cols', 'expect_column_values_to_not_be_null', 'id');
	SELECT dq.expect('alice.cols', 'expect_column_values_to_be_in_set', 'secret',
					 '{"value_set": ["TOPSECRET_PARAM"]}');
	SELECT dq.expect('alice.cols', 'expect_column_values_to_match_regex', 'secret',
					 '{"regex": "^TOPSECRET_REGEX"}');
	SELECT dq.validate('alice.cols');
	SELECT dq.profile('alice.cols');
});
# bob profiles and checks what he may read; the scans run as alice
as('bob', q{
	SELECT dq.profile('alice.shared');
	SELECT dq.profile('alice.cols', columns => ARRAY['id']::name[]);
	SELECT dq.validate('alice.shared');
});
my $bob_sees = as('bob', q{
	SELECT string_agg(x, ' ') FROM (
		SELECT l::text AS x FROM dq.latest_profile l
		UNION ALL SELECT c::text FROM dq.column_profiles c
		UNION ALL SELECT r::text FROM dq.profile_runs r
		UNION ALL SELECT v::text FROM dq.validation_results v
		UNION ALL SELECT v::text FROM dq.latest_validation v
		UNION ALL SELECT s::text FROM dq.validation_summary s
		UNION ALL SELECT q::text FROM dq.quality_scorecard q
		UNION ALL SELECT e::text FROM dq.expectations e
		UNION ALL SELECT dq.check('alice.shared', 'expect_column_values_to_be_in_set', 'code',
								 '{"value_set": ["bobcode"], "result_format": "COMPLETE"}')::text
		UNION ALL SELECT dq.check('alice.shared', 'expect_column_max_to_be_between', 'amount',
								 '{"max_value": 10}')::text
		UNION ALL SELECT dq.check('alice.shared', 'expect_row_condition',
								 params => '{"row_condition": "amount < 100"}')::text
		UNION ALL SELECT dq.check('alice.shared_v', 'expect_column_values_to_match_regex', 'code',
								 '{"regex": "^bob"}')::text
		UNION ALL SELECT dq.check('alice.cols', 'expect_column_values_to_be_between', 'id',
								 '{"max_value": 1}')::text
		UNION ALL SELECT s::text FROM dq.suggest_expectations('alice.shared') s) t});
unlike($bob_sees, qr/TOPSECRET/, 'bob sees no value that row-level security or column privileges hide');
unlike($bob_sees, qr/\b(1000|2000)\b/, '... not even as a statistic');
like($bob_sees, qr/bobcode|"values_withheld": true/, '... but he does see results and counts');
is( as('bob', q{
	SELECT count(*) FILTER (WHERE NOT values_visible), count(*) FILTER (WHERE values_visible)
	  FROM dq.latest_profile WHERE schema_name = 'alice'}),
	'6|1', "bob gets the counts of alice's profiles he may read, values only where he sees every row");
is( as('bob', q{
	SELECT count(*) FROM dq.expectations WHERE table_name = 'cols'}),
	'1', "bob does not see the expectations (nor their params) of a column he may not read");
my $alice_sees = as('alice', q{
	SELECT string_agg(x, ' ') FROM (
		SELECT l::text AS x FROM dq.latest_profile l WHERE schema_name = 'alice'
		UNION ALL SELECT v::text FROM dq.latest_validation v WHERE schema_name = 'alice'
		UNION ALL SELECT e::text FROM dq.expectations e WHERE schema_name = 'alice') t});
like($alice_sees, qr/TOPSECRET_A1/, 'alice, the owner, sees the values of her RLS table');
like($alice_sees, qr/TOPSECRET_C1/, '... of her columns');
like($alice_sees, qr/TOPSECRET_PARAM/, '... and her expectations\' params');

#
# A security_invoker view: bob may read the view but not the table under
# it; the extension reads it as the view's owner, but not for bob.
#
as('alice', q{
	CREATE VIEW alice.siv WITH (security_invoker = true) AS SELECT * FROM alice.secrets;
	GRANT SELECT ON alice.siv TO bob;
});
like(fails_as('bob', "SELECT dq.profile('alice.siv')"),
	qr/permission denied for table secrets/,
	'bob cannot profile a security_invoker view over a table he may not read');
like(fails_as('bob', "SELECT dq.check('alice.siv', 'expect_column_values_to_not_be_null', 'code')"),
	qr/permission denied for table secrets/,
	'... nor check it');

#
# Schemas the caller may not use: dq.validate_all goes on with the others.
#
$node->safe_psql('postgres', q{
	CREATE SCHEMA closed;
	CREATE TABLE closed.t (a int);
	INSERT INTO closed.t VALUES (1);
	GRANT SELECT ON closed.t TO bob;
	SELECT dq.expect('closed.t', 'expect_column_values_to_not_be_null', 'a');
});
my ($ret, $out, $err) = $node->psql('postgres',
	"SET search_path = pg_catalog; SELECT relid, run_id IS NOT NULL, skipped FROM dq.validate_all() WHERE relid::text IN ('closed.t', 'bob.guesses')",
	extra_params => [ '-U', 'bob' ]);
is($ret, 0, 'dq.validate_all does not stop at a schema bob may not use');
is($out, "bob.guesses|t|\nclosed.t|f|permission denied for schema closed",
	'... it validates the others and records why it skipped that one');
like($err, qr/NOTICE:  dq.validate_all skipped closed.t: permission denied for schema closed/,
	'... with a NOTICE');

#
# Public aggregates: proper errors, no internal ones.
#
like(fails_as('mallory', "SELECT dq.row_profile(ARRAY[4294967295]::oid[], x) FROM mallory.t"),
	qr/ERROR:  collation with OID 4294967295 does not exist/,
	'dq.row_profile with an unknown collation');
like(fails_as('mallory', q{
	SELECT dq.expect_rows('[{"kind": "expect_column_values_to_be_unique", "column": "x", "params": {}}]',
						  ARRAY['x']::name[], ARRAY[0]::oid[], x) FROM mallory.t}),
	qr/ERROR:  dq.expect_rows evaluates row-level expectation kinds only/,
	'dq.expect_rows with a grouped kind');
like(fails_as('mallory', q{
	SELECT dq.approx_quantiles(n::float8, (SELECT array_agg(g / 100001.0) FROM generate_series(1, 100001) g))
	  FROM mallory.t}),
	qr/ERROR:  too many quantile fractions/,
	'dq.approx_quantiles with 100,001 fractions');
like(fails_as('mallory', q{
	SELECT dq.approx_quantiles(n::float8, ARRAY[0.5, n / 10.0]) FROM mallory.t}),
	qr/ERROR:  fractions must be the same in every row/,
	'dq.approx_quantiles with fractions that change per row');

#
# Afterwards: nobody gained anything, nothing was lost.
#
$node->safe_psql('postgres', 'SELECT count(*) FROM dq.validate_all()');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM mallory.log WHERE ran_as <> 'mallory'"),
	'0', "in all these runs, mallory's code ran as mallory only");
foreach my $db ('postgres', 'mdb')
{
	is( $node->safe_psql($db, q{
		SELECT count(*) FROM pg_roles
		 WHERE rolname IN ('alice', 'bob', 'mallory')
		   AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls)}),
		'0', "no role gained an attribute ($db)");
	is( $node->safe_psql($db, q{
		SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member
		 WHERE r.rolname IN ('bob', 'mallory')}),
		'0', "no role gained a membership ($db)");
}
is( $node->safe_psql('postgres', q{
	SELECT count(*) FROM dq.expectations e WHERE e.enabled}),
	$node->safe_psql('postgres', q{
	SELECT count(*) FROM dq.expectations e JOIN pg_class c ON c.oid = e.relid}),
	'every expectation is still enabled and attached to its relation');
is( $node->safe_psql('postgres', q{
	SELECT count(*) FROM dq.expectations e
	 WHERE NOT EXISTS (SELECT 1 FROM dq.validation_results v WHERE v.expectation_id = e.expectation_id)}),
	'0', 'every expectation has results');

#
# An expectation defined under 0.1.0 with names its author's search_path
# found keeps working after the update, now that names are resolved with
# search_path pinned.
#
$node->safe_psql('postgres', 'CREATE DATABASE upg');
$node->safe_psql('upg', q{
	CREATE EXTENSION dq_lineage VERSION '0.1.0';
	CREATE DOMAIN public.code AS text CHECK (VALUE ~ '^[a-z]+$');
	CREATE TABLE public.items (id int, code text, ref int);
	CREATE TABLE public.refs (id int);
	INSERT INTO public.items VALUES (1, 'abc', 1), (2, 'x1', 2);
	INSERT INTO public.refs VALUES (1), (2);
	SELECT dq.expect('items', 'expect_column_values_to_exist_in', 'ref', '{"to_table": "refs", "to_column": "id"}');
	SELECT dq.expect('items', 'expect_column_values_to_be_parseable_as', 'code', '{"type": "code"}');
	SELECT dq.expect('items', 'expect_table_row_count_to_equal_other_table', params => '{"other_table_name": "refs"}');
	-- as 0.1.0's library stored them: unqualified
	UPDATE dq.expectations SET params = params || '{"to_table": "refs"}' WHERE params ? 'to_table';
	UPDATE dq.expectations SET params = params || '{"other_table_name": "refs"}' WHERE params ? 'other_table_name';
	UPDATE dq.expectations SET params = params || '{"type": "code"}' WHERE params ? 'type';
	ALTER EXTENSION dq_lineage UPDATE;
});
is( $node->safe_psql('upg', q{
	SELECT string_agg(e.params::text, ' ' ORDER BY e.expectation_id) FROM dq.expectations e}),
	'{"to_table": "public.refs", "to_column": "id"} {"type": "public.code"} {"other_table_name": "public.refs"}',
	'the update qualifies the names in earlier expectations');
is( $node->safe_psql('upg', q{
	SELECT dq.validate('items') IS NOT NULL;
	SELECT string_agg(kind || ' ' || success || ' ' || coalesce(unexpected_count::text, '-'), ', ' ORDER BY expectation_id)
	  FROM dq.latest_validation}),
	"t
expect_column_values_to_exist_in true 0, expect_column_values_to_be_parseable_as false 1, "
	  . 'expect_table_row_count_to_equal_other_table true -',
	'... and they validate as before');

$node->stop;
done_testing();
