------------------------------------------------------------------------
-- Alerts: one outbox for every failure, routes, deliveries
------------------------------------------------------------------------

CREATE SEQUENCE dq.alert_id_seq;
CREATE TABLE dq.alerts (
	alert_id		bigint PRIMARY KEY DEFAULT nextval('dq.alert_id_seq'),
	source			text NOT NULL CHECK (source IN ('validation', 'expectation', 'violation', 'job',
						'cdc_lag', 'anomaly', 'schema_change', 'monitor', 'delivery')),
	source_key		text NOT NULL,
	severity		text NOT NULL CHECK (severity IN ('warn', 'error', 'critical')),
	state			text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
	title			text NOT NULL,
	body			jsonb NOT NULL DEFAULT '{}',
	relid			oid,
	schema_name		name,
	table_name		name,
	column_name		name,
	owner			name,
	occurrences		bigint NOT NULL DEFAULT 1,
	first_seen		timestamptz NOT NULL DEFAULT now(),
	last_seen		timestamptz NOT NULL DEFAULT now(),
	notifications	integer NOT NULL DEFAULT 1,
	snoozed_until	timestamptz,
	acknowledged_at	timestamptz,
	acknowledged_by	name,
	resolved_at		timestamptz,
	resolved_by		name,
	resolution		text CHECK (resolution IN ('passed', 'quiet', 'manual'))
);
ALTER SEQUENCE dq.alert_id_seq OWNED BY dq.alerts.alert_id;
-- one unresolved alert per failing check
CREATE UNIQUE INDEX alerts_open_key ON dq.alerts (source, source_key) WHERE state <> 'resolved';
CREATE INDEX alerts_resolved_idx ON dq.alerts (resolved_at) WHERE state = 'resolved';
COMMENT ON TABLE dq.alerts IS 'Alerts: one row per failing check while it fails (deduplicated), written in the transaction that recorded the failure';
COMMENT ON COLUMN dq.alerts.alert_id IS 'Identifier of the alert';
COMMENT ON COLUMN dq.alerts.source IS 'What failed: validation, expectation (could not be evaluated), violation (change validation), job, cdc_lag, anomaly, schema_change, monitor, or delivery (of other alerts)';
COMMENT ON COLUMN dq.alerts.source_key IS 'The failing check within its source, such as expectation:42; one unresolved alert per (source, source_key)';
COMMENT ON COLUMN dq.alerts.severity IS 'warn, error or critical, from the expectation''s or monitor''s own setting';
COMMENT ON COLUMN dq.alerts.state IS 'open, acknowledged (dq.ack_alert) or resolved';
COMMENT ON COLUMN dq.alerts.title IS 'One line for a person';
COMMENT ON COLUMN dq.alerts.body IS 'Details: observed and expected values, a sample of failing values (key sample), link-back ids (run_id, expectation_id, violation ids, job run)';
COMMENT ON COLUMN dq.alerts.relid IS 'OID of the relation concerned, NULL when none';
COMMENT ON COLUMN dq.alerts.schema_name IS 'Schema of the relation when the alert was opened';
COMMENT ON COLUMN dq.alerts.table_name IS 'Name of the relation when the alert was opened';
COMMENT ON COLUMN dq.alerts.column_name IS 'Column concerned, NULL when none';
COMMENT ON COLUMN dq.alerts.owner IS 'Role whose check failed (the expectation''s, job''s or route''s owner), NULL when none';
COMMENT ON COLUMN dq.alerts.occurrences IS 'Failures counted on this alert (violating rows for change validation)';
COMMENT ON COLUMN dq.alerts.first_seen IS 'When the check first failed';
COMMENT ON COLUMN dq.alerts.last_seen IS 'When it last failed';
COMMENT ON COLUMN dq.alerts.notifications IS 'Trigger notifications sent: 1, plus one each time it failed again after a snooze';
COMMENT ON COLUMN dq.alerts.snoozed_until IS 'Until when nothing more is sent (dq.snooze_alert); the first failure after it notifies again';
COMMENT ON COLUMN dq.alerts.acknowledged_at IS 'When it was acknowledged';
COMMENT ON COLUMN dq.alerts.acknowledged_by IS 'Who acknowledged it';
COMMENT ON COLUMN dq.alerts.resolved_at IS 'When it was resolved';
COMMENT ON COLUMN dq.alerts.resolved_by IS 'Who resolved it by hand (dq.resolve_alert); NULL when it resolved itself';
COMMENT ON COLUMN dq.alerts.resolution IS 'passed (the same check passed), quiet (no violation for dq_lineage.alert_violation_window) or manual';

