
-- Stored row values of change validation (violations, broken-rule
-- messages, quarantined rows) follow the visibility rules of profiles and
-- results (docs/security.md): readable by roles that may read the table
-- and see every row its owner sees.
ALTER POLICY violations_readable ON dq.violations
	USING (dq.values_visible(relid, NULL));
ALTER POLICY cdc_rule_errors_readable ON dq.cdc_rule_errors
	USING (dq.values_visible(relid, NULL));
DO $$
DECLARE
	q record;
BEGIN
	FOR q IN SELECT w.relid, w.quarantine FROM dq.watched_tables w
			  WHERE w.quarantine IS NOT NULL
				AND EXISTS (SELECT FROM pg_catalog.pg_policy p
							 WHERE p.polrelid = w.quarantine AND p.polname = 'readable')
	LOOP
		EXECUTE pg_catalog.format('ALTER POLICY readable ON %s USING (dq.values_visible(%s, NULL))',
								  q.quarantine::pg_catalog.regclass, q.relid::pg_catalog.oid);
	END LOOP;
END
$$;
