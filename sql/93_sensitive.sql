-- Sensitive data: detectors with validators, classification from the
-- profile scan, people's decisions, propagation through lineage, exposure
\set VERBOSITY terse
SET client_min_messages = warning;

-- Detectors: accepted values
SELECT v, dq.detect_sensitive(v) FROM (VALUES
	('anna.meyer@example.com'), ('o''brien+tag@mail.co.uk'),
	('+49 30 1234567'), ('+1 (212) 555-0187'), ('(030) 1234 5678'), ('0171 2345678'),
	('212-555-0187'),
	('4111 1111 1111 1111'), ('4111-1111-1111-1111'), ('378282246310005'), ('5555555555554444'),
	('DE89 3704 0044 0532 0130 00'), ('GB82WEST12345698765432'), ('NL91ABNA0417164300'),
	('192.168.10.200'), ('10.0.0.1'), ('2001:db8::8a2e:370:7334'), ('::1'), ('fe80::1%'),
	('123-45-6789'), ('123456789'),
	('Anna Meyer'), ('Jean-Luc Picard'), ('Ludwig van Beethoven')) AS t(v);

-- Detectors: look-alikes rejected
SELECT v, dq.detect_sensitive(v) FROM (VALUES
	('anna.meyer@example'), ('@example.com'), ('a..b@example.com'), ('anna@exa_mple.com'),
	('4111 1111 1111 1112'),		-- Luhn fails
	('1234567812345670'),			-- Luhn passes, no issuer starts with 1
	('DE89 3704 0044 0532 0130 01'),	-- mod-97 fails
	('DE89370400440532013'),		-- wrong length for DE
	('978-3-16-148410-0'),			-- ISBN
	('1.2.3.4.5'), ('256.1.1.1'), ('01.2.3.4'),
	('2024-01-15'), ('12:30:45'), ('1 234 567'), ('1234.5678'),
	('000-12-3456'), ('666-12-3456'), ('900-12-3456'), ('123-00-4567'), ('123-45-0000'),
	('ORDER-000123'), ('ACTIVE'), ('hello world')) AS t(v);

-- Free text that contains a sensitive value
SELECT dq.detect_sensitive('Please call me at +44 20 7946 0958 tomorrow.');
SELECT dq.detect_sensitive('Contact: anna.meyer@example.com, thanks.');
SELECT dq.detect_sensitive('Card 4111 1111 1111 1111 was declined');
SELECT dq.detect_sensitive('Refund to IBAN DE89 3704 0044 0532 0130 00 please');
SELECT dq.detect_sensitive('My SSN is 123-45-6789 do not share');
SELECT dq.detect_sensitive('Order 1234 shipped on 2024-01-15 in 3 boxes');
SELECT dq.detect_sensitive(NULL) IS NULL AS strict;

-- A table with one column of each kind, and look-alikes
CREATE SCHEMA pii;
CREATE TABLE pii.customers (
	id int PRIMARY KEY,
	contact text,				-- e-mail addresses, name gives no hint
	"mobileNumber" text,		-- phone numbers, camelCase name
	cc_number text,				-- card numbers
	konto text,					-- IBANs, German-ish name without a hint
	last_login_ip text,			-- IPv4 addresses
	app_version text,			-- version strings that look like IPv4
	ssn text,					-- SSNs as bare digits: counted only with the name
	order_ref text,				-- 16-digit numbers: some pass Luhn by chance
	vorname text,				-- first names (German hint)
	status text,				-- capitalized words, no hint: not names
	notes text,					-- free text, some with an e-mail address
	geburtsdatum date,			-- dates of birth (German hint)
	created date				-- dates, no hint
);
INSERT INTO pii.customers
SELECT g,
	   'user' || g || '@example.com',
	   '+49 151 ' || lpad((1000000 + g * 7)::text, 7, '0'),
	   CASE g % 4 WHEN 0 THEN '4111 1111 1111 1111' WHEN 1 THEN '5555 5555 5555 4444'
				  WHEN 2 THEN '3782 822463 10005' ELSE '6011 1111 1111 1117' END,
	   CASE g % 3 WHEN 0 THEN 'DE89370400440532013000' WHEN 1 THEN 'GB82WEST12345698765432'
				  ELSE 'NL91ABNA0417164300' END,
	   '192.168.' || (g % 200) || '.' || (g % 250 + 1),
	   '1.' || (g % 4) || '.' || (g % 9) || '.' || (g % 3),
	   lpad((100000000 + g * 9973)::text, 9, '0'),
	   lpad((g * 7919)::text, 16, '4'),
	   (ARRAY['Anna', 'Ben', 'Clara', 'David', 'Émile'])[1 + g % 5],
	   (ARRAY['Active', 'Pending', 'Closed'])[1 + g % 3],
	   CASE WHEN g % 10 = 0 THEN 'Customer asked to write to user' || g || '@example.com instead'
			ELSE 'Delivered ' || g || ' items' END,
	   date '1950-01-01' + g * 7,
	   date '2024-01-01' + g % 300
  FROM generate_series(1, 1000) g;

