/*-------------------------------------------------------------------------
 *
 * alert_payload.c
 *	  The body sent for a delivery, per channel: the documented webhook
 *	  JSON, Slack's incoming-webhook message (text and blocks), PagerDuty's
 *	  Events API v2 event, and the NOTIFY payload.  docs/alerts.md shows an
 *	  example of each.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/json.h"

#include "alert/alert_internal.h"
#include "base/json_build.h"

/* PostgreSQL's limit on a NOTIFY payload is 8000 bytes. */
#define NOTIFY_PAYLOAD_MAX 7999
/* Slack: a header block holds at most 150 characters, a text field 3000. */
#define SLACK_HEADER_MAX 150
#define SLACK_TEXT_MAX 3000
/* PagerDuty: a summary holds at most 1024 characters. */
#define PAGERDUTY_SUMMARY_MAX 1024

/* s cut to at most "limit" bytes, on a character boundary. */
static char *
clip(const char *s, int limit)
{
	int			len = strlen(s);

	if (len <= limit)
		return pstrdup(s);
	return pnstrdup(s, pg_mbcliplen(s, len, limit));
}

/*
 * Slack's mrkdwn treats &, < and > as markup: escape them as Slack asks.
 */
static char *
slack_escape(const char *s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (; *s; s++)
	{
		if (*s == '&')
			appendStringInfoString(&buf, "&amp;");
		else if (*s == '<')
			appendStringInfoString(&buf, "&lt;");
		else if (*s == '>')
			appendStringInfoString(&buf, "&gt;");
		else
			appendStringInfoChar(&buf, *s);
	}
	return buf.data;
}

/* "[ERROR]", "[RESOLVED]", ...: what a message is about, first. */
static const char *
event_prefix(const DqAlertDelivery *d)
{
	if (strcmp(d->event, DQ_EVENT_RESOLVE) == 0)
		return "[RESOLVED]";
	if (strcmp(d->event, DQ_EVENT_ACK) == 0)
		return "[ACKNOWLEDGED]";
	if (strcmp(d->severity, "critical") == 0)
		return "[CRITICAL]";
	if (strcmp(d->severity, "warn") == 0)
		return "[WARN]";
	return "[ERROR]";
}

static char *
render_webhook(const DqAlertDelivery *d, const char *database, const char *sent_at)
{
	DqJson		js = {0};

	DqJsonBegin(&js, '{');
	DqJsonText(&js, "idempotency_key", d->idempotency_key);
	DqJsonText(&js, "event", d->event);
	DqJsonText(&js, "database", database);
	DqJsonText(&js, "sent_at", sent_at);
	DqJsonRaw(&js, "alert", d->alert_json);
	DqJsonEnd(&js, '}');
	return js.buf.data;
}

static void
slack_field(StringInfo buf, bool *first, const char *label, const char *value)
{
	char	   *text = psprintf("*%s*\n%s", label, value ? slack_escape(value) : "-");

	if (!*first)
		appendStringInfoString(buf, ", ");
	*first = false;
	appendStringInfoString(buf, "{\"type\": \"mrkdwn\", \"text\": ");
	escape_json(buf, clip(text, SLACK_TEXT_MAX));
	appendStringInfoChar(buf, '}');
}

static char *
render_slack(const DqAlertDelivery *d, const char *database)
{
	StringInfoData buf;
	bool		first = true;
	char	   *headline = psprintf("%s %s", event_prefix(d), d->title);
	char	   *context;
	char		count[32];

	if (strcmp(d->event, DQ_EVENT_ACK) == 0 && d->acknowledged_by)
		headline = psprintf("[ACKNOWLEDGED by %s] %s", d->acknowledged_by, d->title);
	snprintf(count, sizeof(count), INT64_FORMAT, d->occurrences);
	context = psprintf("alert " INT64_FORMAT " | %s | database %s | %s",
					   d->alert_id, d->state, database, d->source_key);

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"text\": ");
	escape_json(&buf, clip(slack_escape(headline), SLACK_TEXT_MAX));
	appendStringInfoString(&buf, ", \"blocks\": [");
	/* headline */
	appendStringInfoString(&buf, "{\"type\": \"header\", \"text\": {\"type\": \"plain_text\", \"text\": ");
	escape_json(&buf, clip(headline, SLACK_HEADER_MAX));
	appendStringInfoString(&buf, "}}, ");
	/* the whole title, when the header had to cut it */
	appendStringInfoString(&buf, "{\"type\": \"section\", \"text\": {\"type\": \"mrkdwn\", \"text\": ");
	escape_json(&buf, clip(slack_escape(d->title), SLACK_TEXT_MAX));
	appendStringInfoString(&buf, "}, \"fields\": [");
	slack_field(&buf, &first, "Source", d->source);
	slack_field(&buf, &first, "Severity", d->severity);
	slack_field(&buf, &first, "Relation",
				d->relation && d->column_name ? psprintf("%s.%s", d->relation, d->column_name) :
				d->relation);
	slack_field(&buf, &first, "Occurrences", count);
	appendStringInfoString(&buf, "]}, ");
	/* where it comes from */
	appendStringInfoString(&buf, "{\"type\": \"context\", \"elements\": [{\"type\": \"mrkdwn\", \"text\": ");
	escape_json(&buf, clip(slack_escape(context), SLACK_TEXT_MAX));
	appendStringInfoString(&buf, "}]}]}");
	return buf.data;
}

