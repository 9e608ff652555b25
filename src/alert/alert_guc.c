/*-------------------------------------------------------------------------
 *
 * alert_guc.c
 *	  The dq_lineage.alert_* settings.
 *
 * They are defined before the library reserves its prefix (DqAlertInit is
 * the first call of _PG_init), so that values set in postgresql.conf are
 * taken over from their placeholders.  The delivery settings are read by
 * the delivery worker (reload); dq_lineage.alert_allowed_hosts is a
 * superuser setting, so that ordinary roles cannot widen it, and is read
 * both when a route is defined and before every request.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "alert/alert_internal.h"

/* Hosts routes may send to; empty: any. */
char	   *dq_alert_allowed_hosts = NULL;

/* Whether the delivery workers run. */
bool		dq_alert_delivery = true;

/* Default time a request may take (ms); a route's timeout_ms overrides it. */
int			dq_alert_timeout = 10000;

/* Default attempts before a delivery is dead; a route's max_attempts overrides it. */
int			dq_alert_max_attempts = 10;

/* Backoff: first retry after about this long (ms), doubling, at most retry_max. */
int			dq_alert_retry_base = 1000;
int			dq_alert_retry_max = 300000;

/* NOTIFY channel of the critical alerts about dead deliveries. */
char	   *dq_alert_notify_channel = NULL;

/* Violations of one table and expectation closer than this (s) are one alert. */
int			dq_alert_violation_window = 300;

/* Change validation lag (s) above which an alert is raised; 0: none. */
int			dq_alert_cdc_lag = 300;

/* Resolved alerts older than this (s) are deleted; 0 keeps them. */
int			dq_alert_retention = 30 * 24 * 3600;

/* Requests one delivery worker has in flight at most. */
int			dq_alert_max_in_flight = 32;

static bool
check_allowed_hosts(char **newval, void **extra, GucSource source)
{
	char	   *bad = NULL;

	if (*newval == NULL || DqAlertCheckAllowedHosts(*newval, &bad))
		return true;
	GUC_check_errmsg("invalid host \"%s\" in dq_lineage.alert_allowed_hosts", bad);
	GUC_check_errhint("List host names or addresses separated by commas; \"*.example.com\" allows the subdomains of example.com.");
	return false;
}

static bool
check_channel(char **newval, void **extra, GucSource source)
{
	if (*newval != NULL && (*newval)[0] != '\0' && strlen(*newval) < NAMEDATALEN)
		return true;
	GUC_check_errmsg("dq_lineage.alert_notify_channel must be a NOTIFY channel name of 1 to %d bytes",
					 NAMEDATALEN - 1);
	return false;
}

/*
 * Define the settings; called from DqAlertInit, before the prefix is
 * reserved.
 */
void
DqAlertDefineGucs(void)
{
	DefineCustomStringVariable("dq_lineage.alert_allowed_hosts",
							   "Hosts that alert routes may send HTTP requests to; empty allows any.",
							   "A comma-separated list of host names or addresses; \"*.example.com\" allows every subdomain of example.com.",
							   &dq_alert_allowed_hosts,
							   "",
							   PGC_SUSET,
							   GUC_LIST_INPUT,
							   check_allowed_hosts, NULL, NULL);

	DefineCustomBoolVariable("dq_lineage.alert_delivery",
							 "Delivers alerts from background workers.",
							 "Needs dq_lineage in shared_preload_libraries; when off, alerts are still recorded and their deliveries wait.",
							 &dq_alert_delivery,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.alert_timeout",
							"Time an alert delivery request may take, unless its route sets timeout_ms.",
							NULL,
							&dq_alert_timeout,
							10000, 100, 3600000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.alert_max_attempts",
							"Attempts of an alert delivery before it is marked dead, unless its route sets max_attempts.",
							NULL,
							&dq_alert_max_attempts,
							10, 1, 1000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.alert_retry_base",
							"Wait before the first retry of a failed alert delivery; it doubles with each attempt.",
							"Each wait is drawn between half and all of its value (jitter).",
							&dq_alert_retry_base,
							1000, 10, 3600000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.alert_retry_max",
							"Longest wait between two attempts of an alert delivery.",
							NULL,
							&dq_alert_retry_max,
							300000, 10, 86400000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomStringVariable("dq_lineage.alert_notify_channel",
							   "NOTIFY channel on which a dead alert delivery raises a critical alert.",
							   NULL,
							   &dq_alert_notify_channel,
							   "dq_alerts",
							   PGC_SIGHUP,
							   0,
							   check_channel, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.alert_violation_window",
							"Violations of one table and expectation closer together than this are one alert, resolved after this long without one.",
							NULL,
							&dq_alert_violation_window,
							300, 1, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.alert_cdc_lag",
							"Change validation lag above which an alert is raised; 0 turns the alert off.",
							"The lag is dq.cdc_status.lag_seconds; WAL above dq_lineage.cdc_max_lag raises the alert too.",
							&dq_alert_cdc_lag,
							300, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.alert_retention",
							"How long resolved alerts and their deliveries are kept; 0 keeps them.",
							NULL,
							&dq_alert_retention,
							30 * 24 * 3600, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dq_lineage.alert_max_in_flight",
							"HTTP requests a delivery worker has in flight at most; one route gets at most half of them.",
							NULL,
							&dq_alert_max_in_flight,
							32, 1, 1024,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);
}