SELECT dq.profile('pii.customers') > 0 AS profiled;

-- The counts the scan kept (never values)
SELECT p.column_name, p.sensitive
  FROM dq.column_profiles p JOIN dq.profile_runs r USING (run_id)
 WHERE r.schema_name = 'pii' AND r.table_name = 'customers' AND p.sensitive IS NOT NULL
 ORDER BY p.attnum;

-- The classification
SELECT column_name, tag, source, decision, detected, confidence,
	   evidence ->> 'detector' AS detector, evidence ->> 'share' AS share,
	   evidence ->> 'name_hint' AS name_hint
  FROM dq.column_tags WHERE schema_name = 'pii'
 ORDER BY attnum, tag;

-- People's decisions: confirm, reject, tag by hand; a later profile keeps them
SELECT dq.untag_column('pii.customers', 'order_ref', 'payment_card');
SELECT dq.tag_column('pii.customers', 'status', 'person_name');
SELECT dq.untag_column('pii.customers', 'status', 'person_name');
SELECT dq.tag_column('pii.customers', 'contact', 'email');
SELECT dq.tag_column('pii.customers', 'id', 'person_name');
UPDATE pii.customers SET contact = 'unknown';
SELECT dq.profile('pii.customers') > 0 AS profiled_again;
SELECT column_name, tag, source, decision, detected
  FROM dq.column_tags WHERE schema_name = 'pii'
 ORDER BY attnum, tag;

-- Bad input
SELECT dq.tag_column('pii.customers', 'nosuch', 'email');
SELECT dq.tag_column('pii.customers', 'contact', 'secret_sauce');
SELECT dq.tag_column(NULL, 'contact', 'email');
SELECT dq.define_tag('Bad Name', 'x');
SELECT dq.define_tag('internal_code', 'Internal product codes');
SELECT dq.tag_column('pii.customers', 'order_ref', 'internal_code');

-- Propagation through captured lineage
CREATE VIEW pii.v_contacts AS
	SELECT id, lower("mobileNumber") AS phone_lower, cc_number FROM pii.customers;
CREATE VIEW pii.v_nested AS SELECT id, phone_lower AS p FROM pii.v_contacts;
CREATE VIEW pii.v_masked AS
	SELECT id, md5(cc_number) AS cc_hash FROM pii.customers;
CREATE VIEW pii.v_agg AS
	SELECT vorname, count("mobileNumber") AS phones, min(cc_number) AS first_card,
		   count(*) AS n
	  FROM pii.customers GROUP BY vorname;
CREATE TABLE pii.copy AS SELECT id, last_login_ip AS ip FROM pii.customers;
CREATE TABLE pii.archive (id int, ip text);
INSERT INTO pii.archive SELECT id, ip FROM pii.copy;
-- a redaction function of one's own, declared masking
CREATE FUNCTION pii.redact(text) RETURNS text LANGUAGE sql IMMUTABLE
	RETURN left($1, 2) || '***';
INSERT INTO dq.masking_functions VALUES ('pii.redact(text)', 'keeps two characters');
CREATE VIEW pii.v_redacted AS
	SELECT id, pii.redact(contact) AS contact_hint, avg(length(konto)) OVER () AS avg_len
	  FROM pii.customers;
SELECT table_name, column_name, tag, how, array_to_string(path, ' -> ') AS path
  FROM dq.sensitive_columns WHERE schema_name = 'pii' AND how = 'inherited'
 ORDER BY table_name, column_name, tag;
SELECT source_column, target_column, subtype, masking FROM dq.column_lineage
 WHERE target_table IN ('v_redacted', 'v_agg') AND lineage_type = 'DIRECT'
 ORDER BY target_table, target_column, source_column;
-- masking (md5, a declared function) and count(), avg() stop the flow;
-- INDIRECT (GROUP BY) edges never carry it
SELECT count(*) AS leaked FROM dq.sensitive_columns
 WHERE schema_name = 'pii'
   AND (table_name, column_name) IN (('v_masked', 'cc_hash'), ('v_agg', 'phones'), ('v_agg', 'n'),
									   ('v_redacted', 'contact_hint'), ('v_redacted', 'avg_len'));
