/*-------------------------------------------------------------------------
 *
 * alert.h
 *	  Alerts: one outbox (dq.alerts) for every failure, routed to NOTIFY
 *	  channels, webhooks, Slack and PagerDuty by a delivery worker.
 *
 * This is the header other subsystems may include, and why: a monitor, an
 * anomaly detector or a schema-change check that finds a failure raises
 * an alert with DqAlertRaise() in the transaction that records it, and
 * clears it with DqAlertClear() when the same check next passes.  The
 * alert then exists exactly when the failure was committed, is
 * deduplicated on (source, key), routed and delivered like every other
 * alert.  From SQL the same entry points are dq.raise_alert() and
 * dq.clear_alert() (docs/alerts.md).
 *
 * Library start: _PG_init calls DqAlertInit() once, before the other
 * settings are defined.  With the library preloaded it also starts the
 * alert launcher, which finds the databases by itself and starts one
 * delivery worker in each database that has the extension
 * (alert_launcher.c, alert_worker.c); nothing else needs to call into
 * this subsystem.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_ALERT_H
#define DQ_ALERT_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

/*
 * One occurrence of a failure.  Strings are copied; NULL or InvalidOid
 * means "none" where the field allows it.
 */
typedef struct DqAlertEvent
{
	const char *source;			/* "anomaly", "schema_change", "monitor", ...
								 * (the CHECK of dq.alerts.source) */
	const char *key;			/* the failing check within its source */
	const char *severity;		/* "warn", "error" or "critical" */
	const char *title;			/* one line for a person */
	Jsonb	   *body;			/* details (an object); NULL: {} */
	Oid			relid;			/* relation concerned, or InvalidOid */
	const char *column_name;	/* column concerned, or NULL */
	Oid			owner;			/* role whose check failed, or InvalidOid */
	int64		occurrences;	/* failures this event stands for; 0 means 1 */
	TimestampTz seen_at;		/* when it failed; 0 means now() */
} DqAlertEvent;

/* Called once from _PG_init (settings; with preloading, the workers). */
extern void DqAlertInit(void);

/*
 * Record a failure: a new open alert, or one more occurrence of the open
 * alert of (source, key).  Returns the alert id.  Runs its writes as the
 * extension owner; call it inside a transaction.
 */
extern int64 DqAlertRaise(const DqAlertEvent *event);

/*
 * The check (source, key) passed: resolve its open alert, if any, and
 * send the resolve to the routes that had the alert.  Returns whether an
 * alert was resolved.
 */
extern bool DqAlertClear(const char *source, const char *key);

#endif							/* DQ_ALERT_H */