static char *
render_pagerduty(const DqAlertDelivery *d, const char *database)
{
	DqJson		js = {0};

	DqJsonBegin(&js, '{');
	DqJsonText(&js, "routing_key", d->target);
	DqJsonText(&js, "event_action", d->event);
	DqJsonText(&js, "dedup_key", DqAlertDedupKey(d->alert_id));
	if (strcmp(d->event, DQ_EVENT_TRIGGER) == 0)
	{
		const char *severity = d->severity;

		if (strcmp(severity, "warn") == 0)
			severity = "warning";
		DqJsonKey(&js, "payload");
		DqJsonBegin(&js, '{');
		DqJsonText(&js, "summary", clip(d->title, PAGERDUTY_SUMMARY_MAX));
		DqJsonText(&js, "source", database);
		DqJsonText(&js, "severity", severity);
		if (d->relation)
			DqJsonText(&js, "component", d->relation);
		DqJsonText(&js, "group", d->source);
		DqJsonText(&js, "class", d->source_key);
		DqJsonRaw(&js, "custom_details", d->alert_json);
		DqJsonEnd(&js, '}');
		DqJsonText(&js, "client", "dq_lineage");
	}
	DqJsonEnd(&js, '}');
	return js.buf.data;
}

/* The HTTP body of a delivery (webhook, slack, pagerduty). */
char *
DqAlertRenderBody(const DqAlertDelivery *d, const char *database, const char *sent_at)
{
	switch (d->channel)
	{
		case DQ_CHANNEL_SLACK:
			return render_slack(d, database);
		case DQ_CHANNEL_PAGERDUTY:
			return render_pagerduty(d, database);
		case DQ_CHANNEL_WEBHOOK:
		case DQ_CHANNEL_NOTIFY:
			break;
	}
	return render_webhook(d, database, sent_at);
}

/*
 * The NOTIFY payload: the event, its idempotency key and the alert; when
 * that exceeds NOTIFY's limit, the alert without its body and a
 * "truncated" flag (the row in dq.alerts has the rest).
 */
char *
DqAlertRenderNotify(const DqAlertDelivery *d)
{
	DqJson		js = {0};

	DqJsonBegin(&js, '{');
	DqJsonText(&js, "event", d->event);
	DqJsonText(&js, "idempotency_key", d->idempotency_key);
	DqJsonRaw(&js, "alert", d->alert_json);
	DqJsonEnd(&js, '}');
	if (js.buf.len <= NOTIFY_PAYLOAD_MAX)
		return js.buf.data;

	resetStringInfo(&js.buf);
	DqJsonBegin(&js, '{');
	DqJsonText(&js, "event", d->event);
	DqJsonText(&js, "idempotency_key", d->idempotency_key);
	DqJsonKey(&js, "alert");
	DqJsonBegin(&js, '{');
	DqJsonInt(&js, "alert_id", d->alert_id);
	DqJsonText(&js, "source", d->source);
	DqJsonText(&js, "source_key", clip(d->source_key, 1000));
	DqJsonText(&js, "severity", d->severity);
	DqJsonText(&js, "state", d->state);
	DqJsonText(&js, "title", clip(d->title, DQ_ALERT_TITLE_MAX));
	DqJsonText(&js, "relation", d->relation);
	DqJsonBool(&js, "truncated", true);
	DqJsonEnd(&js, '}');
	DqJsonEnd(&js, '}');
	return js.buf.data;
}
