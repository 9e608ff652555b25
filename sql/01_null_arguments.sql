-- One rule for NULL arguments (docs/errors.md, "NULL arguments"): a
-- function that acts on what its arguments name (defines, changes, runs,
-- watches, exports) raises 22004 for a NULL required argument; a function
-- that computes a value from its arguments returns NULL for NULL input, as
-- PostgreSQL's own functions do.  Every function of schema dq with a
-- required argument is called here with NULLs: the list of those that
-- return is the documented list of value functions.
\set VERBOSITY terse
CREATE TEMP TABLE null_probe (fn text, outcome text);
DO $$
DECLARE
	f record;
BEGIN
	FOR f IN
		SELECT p.proname,
			   (SELECT string_agg('NULL::' || format_type(t, NULL), ', ' ORDER BY o)
				  FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, o)
				 WHERE o <= p.pronargs - p.pronargdefaults) AS args
		  FROM pg_proc p
		 WHERE p.pronamespace = 'dq'::regnamespace AND p.prokind = 'f'
		   AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype, 'internal'::regtype)
		   AND p.pronargs - p.pronargdefaults > 0
		   AND NOT EXISTS (SELECT 1 FROM unnest(p.proargtypes::oid[]) t
							WHERE t IN ('internal'::regtype, 'cstring'::regtype, 'anyelement'::regtype,
										'"any"'::regtype, 'anyarray'::regtype))
		 ORDER BY p.proname, 2
	LOOP
		BEGIN
			EXECUTE format('SELECT dq.%I(%s)', f.proname, f.args);
			INSERT INTO null_probe VALUES (format('dq.%s(%s)', f.proname, f.args), 'returns');
		EXCEPTION WHEN OTHERS THEN
			INSERT INTO null_probe VALUES (format('dq.%s(%s)', f.proname, f.args), SQLSTATE);
		END;
	END LOOP;
END
$$;
-- functions that act: 22004
SELECT count(*) > 40 AS many_raise_22004 FROM null_probe WHERE outcome = '22004';
SELECT fn FROM null_probe WHERE fn ~ '^dq\.(expect|check|validate|profile|watch|unwatch|schedule|unschedule|monitor|unmonitor|export_suite|import_suite|tag_column|alert_route)\('
   AND outcome <> '22004' ORDER BY fn;
-- value functions: NULL in, NULL out
SELECT fn FROM null_probe WHERE outcome = 'returns' ORDER BY fn;
-- anything else needs a look
SELECT fn, outcome FROM null_probe WHERE outcome NOT IN ('returns', '22004') ORDER BY fn;
DROP TABLE null_probe;