CREATE SEQUENCE dq.alert_route_id_seq;
CREATE TABLE dq.alert_routes (
	route_id		bigint PRIMARY KEY DEFAULT nextval('dq.alert_route_id_seq'),
	name			text NOT NULL UNIQUE,
	match			jsonb NOT NULL DEFAULT '{}',
	channel			text NOT NULL CHECK (channel IN ('notify', 'webhook', 'slack', 'pagerduty')),
	target			text NOT NULL,
	options			jsonb NOT NULL DEFAULT '{}',
	owner			name NOT NULL,
	enabled			boolean NOT NULL DEFAULT true,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE dq.alert_route_id_seq OWNED BY dq.alert_routes.route_id;
COMMENT ON TABLE dq.alert_routes IS 'Where alerts go (dq.alert_route); each row is readable only by its owner and superusers, because targets hold secrets';
COMMENT ON COLUMN dq.alert_routes.route_id IS 'Identifier returned by dq.alert_route()';
COMMENT ON COLUMN dq.alert_routes.name IS 'Name, unique in the database';
COMMENT ON COLUMN dq.alert_routes.match IS 'Which alerts: keys source, severity, min_severity, relation (patterns over schema.table) and owner; {} matches every alert the owner may see';
COMMENT ON COLUMN dq.alert_routes.channel IS 'notify, webhook, slack or pagerduty';
COMMENT ON COLUMN dq.alert_routes.target IS 'NOTIFY channel, webhook URL, Slack incoming-webhook URL or PagerDuty routing key (a secret)';
COMMENT ON COLUMN dq.alert_routes.options IS 'timeout_ms, max_attempts; headers for HTTP channels; url for pagerduty';
COMMENT ON COLUMN dq.alert_routes.owner IS 'Role that defined the route; it receives only alerts it may see';
COMMENT ON COLUMN dq.alert_routes.enabled IS 'Disabled routes (dq.set_alert_route_enabled) take no new alerts and their deliveries wait';
COMMENT ON COLUMN dq.alert_routes.created_at IS 'When the route was defined';
COMMENT ON COLUMN dq.alert_routes.updated_at IS 'When it was last changed';

CREATE SEQUENCE dq.alert_delivery_id_seq;
CREATE TABLE dq.alert_deliveries (
	delivery_id		bigint PRIMARY KEY DEFAULT nextval('dq.alert_delivery_id_seq'),
	alert_id		bigint NOT NULL REFERENCES dq.alerts ON DELETE CASCADE,
	route_id		bigint,
	route_name		text NOT NULL,
	channel			text NOT NULL,
	event			text NOT NULL CHECK (event IN ('trigger', 'acknowledge', 'resolve')),
	idempotency_key	text NOT NULL,
	status			text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
	attempts		integer NOT NULL DEFAULT 0,
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	created_at		timestamptz NOT NULL DEFAULT now(),
	delivered_at	timestamptz,
	http_status		integer,
	latency_ms		float8,
	error			text
);
ALTER SEQUENCE dq.alert_delivery_id_seq OWNED BY dq.alert_deliveries.delivery_id;
-- the delivery worker's queues, in the order it sends
CREATE INDEX alert_deliveries_pending_idx ON dq.alert_deliveries (next_attempt_at, delivery_id)
	WHERE status = 'pending' AND channel <> 'notify';
CREATE INDEX alert_deliveries_notify_idx ON dq.alert_deliveries (next_attempt_at, delivery_id)
	WHERE status = 'pending' AND channel = 'notify';
CREATE INDEX alert_deliveries_alert_idx ON dq.alert_deliveries (alert_id);
-- a delivery waits for the earlier pending deliveries of its alert to its route
CREATE INDEX alert_deliveries_waiting_idx ON dq.alert_deliveries (alert_id, route_id, delivery_id)
	WHERE status = 'pending';
CREATE INDEX alert_deliveries_route_idx ON dq.alert_deliveries (route_id);
COMMENT ON TABLE dq.alert_deliveries IS 'The outbox: one row per alert event (trigger, acknowledge, resolve) per route, queued in the transaction of the event and sent by the delivery worker';
COMMENT ON COLUMN dq.alert_deliveries.delivery_id IS 'Identifier of the delivery';
COMMENT ON COLUMN dq.alert_deliveries.alert_id IS 'The alert (dq.alerts)';
COMMENT ON COLUMN dq.alert_deliveries.route_id IS 'The route (dq.alert_routes; dq.drop_alert_route deletes its deliveries); NULL for the built-in NOTIFY of a dead delivery''s alert';
COMMENT ON COLUMN dq.alert_deliveries.route_name IS 'Name of the route, or for the built-in NOTIFY the channel';
COMMENT ON COLUMN dq.alert_deliveries.channel IS 'Channel of the route (a pending delivery follows a change of its route''s channel)';
COMMENT ON COLUMN dq.alert_deliveries.event IS 'trigger, acknowledge or resolve';
COMMENT ON COLUMN dq.alert_deliveries.idempotency_key IS 'Sent with every attempt (Idempotency-Key header, idempotency_key field): the same key is the same delivery';
COMMENT ON COLUMN dq.alert_deliveries.status IS 'pending (not yet delivered; retried), delivered, or dead (max_attempts reached)';
COMMENT ON COLUMN dq.alert_deliveries.attempts IS 'Attempts made';
COMMENT ON COLUMN dq.alert_deliveries.next_attempt_at IS 'When a pending delivery is due (exponential backoff with jitter after a failure)';
COMMENT ON COLUMN dq.alert_deliveries.created_at IS 'When it was queued';
COMMENT ON COLUMN dq.alert_deliveries.delivered_at IS 'When the receiver acknowledged it';
COMMENT ON COLUMN dq.alert_deliveries.http_status IS 'HTTP status of the last attempt (NULL: no answer, or NOTIFY)';
COMMENT ON COLUMN dq.alert_deliveries.latency_ms IS 'Duration of the last attempt in milliseconds';
COMMENT ON COLUMN dq.alert_deliveries.error IS 'Why the last attempt failed (never with the route''s target)';

CREATE TABLE dq.alert_delivery_attempts (
	delivery_id		bigint NOT NULL REFERENCES dq.alert_deliveries ON DELETE CASCADE,
	attempt			integer NOT NULL,
	attempted_at	timestamptz NOT NULL,
	http_status		integer,
	latency_ms		float8 NOT NULL,
	error			text,
	PRIMARY KEY (delivery_id, attempt)
);
COMMENT ON TABLE dq.alert_delivery_attempts IS 'The delivery log: one row per attempt';
COMMENT ON COLUMN dq.alert_delivery_attempts.delivery_id IS 'The delivery (dq.alert_deliveries)';
COMMENT ON COLUMN dq.alert_delivery_attempts.attempt IS 'Number of the attempt (1 = first)';
COMMENT ON COLUMN dq.alert_delivery_attempts.attempted_at IS 'When it started';
COMMENT ON COLUMN dq.alert_delivery_attempts.http_status IS 'HTTP status received (NULL: no answer, or NOTIFY)';
COMMENT ON COLUMN dq.alert_delivery_attempts.latency_ms IS 'Duration in milliseconds';
COMMENT ON COLUMN dq.alert_delivery_attempts.error IS 'Why it failed; NULL when it was delivered';

REVOKE ALL ON dq.alerts, dq.alert_routes, dq.alert_deliveries, dq.alert_delivery_attempts FROM PUBLIC;
GRANT SELECT ON dq.alerts, dq.alert_routes, dq.alert_deliveries, dq.alert_delivery_attempts TO PUBLIC;
ALTER TABLE dq.alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.alert_routes ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.alert_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.alert_delivery_attempts ENABLE ROW LEVEL SECURITY;
-- an alert about a relation is for roles that may read it (its body may hold
-- failing values); one about a role's job or route for that role; others for all
CREATE POLICY alerts_readable ON dq.alerts FOR SELECT
	USING (CASE WHEN relid IS NOT NULL
				THEN coalesce(pg_catalog.has_table_privilege(relid, 'SELECT'), false)
				WHEN owner IS NOT NULL
				THEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
							  WHERE r.rolname = owner AND pg_catalog.pg_has_role(r.oid, 'USAGE'))
				ELSE true END);
