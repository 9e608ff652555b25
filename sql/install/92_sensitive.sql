------------------------------------------------------------------------
-- Sensitive data: classification from the profile scan, tags, propagation
-- through captured lineage, exposure audit (docs/sensitive-data.md)
------------------------------------------------------------------------

CREATE FUNCTION dq.detect_sensitive(value text) RETURNS text[]
	AS 'MODULE_PATHNAME', 'dq_detect_sensitive_value'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dq.detect_sensitive(text) IS
	'The sensitive-value detectors that accept the value as a whole (email, phone, payment_card, iban, ipv4, ipv4_wide, ipv6, us_ssn, us_ssn_digits, name_like), then in_text:<kind> for each kind found inside free text; the detectors the profiler runs on every text value';

-- The tags a column can carry.
CREATE TABLE dq.sensitive_tags (
	tag				name PRIMARY KEY,
	description		text NOT NULL,
	builtin			boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE dq.sensitive_tags IS 'The classification tags: the built-in ones, which the detectors assign, and those defined with dq.define_tag()';
COMMENT ON COLUMN dq.sensitive_tags.tag IS 'Tag name';
COMMENT ON COLUMN dq.sensitive_tags.description IS 'What a column with this tag holds';
COMMENT ON COLUMN dq.sensitive_tags.builtin IS 'True for the tags of the extension''s detectors';

INSERT INTO dq.sensitive_tags (tag, description, builtin) VALUES
	('email', 'E-mail addresses', true),
	('phone', 'Phone numbers', true),
	('payment_card', 'Payment card numbers (PAN)', true),
	('iban', 'International bank account numbers', true),
	('ip_address', 'IPv4 or IPv6 addresses', true),
	('us_ssn', 'US social security numbers', true),
	('date_of_birth', 'Dates of birth', true),
	('person_name', 'Names of people', true),
	('free_text_pii', 'Free text that contains personal data', true);

-- Column-name evidence: a regular expression over the column name written
-- in lower case with words joined by "_" (customerEmail -> customer_email).
CREATE TABLE dq.sensitive_name_hints (
	tag				name NOT NULL REFERENCES dq.sensitive_tags ON UPDATE CASCADE ON DELETE CASCADE,
	pattern			text NOT NULL,
	language		text NOT NULL,
	builtin			boolean NOT NULL DEFAULT false,
	PRIMARY KEY (tag, pattern)
);
COMMENT ON TABLE dq.sensitive_name_hints IS 'Column names that are evidence for a tag, in several languages; the classification adds their weight to the value evidence';
COMMENT ON COLUMN dq.sensitive_name_hints.tag IS 'Tag the name points to';
COMMENT ON COLUMN dq.sensitive_name_hints.pattern IS 'Regular expression matched against the column name in lower case, words joined by _';
COMMENT ON COLUMN dq.sensitive_name_hints.language IS 'Language of the name (ISO 639-1), for reference';
COMMENT ON COLUMN dq.sensitive_name_hints.builtin IS 'True for the hints the extension ships (not dumped: CREATE EXTENSION makes them)';

INSERT INTO dq.sensitive_name_hints (tag, pattern, language, builtin)
SELECT tag, pattern, language, true FROM (VALUES
	('email', '(^|_)e_?mail(_?address|_?addr)?(_|$)', 'en'),
	('email', '(^|_)mail_?address(_|$)', 'en'),
	('email', '(^|_)courriel(_|$)', 'fr'),
	('email', '(^|_)correo(_electronico)?(_|$)', 'es'),
	('email', '(^|_)posta_elettronica(_|$)', 'it'),
	('email', '(^|_)e_?mail_?ad(res|resse)(_|$)', 'de'),
	('phone', '(^|_)(tele)?phone(_?(number|no|nr))?(_|$)', 'en'),
	('phone', '(^|_)(mobile|cell|cellphone|fax|tel)(_?(number|no|nr))?(_|$)', 'en'),
	('phone', '(^|_)(telefon|telefonnummer|handy|handynummer|mobilnummer|rufnummer)(_|$)', 'de'),
	('phone', '(^|_)(telephone|portable|numero_de_telephone)(_|$)', 'fr'),
	('phone', '(^|_)(telefono|movil|celular)(_|$)', 'es'),
	('phone', '(^|_)(telefoon|telefoonnummer|mobiel)(_|$)', 'nl'),
	('payment_card', '(^|_)(credit_?card|cc|card|debit_?card)(_?(number|no|num|nr|pan))(_|$)', 'en'),
	('payment_card', '(^|_)(pan|credit_?card|creditcard)(_|$)', 'en'),
	('payment_card', '(^|_)(kreditkarte|kartennummer|kreditkartennummer)(_|$)', 'de'),
	('payment_card', '(^|_)(carte_bancaire|numero_de_carte|numero_carte)(_|$)', 'fr'),
	('payment_card', '(^|_)(tarjeta|numero_tarjeta|carta_di_credito)(_|$)', 'es'),
	('iban', '(^|_)iban(_|$)', 'en'),
	('iban', '(^|_)(bank_?account|account_?number)(_|$)', 'en'),
	('iban', '(^|_)(kontonummer|bankverbindung)(_|$)', 'de'),
	('iban', '(^|_)(numero_de_compte|rib)(_|$)', 'fr'),
	('iban', '(^|_)(cuenta|numero_de_cuenta)(_|$)', 'es'),
	('ip_address', '(^|_)(ip|ip_?addr(ess)?|ipv4|ipv6|remote_?addr|client_?ip|source_?ip)(_|$)', 'en'),
	('ip_address', '(^|_)(ip_?adresse|adresse_ip|direccion_ip)(_|$)', 'de'),
	('us_ssn', '(^|_)(ssn|social_?security(_?(number|no))?|ss_?number)(_|$)', 'en'),
	('date_of_birth', '(^|_)(dob|date_of_birth|birth_?date|birthday|born(_on)?)(_|$)', 'en'),
	('date_of_birth', '(^|_)(geburtsdatum|geburtstag)(_|$)', 'de'),
	('date_of_birth', '(^|_)(date_de_naissance|date_naissance)(_|$)', 'fr'),
	('date_of_birth', '(^|_)(fecha_de_nacimiento|fecha_nacimiento)(_|$)', 'es'),
	('date_of_birth', '(^|_)(data_di_nascita|data_nascita)(_|$)', 'it'),
	('date_of_birth', '(^|_)(geboortedatum)(_|$)', 'nl'),
	('person_name', '(^|_)(first|last|given|family|full|middle|maiden|sur)_?name(_|$)', 'en'),
	('person_name', '(^|_)(customer|contact|person|employee|patient|user|account_holder|cardholder|holder)_name(_|$)', 'en'),
	('person_name', '(^|_)(vorname|nachname|familienname|rufname)(_|$)', 'de'),
	('person_name', '(^|_)(prenom|nom_de_famille|nom_complet)(_|$)', 'fr'),
	('person_name', '(^|_)(nombre|apellidos?|nombre_completo)(_|$)', 'es'),
	('person_name', '(^|_)(nome|cognome)(_|$)', 'it'),
	('person_name', '(^|_)(voornaam|achternaam)(_|$)', 'nl')) AS h(tag, pattern, language);

-- Classifications: automatic ones with their evidence, and people's
-- decisions, which later automatic runs never overwrite.
CREATE TABLE dq.column_tags (
	relid			regclass NOT NULL,
	attnum			smallint NOT NULL,
	schema_name		name NOT NULL,
	table_name		name NOT NULL,
	column_name		name NOT NULL,
	tag				name NOT NULL REFERENCES dq.sensitive_tags ON UPDATE CASCADE,
	source			text NOT NULL CHECK (source IN ('auto', 'manual')),
	decision		text NOT NULL CHECK (decision IN ('suggested', 'confirmed', 'rejected')),
	detected		boolean NOT NULL DEFAULT false,
	confidence		float8,
	evidence		jsonb,
	run_id			bigint,
	checked_at		timestamptz,
	decided_by		name,
	decided_at		timestamptz,
	PRIMARY KEY (relid, attnum, tag)
);
COMMENT ON TABLE dq.column_tags IS 'Classifications of columns: automatic (from the profile scan''s detectors and the column name) and set by people with dq.tag_column() / dq.untag_column(); a person''s decision is never overwritten by a later automatic run';
COMMENT ON COLUMN dq.column_tags.relid IS 'The relation (regclass: dumped by name, see docs/catalog.md)';
COMMENT ON COLUMN dq.column_tags.attnum IS 'Column number';
COMMENT ON COLUMN dq.column_tags.schema_name IS 'Schema of the relation';
COMMENT ON COLUMN dq.column_tags.table_name IS 'Name of the relation';
COMMENT ON COLUMN dq.column_tags.column_name IS 'Name of the column';
COMMENT ON COLUMN dq.column_tags.tag IS 'Tag (dq.sensitive_tags)';
COMMENT ON COLUMN dq.column_tags.source IS 'auto: first found by a profile; manual: first set by a person';
COMMENT ON COLUMN dq.column_tags.decision IS 'suggested: automatic, nobody decided; confirmed: a person agreed or set it; rejected: a person said the column does not hold this (never re-suggested)';
COMMENT ON COLUMN dq.column_tags.detected IS 'True when the latest profile of the column still supports the tag (re-checked at every profile)';
COMMENT ON COLUMN dq.column_tags.confidence IS 'Confidence of the latest automatic check, 0 to 1: value evidence combined with column-name evidence';
COMMENT ON COLUMN dq.column_tags.evidence IS 'Counts and shares behind the latest automatic check (detector, matched, nonnull, share, name_hint); never values';
COMMENT ON COLUMN dq.column_tags.run_id IS 'Profile run of the latest automatic check (dq.profile_runs)';
COMMENT ON COLUMN dq.column_tags.checked_at IS 'When a profile last checked the column';
COMMENT ON COLUMN dq.column_tags.decided_by IS 'Role that confirmed or rejected the tag';
COMMENT ON COLUMN dq.column_tags.decided_at IS 'When the tag was confirmed or rejected';

-- Owner of a relation (NULL when it does not exist).
CREATE FUNCTION dq_internal.relation_owner(oid) RETURNS oid
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	RETURN (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = $1);
COMMENT ON FUNCTION dq_internal.relation_owner(oid) IS 'Owner of a relation, NULL when it does not exist';

REVOKE ALL ON dq.sensitive_tags, dq.sensitive_name_hints, dq.column_tags FROM PUBLIC;
GRANT SELECT ON dq.sensitive_tags, dq.sensitive_name_hints TO PUBLIC;
GRANT SELECT ON dq.column_tags TO PUBLIC;
-- A person's decisions are written by dq.tag_column() and
-- dq.untag_column() with the caller's rights: the policies below let the
-- owner of a table (and members of the owning role) decide about its
-- columns only.  Automatic classifications are written by the profile, as
-- the extension owner.
GRANT INSERT (relid, attnum, schema_name, table_name, column_name, tag, source,
			  decision, decided_by, decided_at),
	  UPDATE (decision, decided_by, decided_at) ON dq.column_tags TO PUBLIC;
ALTER TABLE dq.column_tags ENABLE ROW LEVEL SECURITY;
-- Which columns hold what is itself sensitive: visible to those who may
-- read the column, own the table, or audit (pg_read_all_stats).
CREATE POLICY column_tags_readable ON dq.column_tags FOR SELECT
	USING (pg_catalog.has_column_privilege(relid, attnum, 'SELECT')
		   OR pg_catalog.pg_has_role(dq_internal.relation_owner(relid), 'USAGE')
		   OR pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE'));
CREATE POLICY column_tags_owner_decides ON dq.column_tags FOR INSERT
	WITH CHECK (pg_catalog.pg_has_role(dq_internal.relation_owner(relid), 'USAGE')
				AND source = 'manual' AND decision IN ('confirmed', 'rejected'));
CREATE POLICY column_tags_owner_changes ON dq.column_tags FOR UPDATE
	USING (pg_catalog.pg_has_role(dq_internal.relation_owner(relid), 'USAGE'))
	WITH CHECK (decision IN ('confirmed', 'rejected'));

SELECT pg_catalog.pg_extension_config_dump('dq.column_tags', '');
SELECT pg_catalog.pg_extension_config_dump('dq.sensitive_tags', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('dq.sensitive_name_hints', 'WHERE NOT builtin');

-- A column name in lower case with its words joined by "_".
CREATE FUNCTION dq_internal.column_name_words(name) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	RETURN pg_catalog.btrim(pg_catalog.regexp_replace(pg_catalog.lower(
		pg_catalog.regexp_replace($1::text, '([a-z0-9])([A-Z])', '\1_\2', 'g')),
		'[^a-z0-9]+', '_', 'g'), '_');
COMMENT ON FUNCTION dq_internal.column_name_words(name) IS
	'A column name in lower case with its words joined by _ (customerEmail and Customer-EMail give customer_email): what dq.sensitive_name_hints patterns match';

-- The tags a column name is evidence for.
CREATE FUNCTION dq_internal.name_hint_tags(name) RETURNS name[]
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	RETURN (SELECT pg_catalog.array_agg(DISTINCT h.tag ORDER BY h.tag)
			  FROM dq.sensitive_name_hints h
			 WHERE dq_internal.column_name_words($1) OPERATOR(pg_catalog.~) h.pattern);
COMMENT ON FUNCTION dq_internal.name_hint_tags(name) IS
	'The tags whose dq.sensitive_name_hints match a column name';

-- The classification of one profiled column: one row per tag the evidence
-- supports, with its confidence (see docs/sensitive-data.md for the rule).
CREATE FUNCTION dq_internal.classify_column(
	column_name name, type_family text, row_count bigint, null_count bigint,
	empty_count bigint, sensitive jsonb, patterns jsonb, min_value text, max_value text,
	OUT tag name, OUT confidence float8, OUT detected boolean, OUT evidence jsonb)
	RETURNS SETOF record
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	min_share float8 := coalesce(nullif(current_setting('dq_lineage.sensitive_min_share', true), '')::float8, 0.8);
	min_conf float8 := coalesce(nullif(current_setting('dq_lineage.sensitive_min_confidence', true), '')::float8, 0.7);
	text_share float8 := coalesce(nullif(current_setting('dq_lineage.sensitive_text_share', true), '')::float8, 0.05);
	hints name[] := coalesce(dq_internal.name_hint_tags(column_name), '{}');
	nonnull bigint := row_count - null_count - coalesce(empty_count, 0);
	det record;
	n bigint;
	share float8;
	conf float8;
	hinted boolean;
	need float8;
	found_any boolean := false;
BEGIN
	-- Value evidence: detector, the tag it points to, the strength of its
	-- validator (a checksum is stronger than a shape), whether it counts
	-- only together with the column name.
	IF sensitive IS NOT NULL AND nonnull > 0 THEN
		FOR det IN
			SELECT * FROM (VALUES
				('payment_card', 'payment_card'::name, 0.95::float8, false),
				('iban', 'iban', 0.95, false),
				('email', 'email', 0.90, false),
				('ipv6', 'ip_address', 0.90, false),
				('ipv4', 'ip_address', 0.85, false),
				('us_ssn', 'us_ssn', 0.85, false),
				('phone', 'phone', 0.75, false),
				('us_ssn_digits', 'us_ssn', 0.75, true),
				('name_like', 'person_name', 0.70, true)) AS d(detector, tag, strength, needs_name)
		LOOP
			n := coalesce((sensitive ->> det.detector)::bigint, 0);
			CONTINUE WHEN n = 0;
			share := n::float8 / nonnull;
			hinted := det.tag = ANY (hints);
			CONTINUE WHEN det.needs_name AND NOT hinted;
			-- IPv4 look-alikes: version strings have only small parts
			IF det.detector = 'ipv4' AND NOT hinted
			   AND coalesce((sensitive ->> 'ipv4_wide')::bigint, 0) < 0.3 * n THEN
				CONTINUE;
			END IF;
			need := CASE WHEN hinted THEN 0.6 * min_share ELSE min_share END;
			CONTINUE WHEN share < need;
			conf := least(1.0, det.strength * least(1.0, share / min_share)
							   + CASE WHEN hinted THEN 0.15 ELSE 0 END);
			CONTINUE WHEN conf < min_conf;
			tag := det.tag;
			confidence := round(conf::numeric, 3);
			detected := true;
			evidence := jsonb_build_object('detector', det.detector, 'matched', n,
				'nonnull', nonnull, 'share', round(share::numeric, 4), 'name_hint', hinted);
			found_any := true;
			RETURN NEXT;
		END LOOP;

		-- A mixed column (say half e-mail addresses, half phone numbers):
		-- no detector reaches the threshold alone, but together they do.
		-- Each kind with a fifth of the values or more is tagged.
		IF NOT found_any THEN
			share := (coalesce((sensitive ->> 'email')::bigint, 0)
					  + coalesce((sensitive ->> 'phone')::bigint, 0)
					  + coalesce((sensitive ->> 'payment_card')::bigint, 0)
					  + coalesce((sensitive ->> 'iban')::bigint, 0)
					  + coalesce((sensitive ->> 'us_ssn')::bigint, 0)
					  + coalesce((sensitive ->> 'ipv6')::bigint, 0)
					  + coalesce((sensitive ->> 'ipv4_wide')::bigint, 0))::float8 / nonnull;
			IF share >= min_share THEN
				FOR det IN
					SELECT * FROM (VALUES
						('payment_card', 'payment_card'::name, 0.95::float8),
						('iban', 'iban', 0.95), ('email', 'email', 0.90),
						('ipv6', 'ip_address', 0.90), ('ipv4_wide', 'ip_address', 0.85),
						('us_ssn', 'us_ssn', 0.85), ('phone', 'phone', 0.75))
						AS d(detector, tag, strength)
				LOOP
					n := coalesce((sensitive ->> det.detector)::bigint, 0);
					CONTINUE WHEN n::float8 / nonnull < 0.2;
					conf := least(1.0, det.strength * least(1.0, share / min_share)
									   + CASE WHEN det.tag = ANY (hints) THEN 0.15 ELSE 0 END);
					CONTINUE WHEN conf < min_conf;
					tag := det.tag;
					confidence := round(conf::numeric, 3);
					detected := true;
					evidence := jsonb_build_object('detector', det.detector, 'matched', n,
						'nonnull', nonnull, 'share', round((n::float8 / nonnull)::numeric, 4),
						'mixed_share', round(share::numeric, 4),
						'name_hint', det.tag = ANY (hints));
					RETURN NEXT;
				END LOOP;
			END IF;
		END IF;

		-- free text that contains personal data
		n := coalesce((sensitive -> 'in_text' ->> 'any')::bigint, 0);
		IF n > 0 AND n::float8 / nonnull >= text_share THEN
			share := n::float8 / nonnull;
			tag := 'free_text_pii';
			confidence := round(least(1.0, 0.7 + 0.3 * least(1.0, share / (4 * text_share)))::numeric, 3);
			detected := true;
			evidence := jsonb_build_object('detector', 'in_text', 'matched', n,
				'nonnull', nonnull, 'share', round(share::numeric, 4),
				'kinds', (SELECT jsonb_object_agg(k, v) FROM jsonb_each(sensitive -> 'in_text') AS e(k, v)
						   WHERE k <> 'any' AND v::text::bigint > 0),
				'name_hint', false);
			IF confidence >= min_conf THEN
				RETURN NEXT;
			END IF;
		END IF;
	END IF;

	-- Dates of birth: a date column named so, with values in a lifetime.
	IF 'date_of_birth' = ANY (hints) AND nonnull > 0 THEN
		IF type_family = 'datetime' AND min_value IS NOT NULL
		   AND left(min_value, 4) ~ '^\d{4}$' AND left(max_value, 4) ~ '^\d{4}$'
		   AND left(min_value, 4)::int >= 1880
		   AND left(max_value, 4)::int <= extract(year FROM now())::int THEN
			share := 1;
		ELSIF patterns IS NOT NULL THEN
			share := coalesce((patterns ->> 'iso_date')::bigint, 0)::float8 / nonnull;
		ELSE
			share := 0;
		END IF;
		IF share >= 0.6 * min_share THEN
			tag := 'date_of_birth';
			confidence := 0.9;
			detected := true;
			evidence := jsonb_build_object('detector', 'date_in_lifetime',
				'nonnull', nonnull, 'share', round(share::numeric, 4), 'name_hint', true);
			RETURN NEXT;
		END IF;
	END IF;
END
$$;
COMMENT ON FUNCTION dq_internal.classify_column(name, text, bigint, bigint, bigint, jsonb, jsonb, text, text) IS
	'The tags that a column''s profile (detector counts, shapes, min and max) and its name support, with confidence and evidence';

-- Classify the columns a profile run just stored, and re-check every
-- column tagged before.  Called by a trigger on dq.column_profiles, as the
-- role that stores profiles (the extension owner).
CREATE FUNCTION dq_internal.classify_profiled_columns() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p record;
	c record;
	found_tags name[];
BEGIN
	-- Only profiles taken in this transaction: rows that pg_restore or a
	-- COPY brings back are history, and their classifications come back
	-- with dq.column_tags itself.
	FOR p IN
		SELECT n.*, r.schema_name, r.table_name
		  FROM new_profiles n
		  JOIN dq.profile_runs r ON r.run_id = n.run_id
		 WHERE r.started_at >= pg_catalog.transaction_timestamp()
	LOOP
		found_tags := '{}';
		FOR c IN
			SELECT * FROM dq_internal.classify_column(p.column_name, p.type_family,
				p.row_count, p.null_count, p.empty_count, p.sensitive, p.patterns,
				p.min_value, p.max_value)
		LOOP
			found_tags := found_tags || c.tag;
			INSERT INTO dq.column_tags AS t
				(relid, attnum, schema_name, table_name, column_name, tag, source,
				 decision, detected, confidence, evidence, run_id, checked_at)
			VALUES (p.relid, p.attnum, p.schema_name, p.table_name, p.column_name,
				c.tag, 'auto', 'suggested', true, c.confidence, c.evidence, p.run_id, now())
			ON CONFLICT (relid, attnum, tag) DO UPDATE
			   SET detected = true, confidence = excluded.confidence,
				   evidence = excluded.evidence, run_id = excluded.run_id,
				   checked_at = excluded.checked_at,
				   schema_name = excluded.schema_name, table_name = excluded.table_name,
				   column_name = excluded.column_name;
		END LOOP;
		-- Tags of the column the new evidence no longer supports: an
		-- automatic suggestion is withdrawn, a person's decision stays,
		-- marked as no longer detected.
		DELETE FROM dq.column_tags t
		 WHERE t.relid = p.relid AND t.attnum = p.attnum
		   AND t.decision = 'suggested' AND NOT (t.tag = ANY (found_tags));
		UPDATE dq.column_tags t
		   SET detected = false, run_id = p.run_id, checked_at = now(),
			   confidence = NULL,
			   evidence = jsonb_build_object('detector', NULL, 'nonnull',
							p.row_count - p.null_count)
		 WHERE t.relid = p.relid AND t.attnum = p.attnum
		   AND t.decision <> 'suggested' AND NOT (t.tag = ANY (found_tags));
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION dq_internal.classify_profiled_columns() IS
	'Trigger: classifies the columns of each stored profile (dq.column_tags), re-checking earlier tags; a person''s decision is never overwritten';
REVOKE ALL ON FUNCTION dq_internal.classify_profiled_columns() FROM PUBLIC;

CREATE TRIGGER column_profiles_classify
	AFTER INSERT ON dq.column_profiles
	REFERENCING NEW TABLE AS new_profiles
	FOR EACH STATEMENT EXECUTE FUNCTION dq_internal.classify_profiled_columns();

-- Define a tag of one's own.
CREATE FUNCTION dq.define_tag(tag name, description text) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF tag IS NULL OR description IS NULL THEN
		RAISE EXCEPTION 'tag and description must not be NULL'
			USING ERRCODE = '22004',
				  HINT = 'Call dq.define_tag(''my_tag'', ''what it means'').';
	END IF;
	IF tag !~ '^[a-z][a-z0-9_]*$' THEN
		RAISE EXCEPTION 'invalid tag name "%"', tag
			USING ERRCODE = '22023',
				  HINT = 'A tag name is lower-case letters, digits and underscores, starting with a letter.';
	END IF;
	INSERT INTO dq.sensitive_tags (tag, description) VALUES (tag, description)
	ON CONFLICT ON CONSTRAINT sensitive_tags_pkey DO UPDATE
	   SET description = excluded.description
	 WHERE NOT dq.sensitive_tags.builtin;
END
$$;
COMMENT ON FUNCTION dq.define_tag(name, text) IS
	'Define a classification tag of one''s own (or change its description) for dq.tag_column()';
REVOKE ALL ON FUNCTION dq.define_tag(name, text) FROM PUBLIC;

-- Resolve a relation and column for the tagging functions, and check that
-- the caller owns the relation.
CREATE FUNCTION dq_internal.tag_target(rel regclass, col name, tag name,
	OUT relid oid, OUT attnum smallint, OUT schema_name name, OUT table_name name)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF rel IS NULL OR col IS NULL OR tag IS NULL THEN
		RAISE EXCEPTION 'relation, column and tag must not be NULL'
			USING ERRCODE = '22004',
				  HINT = 'Call dq.tag_column(''schema.table'', ''column'', ''tag'').';
	END IF;
	SELECT c.oid, n.nspname, c.relname INTO relid, schema_name, table_name
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	 WHERE c.oid = rel;
	IF NOT pg_has_role(dq_internal.relation_owner(rel), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of table %', rel
			USING ERRCODE = '42501',
				  HINT = 'Only the owner of a table (or a member of its owning role) decides how its columns are classified.';
	END IF;
	SELECT a.attnum INTO attnum FROM pg_attribute a
	 WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
	IF attnum IS NULL THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', col, rel
			USING ERRCODE = '42703',
				  HINT = format('List the columns with \d %s.', rel);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM dq.sensitive_tags t WHERE t.tag = tag_target.tag) THEN
		RAISE EXCEPTION 'unrecognized tag "%"', tag
			USING ERRCODE = '22023',
				  HINT = 'See SELECT tag FROM dq.sensitive_tags; a superuser defines new ones with dq.define_tag().';
	END IF;
END
$$;
COMMENT ON FUNCTION dq_internal.tag_target(regclass, name, name) IS
	'Checks of dq.tag_column() and dq.untag_column(): the relation, the column and the tag exist and the caller owns the relation';

-- A person's decisions.
CREATE FUNCTION dq.tag_column(rel regclass, column_name name, tag name) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	t record;
BEGIN
	SELECT * INTO t FROM dq_internal.tag_target(rel, column_name, tag);
	INSERT INTO dq.column_tags AS c
		(relid, attnum, schema_name, table_name, column_name, tag, source, decision,
		 decided_by, decided_at)
	VALUES (t.relid, t.attnum, t.schema_name, t.table_name, tag_column.column_name,
		tag_column.tag, 'manual', 'confirmed', current_user, now())
	ON CONFLICT (relid, attnum, tag) DO UPDATE
	   SET decision = 'confirmed', decided_by = current_user, decided_at = now();
END
$$;
COMMENT ON FUNCTION dq.tag_column(regclass, name, name) IS
	'Tag a column (or confirm an automatic tag); the decision is kept whatever later profiles find. Needs ownership of the table';

CREATE FUNCTION dq.untag_column(rel regclass, column_name name, tag name) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	t record;
BEGIN
	SELECT * INTO t FROM dq_internal.tag_target(rel, column_name, tag);
	INSERT INTO dq.column_tags AS c
		(relid, attnum, schema_name, table_name, column_name, tag, source, decision,
		 decided_by, decided_at)
	VALUES (t.relid, t.attnum, t.schema_name, t.table_name, untag_column.column_name,
		untag_column.tag, 'manual', 'rejected', current_user, now())
	ON CONFLICT (relid, attnum, tag) DO UPDATE
	   SET decision = 'rejected', decided_by = current_user, decided_at = now();
END
$$;
COMMENT ON FUNCTION dq.untag_column(regclass, name, name) IS
	'Reject a tag of a column: it is removed from dq.sensitive_columns and never suggested again by later profiles. Needs ownership of the table';

-- Functions that mask what they are given: lineage through them is marked
-- masking, and tags do not flow along it.
CREATE TABLE dq.masking_functions (
	func			regprocedure PRIMARY KEY,
	description		text
);
COMMENT ON TABLE dq.masking_functions IS 'Functions declared as masking (hashing, redaction): lineage through them does not carry a column''s tags';
COMMENT ON COLUMN dq.masking_functions.func IS 'The function';
COMMENT ON COLUMN dq.masking_functions.description IS 'What it does to the values';
REVOKE ALL ON dq.masking_functions FROM PUBLIC;
GRANT SELECT ON dq.masking_functions TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('dq.masking_functions', '');

-- Every backend's lineage walker reloads the list after a change commits.
CREATE FUNCTION dq_internal.masking_functions_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'dq_masking_functions_changed' LANGUAGE C;
COMMENT ON FUNCTION dq_internal.masking_functions_changed() IS
	'Trigger: tells every session''s lineage walker that dq.masking_functions changed';
REVOKE ALL ON FUNCTION dq_internal.masking_functions_changed() FROM PUBLIC;
CREATE TRIGGER masking_functions_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dq.masking_functions
	FOR EACH STATEMENT EXECUTE FUNCTION dq_internal.masking_functions_changed();

-- Every sensitive column: tagged directly, or inheriting a tag through
-- DIRECT lineage edges.
CREATE VIEW dq.sensitive_columns AS
WITH RECURSIVE direct AS (
	SELECT t.relid, t.attnum, t.tag, t.confidence, t.decision
	  FROM dq.column_tags t
	 WHERE t.decision IN ('suggested', 'confirmed')
), walk AS (
	SELECT d.relid, d.attnum, d.tag, d.relid AS src_relid, d.attnum AS src_attnum,
		   ARRAY[pg_catalog.format('%s.%I', d.relid::regclass, a.attname)] AS path,
		   0 AS depth
	  FROM direct d
	  JOIN pg_catalog.pg_attribute a ON a.attrelid = d.relid AND a.attnum = d.attnum
	UNION ALL
	SELECT e.target_relid, e.target_attnum, w.tag, w.src_relid, w.src_attnum,
		   w.path || pg_catalog.format('%s.%I', e.target_relid::regclass, e.target_column),
		   w.depth + 1
	  FROM walk w
	  JOIN dq.lineage_edges e
		ON e.source_relid = w.relid AND e.source_attnum = w.attnum
	 WHERE e.lineage_type = 'DIRECT'
	   AND e.subtype IN ('IDENTITY', 'TRANSFORMATION', 'AGGREGATION')
	   AND NOT e.masking AND NOT e.dropped
	   AND e.target_column IS NOT NULL
	   AND w.depth < 32
	   AND NOT pg_catalog.format('%s.%I', e.target_relid::regclass, e.target_column) = ANY (w.path)
	   -- a person said the downstream column does not hold this
	   AND NOT EXISTS (SELECT 1 FROM dq.column_tags r
						WHERE r.relid = e.target_relid AND r.attnum = e.target_attnum
						  AND r.tag = w.tag AND r.decision = 'rejected')
)
SELECT DISTINCT ON (w.relid, w.attnum, w.tag)
	   n.nspname AS schema_name, c.relname AS table_name, a.attname AS column_name,
	   w.relid, w.attnum, w.tag,
	   CASE WHEN w.depth = 0 THEN 'direct' ELSE 'inherited' END AS how,
	   d.decision,
	   d.confidence,
	   w.path
  FROM walk w
  JOIN pg_catalog.pg_class c ON c.oid = w.relid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = w.relid AND a.attnum = w.attnum AND NOT a.attisdropped
  JOIN direct d ON d.relid = w.src_relid AND d.attnum = w.src_attnum AND d.tag = w.tag
 WHERE pg_catalog.has_column_privilege(w.relid, w.attnum, 'SELECT')
	OR pg_catalog.pg_has_role(c.relowner, 'USAGE')
	OR pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE')
 ORDER BY w.relid, w.attnum, w.tag, w.depth;
COMMENT ON VIEW dq.sensitive_columns IS 'Every sensitive column: tagged directly (automatic or by a person) or inheriting a tag from upstream through DIRECT IDENTITY, TRANSFORMATION or value-passing AGGREGATION edges of captured lineage, with the shortest path; masking edges, INDIRECT edges and rejected tags stop the flow';
COMMENT ON COLUMN dq.sensitive_columns.schema_name IS 'Schema of the relation';
COMMENT ON COLUMN dq.sensitive_columns.table_name IS 'Relation';
COMMENT ON COLUMN dq.sensitive_columns.column_name IS 'Column';
COMMENT ON COLUMN dq.sensitive_columns.relid IS 'OID of the relation';
COMMENT ON COLUMN dq.sensitive_columns.attnum IS 'Column number';
COMMENT ON COLUMN dq.sensitive_columns.tag IS 'Tag';
COMMENT ON COLUMN dq.sensitive_columns.how IS 'direct: the column itself is tagged; inherited: a tag of an upstream column flows here';
COMMENT ON COLUMN dq.sensitive_columns.decision IS 'Decision on the tag of the column where it comes from: suggested or confirmed';
COMMENT ON COLUMN dq.sensitive_columns.confidence IS 'Confidence of the automatic classification of the column where the tag comes from';
COMMENT ON COLUMN dq.sensitive_columns.path IS 'Columns from the tagged one to this one, shortest path first';

-- Who can read each sensitive column.
CREATE VIEW dq.sensitive_exposure AS
WITH cols AS (
	SELECT DISTINCT s.relid, s.attnum, s.schema_name, s.table_name, s.column_name,
		   s.tag, s.how
	  FROM dq.sensitive_columns s
), roles AS (
	SELECT r.oid, r.rolname::text AS role_name, r.rolsuper, r.rolbypassrls
	  FROM pg_catalog.pg_roles r
	 WHERE r.rolname !~ '^pg_'
	UNION ALL
	SELECT 0, 'public', false, false
)
SELECT c.schema_name, c.table_name, c.column_name, c.tag, c.how,
	   r.role_name,
	   r.rolsuper AS superuser,
	   (r.oid <> 0 AND pg_catalog.pg_has_role(r.oid, cl.relowner, 'USAGE')) AS owner,
	   cl.relrowsecurity AS rls_enabled,
	   (cl.relrowsecurity AND NOT r.rolsuper AND NOT r.rolbypassrls
		AND NOT (r.oid <> 0 AND pg_catalog.pg_has_role(r.oid, cl.relowner, 'USAGE'))) AS rls_applies,
	   c.relid, c.attnum
  FROM cols c
  JOIN pg_catalog.pg_class cl ON cl.oid = c.relid
  CROSS JOIN roles r
 WHERE CASE WHEN r.oid = 0
			THEN pg_catalog.has_column_privilege('public', c.relid, c.attnum, 'SELECT')
			ELSE pg_catalog.has_column_privilege(r.oid, c.relid, c.attnum, 'SELECT') END;
COMMENT ON VIEW dq.sensitive_exposure IS 'Per sensitive column (dq.sensitive_columns), every role that can read it: through ownership, a grant on the table or the column, a role membership, PUBLIC or superuser; and whether row-level security still filters the rows it sees';
COMMENT ON COLUMN dq.sensitive_exposure.schema_name IS 'Schema of the relation';
COMMENT ON COLUMN dq.sensitive_exposure.table_name IS 'Relation';
COMMENT ON COLUMN dq.sensitive_exposure.column_name IS 'Column';
COMMENT ON COLUMN dq.sensitive_exposure.tag IS 'Tag of the column';
COMMENT ON COLUMN dq.sensitive_exposure.how IS 'direct or inherited (dq.sensitive_columns)';
COMMENT ON COLUMN dq.sensitive_exposure.role_name IS 'A role that can SELECT the column (public: every role)';
COMMENT ON COLUMN dq.sensitive_exposure.superuser IS 'The role is a superuser';
COMMENT ON COLUMN dq.sensitive_exposure.owner IS 'The role owns the relation or is a member of its owner';
COMMENT ON COLUMN dq.sensitive_exposure.rls_enabled IS 'Row-level security is enabled on the relation';
COMMENT ON COLUMN dq.sensitive_exposure.rls_applies IS 'Row-level security filters what this role reads (enabled, and the role neither owns the table nor bypasses RLS)';
COMMENT ON COLUMN dq.sensitive_exposure.relid IS 'OID of the relation';
COMMENT ON COLUMN dq.sensitive_exposure.attnum IS 'Column number';
GRANT SELECT ON dq.sensitive_columns, dq.sensitive_exposure TO PUBLIC;

-- The classifications of a relation's columns as OpenLineage's tags facet
-- (TagsDatasetFacet): one tag per sensitive column and tag, direct or
-- inherited, as dq.sensitive_columns shows them to the reader; {} when
-- there is none, so that it can be added to a dataset's facets.
CREATE FUNCTION dq_internal.openlineage_tags_facets(rel oid) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN count(*) = 0 THEN '{}'::jsonb
		   ELSE jsonb_build_object('tags', jsonb_build_object(
				'_producer', 'https://github.com/dq-lineage/dq_lineage',
				'_schemaURL', 'https://openlineage.io/spec/facets/2-0-3/TagsDatasetFacet.json#/$defs/TagsDatasetFacet',
				'tags', jsonb_agg(jsonb_build_object(
					'key', s.tag, 'value', s.how, 'source', 'DQ_LINEAGE',
					'field', s.column_name) ORDER BY s.attnum, s.tag)))
		   END
	  FROM dq.sensitive_columns s
	 WHERE s.relid = rel
$$;
COMMENT ON FUNCTION dq_internal.openlineage_tags_facets(oid) IS
	'OpenLineage TagsDatasetFacet of a relation''s sensitive columns ({"tags": {...}}, or {} without any), for the dataset facets of dq.openlineage_events';
