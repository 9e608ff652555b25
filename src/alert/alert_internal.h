/*-------------------------------------------------------------------------
 *
 * alert_internal.h
 *	  Shared between the files of src/alert only.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_ALERT_INTERNAL_H
#define DQ_ALERT_INTERNAL_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/jsonb.h"

#include "alert/alert.h"

/* ---- settings (alert_guc.c) ---- */
extern char *dq_alert_allowed_hosts;
extern bool dq_alert_delivery;
extern int	dq_alert_timeout;
extern int	dq_alert_max_attempts;
extern int	dq_alert_retry_base;
extern int	dq_alert_retry_max;
extern char *dq_alert_notify_channel;
extern int	dq_alert_violation_window;
extern int	dq_alert_cdc_lag;
extern int	dq_alert_retention;
extern int	dq_alert_max_in_flight;

extern void DqAlertDefineGucs(void);

/* ---- channels and routes (alert_route.c) ---- */
typedef enum DqAlertChannel
{
	DQ_CHANNEL_NOTIFY,
	DQ_CHANNEL_WEBHOOK,
	DQ_CHANNEL_SLACK,
	DQ_CHANNEL_PAGERDUTY
} DqAlertChannel;

/* Events of an alert that are delivered. */
#define DQ_EVENT_TRIGGER "trigger"
#define DQ_EVENT_ACK "acknowledge"
#define DQ_EVENT_RESOLVE "resolve"

/* Where PagerDuty's Events API v2 takes events, unless options.url says. */
#define DQ_PAGERDUTY_URL "https://events.pagerduty.com/v2/enqueue"

/* Longest title kept (bytes); longer ones are cut. */
#define DQ_ALERT_TITLE_MAX 500

extern DqAlertChannel DqAlertParseChannel(const char *name);
extern const char *DqAlertChannelName(DqAlertChannel channel);
extern bool DqAlertSourceValid(const char *source);
extern bool DqAlertSourceRaisable(const char *source);
extern int	DqAlertSeverityRank(const char *severity);
extern void DqAlertCheckUrl(const char *url, const char *route);
extern bool DqAlertHostAllowed(const char *host);
extern char *DqAlertUrlHost(const char *url);
extern void DqAlertCheckTarget(DqAlertChannel channel, const char *target,
							   const char *route);
extern void DqAlertCheckMatch(Jsonb *match, const char *route);
extern void DqAlertCheckOptions(Jsonb *options, DqAlertChannel channel,
								const char *route);
extern bool DqAlertGlobMatch(const char *pattern, const char *text);
extern bool DqAlertCheckAllowedHosts(const char *list, char **bad_entry);

/* A route as the matcher sees it (alert_store.c keeps them per transaction). */
typedef struct DqAlertRoute
{
	int64		route_id;
	char	   *name;
	char	   *channel;
	char	   *owner_name;
	Oid			owner;			/* InvalidOid: the role is gone */
	List	   *sources;		/* of char *; NIL: any */
	List	   *severities;		/* of char *; NIL: any */
	int			min_severity;	/* 0: any */
	List	   *relations;		/* globs over "schema.table"; NIL: any */
	List	   *owners;			/* role names; NIL: any */
} DqAlertRoute;

extern void DqAlertParseRouteMatch(Jsonb *match, DqAlertRoute *route);
extern bool DqAlertRouteMatches(const DqAlertRoute *route, const char *source,
								const char *severity, Oid relid,
								const char *qualified_rel, Oid owner,
								const char *owner_name);

/* ---- the outbox (alert_store.c) ---- */

/* A statement prepared once per backend, executed with DqAlertExec. */
typedef struct DqAlertStmt
{
	const char *sql;
	int			nargs;
	Oid			types[13];
	SPIPlanPtr	plan;			/* set on first use (DqSpiKeptPlan) */
} DqAlertStmt;

extern int	DqAlertExec(DqAlertStmt *st, Datum *values, const char *nulls, long count);
extern int64 DqAlertRaiseExt(const DqAlertEvent *event, int64 exclude_route,
							 bool builtin_notify);
extern int	DqAlertResolveKey(const char *const *sources, int nsources,
							  const char *key, const char *resolution);
extern int	DqAlertResolveQuiet(const char *source, const char *key,
								TimestampTz before);
extern bool DqAlertAcknowledge(int64 alert_id, const char *by);
extern bool DqAlertResolveById(int64 alert_id, const char *by);
extern void DqAlertSnooze(int64 alert_id, TimestampTz until);
extern void DqAlertRoutesChanged(void);
extern char *DqAlertDedupKey(int64 alert_id);
extern bool DqAlertRestoring(void);

/* ---- delivery (alert_payload.c, alert_http.c, alert_worker.c) ---- */

/* One delivery, as the worker claimed it. */
typedef struct DqAlertDelivery
{
	int64		delivery_id;
	int64		alert_id;
	int64		route_id;		/* 0: the built-in notification */
	int			attempts;		/* made before this one */
	DqAlertChannel channel;
	char	   *route_name;
	char	   *route_owner;
	char	   *event;
	char	   *idempotency_key;
	char	   *target;			/* secret: never logged */
	char	   *url;			/* where to POST (secret for webhooks) */
	List	   *headers;		/* "Name: value" (secret) */
	int			timeout_ms;
	int			max_attempts;
	char	   *source;
	char	   *source_key;
	char	   *severity;
	char	   *state;
	char	   *title;
	char	   *relation;		/* schema.table or NULL */
	char	   *column_name;
	char	   *owner;
	char	   *acknowledged_by;
	int64		occurrences;
	char	   *alert_json;		/* the alert as a JSON object */
} DqAlertDelivery;

extern char *DqAlertRenderBody(const DqAlertDelivery *d, const char *database,
							   const char *sent_at);
extern char *DqAlertRenderNotify(const DqAlertDelivery *d);

/* One HTTP request in flight. */
typedef struct DqAlertTransfer
{
	MemoryContext cxt;			/* holds the transfer and its delivery */
	DqAlertDelivery *d;
	char	   *body;
	void	   *easy;			/* CURL * */
	void	   *header_list;	/* struct curl_slist * */
	char	   *errbuf;			/* CURL_ERROR_SIZE bytes */
	StringInfoData response;	/* the first bytes of the answer */
	int			retry_after_s;	/* from a Retry-After header, or -1 */
	TimestampTz started_at;
	/* outcome */
	bool		done;
	long		http_status;	/* 0: no answer */
	double		latency_ms;
	char	   *error;			/* NULL when delivered */
	bool		permanent;		/* no retry can help: dead at once */
} DqAlertTransfer;

extern void DqAlertHttpInit(void);
extern bool DqAlertHttpStart(DqAlertTransfer *t, const char *user_agent);
extern List *DqAlertHttpPoll(long timeout_ms);
extern int	DqAlertHttpInFlight(void);
extern char *DqAlertScrub(const char *text, const DqAlertDelivery *d);

/* ---- the launcher, and backends for it (alert_launcher.c) ---- */
extern void DqAlertStatus(int *launcher_pid, int *worker_pid, const char **state);

#endif							/* DQ_ALERT_INTERNAL_H */