-- targets are secrets: a route is readable by its owner (and superusers)
CREATE POLICY alert_routes_own ON dq.alert_routes FOR SELECT
	USING (EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
					WHERE r.rolname = owner AND pg_catalog.pg_has_role(r.oid, 'USAGE')));
CREATE POLICY alert_deliveries_readable ON dq.alert_deliveries FOR SELECT
	USING (EXISTS (SELECT 1 FROM dq.alerts a WHERE a.alert_id = alert_deliveries.alert_id));
CREATE POLICY alert_delivery_attempts_readable ON dq.alert_delivery_attempts FOR SELECT
	USING (EXISTS (SELECT 1 FROM dq.alert_deliveries d
					WHERE d.delivery_id = alert_delivery_attempts.delivery_id));

SELECT pg_catalog.pg_extension_config_dump('dq.alerts', '');
SELECT pg_catalog.pg_extension_config_dump('dq.alert_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dq.alert_routes', '');
SELECT pg_catalog.pg_extension_config_dump('dq.alert_route_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dq.alert_deliveries', '');
SELECT pg_catalog.pg_extension_config_dump('dq.alert_delivery_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dq.alert_delivery_attempts', '');

CREATE VIEW dq.open_alerts WITH (security_invoker = true) AS
SELECT a.alert_id, a.source, a.severity, a.state, a.title,
	   CASE WHEN a.schema_name IS NOT NULL
			THEN pg_catalog.quote_ident(a.schema_name) OPERATOR(pg_catalog.||) '.'
				 OPERATOR(pg_catalog.||) pg_catalog.quote_ident(a.table_name) END AS relation,
	   a.column_name, a.owner, a.occurrences, a.first_seen, a.last_seen,
	   a.snoozed_until IS NOT NULL AND a.snoozed_until > pg_catalog.now() AS snoozed,
	   a.acknowledged_by,
	   (SELECT pg_catalog.count(*) FROM dq.alert_deliveries d
		 WHERE d.alert_id = a.alert_id AND d.status = 'pending') AS pending_deliveries,
	   (SELECT pg_catalog.count(*) FROM dq.alert_deliveries d
		 WHERE d.alert_id = a.alert_id AND d.status = 'dead') AS dead_deliveries
  FROM dq.alerts a
 WHERE a.state <> 'resolved';