-- a rejection downstream stops the flow there and beyond
SELECT dq.untag_column('pii.v_contacts', 'phone_lower', 'phone');
SELECT table_name, column_name FROM dq.sensitive_columns
 WHERE schema_name = 'pii' AND tag = 'phone' ORDER BY 1, 2;

-- The tags travel in OpenLineage events (TagsDatasetFacet on the datasets)
SELECT e -> 'outputs' -> 0 ->> 'name' AS dataset, t ->> 'field' AS field, t ->> 'key' AS key,
	   t ->> 'value' AS value, t ->> 'source' AS source
  FROM dq.openlineage_events() e,
	   jsonb_array_elements(e -> 'outputs' -> 0 -> 'facets' -> 'tags' -> 'tags') t
 WHERE e -> 'outputs' -> 0 ->> 'name' LIKE '%pii.archive'
 ORDER BY 2, 3;

-- Exposure: who can read the sensitive columns
CREATE ROLE pii_reader;
CREATE ROLE pii_analyst;
CREATE ROLE pii_member;
GRANT pii_analyst TO pii_member;
GRANT USAGE ON SCHEMA pii TO pii_reader, pii_analyst;
GRANT SELECT (id, contact) ON pii.customers TO pii_analyst;
GRANT SELECT ON pii.copy TO pii_reader;
GRANT SELECT ON pii.archive TO PUBLIC;
ALTER TABLE pii.archive ENABLE ROW LEVEL SECURITY;
SELECT table_name, column_name, tag, role_name, superuser, owner, rls_enabled, rls_applies
  FROM dq.sensitive_exposure
 WHERE schema_name = 'pii' AND role_name IN ('pii_reader', 'pii_analyst', 'pii_member', 'public')
 ORDER BY table_name, column_name, tag, role_name;

-- Governance as an expectation: who may read a sensitive column
SELECT r -> 'success' AS success, r -> 'result' -> 'observed_value' AS readers_outside
  FROM dq.check('pii.customers', 'expect_column_to_be_readable_only_by', 'contact',
				'{"allowed_roles": []}') r;
SELECT r -> 'success' AS success
  FROM dq.check('pii.customers', 'expect_column_to_be_readable_only_by', 'contact',
				'{"allowed_roles": ["pii_analyst"]}') r;
-- (roles of other tests may exist: only this test's are shown)
SELECT r -> 'success' AS success,
	   (SELECT jsonb_agg(v) FROM jsonb_array_elements_text(r -> 'result' -> 'observed_value') v
		 WHERE v ~ '^(pii_|public$)') AS readers_outside
  FROM dq.check('pii.archive', 'expect_column_to_be_readable_only_by', 'ip',
				'{"allowed_roles": ["pii_reader"]}') r;
SELECT dq.expect('pii.copy', 'expect_column_to_be_readable_only_by', 'ip',
				 '{"allowed_roles": ["pii_reader"]}') > 0 AS expected;
SELECT dq.validate('pii.copy') > 0 AS validated;
SELECT kind, success FROM dq.latest_validation WHERE table_name = 'copy';
GRANT SELECT ON pii.copy TO pii_analyst;
SELECT dq.validate('pii.copy') > 0 AS validated;
SELECT kind, success, result -> 'result' -> 'observed_value' AS readers_outside
  FROM dq.latest_validation WHERE table_name = 'copy';
SELECT dq.check('pii.customers', 'expect_column_to_be_readable_only_by', 'contact',
				'{"allowed_roles": ["nobody_of_that_name"]}');
SELECT dq.check('pii.customers', 'expect_column_to_be_readable_only_by', 'contact', '{}');

-- Who sees which classification
SET ROLE pii_analyst;
SELECT column_name, tag FROM dq.column_tags WHERE schema_name = 'pii' ORDER BY 1, 2;
SELECT dq.tag_column('pii.customers', 'contact', 'email');
RESET ROLE;

-- Detection off: no counts, no new classification
SET dq_lineage.detect_sensitive = off;
CREATE TABLE pii.more (email text);
INSERT INTO pii.more VALUES ('a@example.com'), ('b@example.com');
SELECT dq.profile('pii.more') > 0 AS profiled;
SELECT count(*) FROM dq.column_tags WHERE table_name = 'more';
RESET dq_lineage.detect_sensitive;

DROP SCHEMA pii CASCADE;
DROP ROLE pii_reader, pii_member, pii_analyst;