GRANT SELECT ON dq.open_alerts TO PUBLIC;
COMMENT ON VIEW dq.open_alerts IS 'Alerts not yet resolved, with their deliveries still pending or dead';
COMMENT ON COLUMN dq.open_alerts.alert_id IS 'The alert';
COMMENT ON COLUMN dq.open_alerts.source IS 'What failed';
COMMENT ON COLUMN dq.open_alerts.severity IS 'warn, error or critical';
COMMENT ON COLUMN dq.open_alerts.state IS 'open or acknowledged';
COMMENT ON COLUMN dq.open_alerts.title IS 'One line for a person';
COMMENT ON COLUMN dq.open_alerts.relation IS 'schema.table concerned, quoted as needed';
COMMENT ON COLUMN dq.open_alerts.column_name IS 'Column concerned';
COMMENT ON COLUMN dq.open_alerts.owner IS 'Role whose check failed';
COMMENT ON COLUMN dq.open_alerts.occurrences IS 'Failures counted';
COMMENT ON COLUMN dq.open_alerts.first_seen IS 'First failure';
COMMENT ON COLUMN dq.open_alerts.last_seen IS 'Latest failure';
COMMENT ON COLUMN dq.open_alerts.snoozed IS 'Whether a snooze is running';
COMMENT ON COLUMN dq.open_alerts.acknowledged_by IS 'Who acknowledged it';
COMMENT ON COLUMN dq.open_alerts.pending_deliveries IS 'Deliveries not yet acknowledged by their receiver';
COMMENT ON COLUMN dq.open_alerts.dead_deliveries IS 'Deliveries given up after max_attempts';

CREATE FUNCTION dq.alert_route(name text, match jsonb, channel text, target text,
		options jsonb DEFAULT '{}')
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_alert_route' LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.alert_route(text, jsonb, text, text, jsonb) IS
	'Route the alerts that match to a NOTIFY channel, a webhook, Slack or PagerDuty, as the current user; the same name again replaces your route; returns its id';

CREATE FUNCTION dq.drop_alert_route(name text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'dq_drop_alert_route' LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.drop_alert_route(text) IS 'Delete one of your alert routes and its deliveries; false when there is none of that name';

CREATE FUNCTION dq.set_alert_route_enabled(name text, enabled boolean)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'dq_set_alert_route_enabled' LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.set_alert_route_enabled(text, boolean) IS 'Disable one of your alert routes (it takes no new alerts, its pending deliveries wait) or enable it again; false when there is none of that name';

CREATE FUNCTION dq.ack_alert(alert_id bigint)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'dq_ack_alert' LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.ack_alert(bigint) IS 'Acknowledge an open alert (sends acknowledge to the routes that had it); false when it was already acknowledged';

CREATE FUNCTION dq.resolve_alert(alert_id bigint)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'dq_resolve_alert' LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.resolve_alert(bigint) IS 'Resolve an alert by hand (sends resolve to the routes that had it); false when it was already resolved';

CREATE FUNCTION dq.snooze_alert(alert_id bigint, until timestamptz)
	RETURNS void
	AS 'MODULE_PATHNAME', 'dq_snooze_alert' LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.snooze_alert(bigint, timestamptz) IS 'Send nothing more about an alert before "until"; the first failure after it opens the alert again and notifies; NULL ends a snooze';

CREATE FUNCTION dq.raise_alert(source text, key text, severity text, title text,
		body jsonb DEFAULT '{}', rel regclass DEFAULT NULL, column_name name DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_raise_alert' LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.raise_alert(text, text, text, text, jsonb, regclass, name) IS
	'Record a failure found by a monitor (source anomaly, schema_change or monitor) in the current transaction: a new alert, or one more occurrence of the open alert of (source, key); returns the alert id';
REVOKE ALL ON FUNCTION dq.raise_alert(text, text, text, text, jsonb, regclass, name) FROM PUBLIC;

CREATE FUNCTION dq.clear_alert(source text, key text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'dq_clear_alert' LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.clear_alert(text, text) IS 'The check (source, key) passed: resolve its open alert; true when there was one';
REVOKE ALL ON FUNCTION dq.clear_alert(text, text) FROM PUBLIC;

CREATE FUNCTION dq.alert_status(OUT launcher_pid integer, OUT worker_pid integer, OUT state text)
	AS 'MODULE_PATHNAME', 'dq_alert_status' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dq.alert_status() IS
	'Process ids of the alert launcher and of this database''s delivery worker, and the worker''s state';

-- Failures recorded by the other subsystems become alerts in the same transaction.
CREATE FUNCTION dq_internal.alert_on_validation_result() RETURNS trigger
	AS 'MODULE_PATHNAME', 'dq_alert_on_validation_result' LANGUAGE C;
COMMENT ON FUNCTION dq_internal.alert_on_validation_result() IS 'Trigger: a failing validation result raises its expectation''s alert, a passing one resolves it';
REVOKE ALL ON FUNCTION dq_internal.alert_on_validation_result() FROM PUBLIC;
CREATE TRIGGER validation_results_alert AFTER INSERT ON dq.validation_results
	FOR EACH ROW EXECUTE FUNCTION dq_internal.alert_on_validation_result();

CREATE FUNCTION dq_internal.alert_on_violations() RETURNS trigger
	AS 'MODULE_PATHNAME', 'dq_alert_on_violations' LANGUAGE C;
COMMENT ON FUNCTION dq_internal.alert_on_violations() IS 'Trigger: the violations of a statement raise one alert per table and expectation (grouped over dq_lineage.alert_violation_window)';
REVOKE ALL ON FUNCTION dq_internal.alert_on_violations() FROM PUBLIC;
CREATE TRIGGER violations_alert AFTER INSERT ON dq.violations
	REFERENCING NEW TABLE AS new_violations
	FOR EACH STATEMENT EXECUTE FUNCTION dq_internal.alert_on_violations();

CREATE FUNCTION dq_internal.alert_on_job_run() RETURNS trigger
	AS 'MODULE_PATHNAME', 'dq_alert_on_job_run' LANGUAGE C;
COMMENT ON FUNCTION dq_internal.alert_on_job_run() IS 'Trigger: a failed job run raises its job''s alert, a successful one resolves it';
REVOKE ALL ON FUNCTION dq_internal.alert_on_job_run() FROM PUBLIC;
CREATE TRIGGER job_runs_alert AFTER INSERT OR UPDATE OF status ON dq.job_runs
	FOR EACH ROW WHEN (NEW.status IN ('failed', 'succeeded'))
	EXECUTE FUNCTION dq_internal.alert_on_job_run();
