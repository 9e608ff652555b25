/*-------------------------------------------------------------------------
 *
 * alert_route.c
 *	  Checking and matching alert routes: channels, targets, URLs, the
 *	  allowed hosts, match documents and options.
 *
 * Targets hold secrets (webhook URLs carry tokens, PagerDuty routing keys
 * are credentials): no error message or log line quotes a target or a
 * URL.  Errors name the route, the part at fault (scheme, host) and what
 * to do.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include <curl/curl.h>

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "alert/alert_internal.h"
#include "base/json_build.h"

static const char *const dq_alert_sources[] = {
	"validation", "expectation", "violation", "job", "cdc_lag",
	"anomaly", "schema_change", "monitor", "delivery", NULL
};

/* Sources dq.raise_alert() may use; the others belong to the extension. */
static const char *const dq_alert_raisable[] = {
	"anomaly", "schema_change", "monitor", NULL
};

static bool
in_list(const char *const *list, const char *s)
{
	for (int i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

bool
DqAlertSourceValid(const char *source)
{
	return source != NULL && in_list(dq_alert_sources, source);
}

bool
DqAlertSourceRaisable(const char *source)
{
	return source != NULL && in_list(dq_alert_raisable, source);
}

/* 1 warn, 2 error, 3 critical; 0 for anything else. */
int
DqAlertSeverityRank(const char *severity)
{
	if (severity == NULL)
		return 0;
	if (strcmp(severity, "warn") == 0)
		return 1;
	if (strcmp(severity, "error") == 0)
		return 2;
	if (strcmp(severity, "critical") == 0)
		return 3;
	return 0;
}

DqAlertChannel
DqAlertParseChannel(const char *name)
{
	if (strcmp(name, "notify") == 0)
		return DQ_CHANNEL_NOTIFY;
	if (strcmp(name, "webhook") == 0)
		return DQ_CHANNEL_WEBHOOK;
	if (strcmp(name, "slack") == 0)
		return DQ_CHANNEL_SLACK;
	if (strcmp(name, "pagerduty") == 0)
		return DQ_CHANNEL_PAGERDUTY;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unrecognized alert channel \"%s\"", name),
			 errhint("Use notify, webhook, slack or pagerduty.")));
	return DQ_CHANNEL_NOTIFY;	/* keep the compiler quiet */
}

const char *
DqAlertChannelName(DqAlertChannel channel)
{
	switch (channel)
	{
		case DQ_CHANNEL_NOTIFY:
			return "notify";
		case DQ_CHANNEL_WEBHOOK:
			return "webhook";
		case DQ_CHANNEL_SLACK:
			return "slack";
		case DQ_CHANNEL_PAGERDUTY:
			return "pagerduty";
	}
	return "notify";
}

/* ----------------------------------------------------------------
 * Hosts and URLs
 * ----------------------------------------------------------------
 */

/* One entry of the allowed hosts: letters, digits, . - _ : [ ] and a leading "*.". */
static bool
host_entry_valid(const char *e)
{
	const char *p = e;

	if (*p == '\0')
		return false;
	if (p[0] == '*' && p[1] == '\0')
		return true;
	if (p[0] == '*' && p[1] == '.')
		p += 2;
	if (*p == '\0')
		return false;
	for (; *p; p++)
		if (!(isalnum((unsigned char) *p) || *p == '.' || *p == '-' || *p == '_' ||
			  *p == ':' || *p == '[' || *p == ']'))
			return false;
	return true;
}

/*
 * Split a comma-separated list of hosts (white space around entries is
 * ignored) into a List of palloc'd strings.
 */
static List *
split_hosts(const char *list)
{
	List	   *out = NIL;
	const char *p = list;

	while (*p)
	{
		const char *start;
		const char *end;

		while (*p == ',' || isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > start && isspace((unsigned char) end[-1]))
			end--;
		out = lappend(out, pnstrdup(start, end - start));
	}
	return out;
}

/* Check hook of dq_lineage.alert_allowed_hosts. */
bool
DqAlertCheckAllowedHosts(const char *list, char **bad_entry)
{
	List	   *hosts = split_hosts(list);
	ListCell   *lc;

	foreach(lc, hosts)
	{
		if (!host_entry_valid(lfirst(lc)))
		{
			*bad_entry = lfirst(lc);
			return false;
		}
	}
	return true;
}

/*
 * May routes send to this host?  Names compare without regard to case;
 * "*.example.com" allows every name ending in ".example.com".
 */
bool
DqAlertHostAllowed(const char *host)
{
	List	   *hosts;
	ListCell   *lc;
	size_t		hlen = strlen(host);

	if (dq_alert_allowed_hosts == NULL || dq_alert_allowed_hosts[0] == '\0')
		return true;
	hosts = split_hosts(dq_alert_allowed_hosts);
	foreach(lc, hosts)
	{
		const char *e = lfirst(lc);

		if (strcmp(e, "*") == 0 || pg_strcasecmp(e, host) == 0)
			return true;
		if (e[0] == '*' && e[1] == '.')
		{
			size_t		slen = strlen(e + 1);	/* ".example.com" */

			if (hlen > slen && pg_strcasecmp(host + hlen - slen, e + 1) == 0)
				return true;
		}
	}
	return false;
}

/*
 * Parse a URL with libcurl's parser.  Returns the scheme and host
 * (palloc'd) or, on failure, NULL and the parser's reason in *why.
 */
static bool
parse_url(const char *url, char **scheme, char **host, const char **why)
{
	CURLU	   *h = curl_url();
	CURLUcode	rc;
	char	   *s = NULL;
	char	   *hst = NULL;

	*scheme = *host = NULL;
	if (h == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	rc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (rc == CURLUE_OK)
		rc = curl_url_get(h, CURLUPART_SCHEME, &s, 0);
	if (rc == CURLUE_OK)
		rc = curl_url_get(h, CURLUPART_HOST, &hst, 0);
	if (rc != CURLUE_OK)
		*why = curl_url_strerror(rc);
	else
	{
		*scheme = pstrdup(s);
		*host = pstrdup(hst);
	}
	curl_free(s);
	curl_free(hst);
	curl_url_cleanup(h);
	return rc == CURLUE_OK;
}

/* The host of a URL that was checked before, or NULL. */
char *
DqAlertUrlHost(const char *url)
{
	char	   *scheme;
	char	   *host;
	const char *why;

	if (!parse_url(url, &scheme, &host, &why))
		return NULL;
	return host;
}

/*
 * A route's URL must parse, use http or https, and name an allowed host.
 * The URL itself is never quoted: it may carry a token.
 */
void
DqAlertCheckUrl(const char *url, const char *route)
{
	char	   *scheme;
	char	   *host;
	const char *why = NULL;

	if (!parse_url(url, &scheme, &host, &why))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid URL for alert route \"%s\"", route),
				 errdetail("The URL could not be parsed: %s.", why),
				 errhint("Give an absolute http:// or https:// URL, such as https://hooks.example.com/alerts.")));
	if (pg_strcasecmp(scheme, "http") != 0 && pg_strcasecmp(scheme, "https") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("URL scheme \"%s\" is not allowed for alert route \"%s\"", scheme, route),
				 errhint("Alert routes send to http:// and https:// URLs only.")));
	if (host[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid URL for alert route \"%s\"", route),
				 errdetail("The URL has no host."),
				 errhint("Give an absolute http:// or https:// URL, such as https://hooks.example.com/alerts.")));
	if (!DqAlertHostAllowed(host))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("host \"%s\" is not allowed for alert routes", host),
				 errdetail("dq_lineage.alert_allowed_hosts does not list it."),
				 errhint("Send to a listed host, or ask a superuser to add this one to dq_lineage.alert_allowed_hosts.")));
}

/* A target: a NOTIFY channel, a URL or a PagerDuty routing key. */
void
DqAlertCheckTarget(DqAlertChannel channel, const char *target, const char *route)
{
	switch (channel)
	{
		case DQ_CHANNEL_NOTIFY:
			if (target[0] == '\0' || strlen(target) >= NAMEDATALEN)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid NOTIFY channel for alert route \"%s\"", route),
						 errdetail("A channel name has 1 to %d bytes.", NAMEDATALEN - 1),
						 errhint("Name the channel your clients LISTEN on, such as dq_alerts.")));
			break;
		case DQ_CHANNEL_WEBHOOK:
		case DQ_CHANNEL_SLACK:
			DqAlertCheckUrl(target, route);
			break;
		case DQ_CHANNEL_PAGERDUTY:
			{
				size_t		len = strlen(target);
				bool		ok = len > 0 && len <= 128;

				for (const char *p = target; ok && *p; p++)
					if (!isalnum((unsigned char) *p) && *p != '-' && *p != '_')
						ok = false;
				if (!ok)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid PagerDuty routing key for alert route \"%s\"", route),
							 errdetail("A routing key has 1 to 128 letters, digits, hyphens or underscores."),
							 errhint("Copy the integration key of an Events API v2 integration of the PagerDuty service.")));
				break;
			}
	}
}

/* ----------------------------------------------------------------
 * Match documents
 * ----------------------------------------------------------------
 */

/*
 * The strings of a match or option value: a string, or a non-empty array
 * of strings.  Errors name the route and the key.
 */
static List *
value_strings(JsonbValue *v, const char *key, const char *route)
{
	List	   *out = NIL;

	if (v->type == jbvString)
		return list_make1(pnstrdup(v->val.string.val, v->val.string.len));
	if (v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) &&
		!DqJsonbArrayStrings(v, &out))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" in the match of alert route \"%s\" must be a string or an array of strings",
						key, route),
				 errhint("For example {\"%s\": [\"a\", \"b\"]}.", key)));
	if (out == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" in the match of alert route \"%s\" must be a string or a non-empty array of strings",
						key, route),
				 errhint("For example {\"%s\": [\"a\", \"b\"]}.", key)));
	return out;
}

/* Walk the keys of a JSON object: calls fn(key, value, arg) for each. */
typedef void (*DqJsonbMemberFn) (const char *key, JsonbValue *value, void *arg);

static void
for_each_member(JsonbContainer *obj, DqJsonbMemberFn fn, void *arg)
{
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
			fn(key, &v, arg);
	}
}

/*
 * Walk the members of a route's match or options document (what), which
 * must be a JSON object; hint says what to write instead.
 */
static void
for_each_route_member(Jsonb *doc, const char *what, const char *route,
					  const char *hint, DqJsonbMemberFn fn, void *arg)
{
	if (!JB_ROOT_IS_OBJECT(doc))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the %s of alert route \"%s\" must be a JSON object",
						what, route),
				 errhint("%s", hint)));
	for_each_member(&doc->root, fn, arg);
}

typedef struct MatchCheck
{
	const char *route;
	DqAlertRoute *parsed;		/* NULL: only check */
} MatchCheck;

static void
match_member(const char *key, JsonbValue *v, void *arg)
{
	MatchCheck *mc = arg;
	const char *route = mc->route;
	List	   *vals;
	ListCell   *lc;

	if (strcmp(key, "source") == 0)
	{
		vals = value_strings(v, key, route);
		foreach(lc, vals)
			if (!DqAlertSourceValid(lfirst(lc)))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unrecognized alert source \"%s\" in the match of alert route \"%s\"",
								(char *) lfirst(lc), route),
						 errhint("Sources are validation, expectation, violation, job, cdc_lag, anomaly, schema_change, monitor and delivery.")));
		if (mc->parsed)
			mc->parsed->sources = vals;
	}
	else if (strcmp(key, "severity") == 0 || strcmp(key, "min_severity") == 0)
	{
		vals = value_strings(v, key, route);
		foreach(lc, vals)
			if (DqAlertSeverityRank(lfirst(lc)) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unrecognized severity \"%s\" in the match of alert route \"%s\"",
								(char *) lfirst(lc), route),
						 errhint("Severities are warn, error and critical.")));
		if (key[0] == 'm' && (v->type != jbvString))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"min_severity\" in the match of alert route \"%s\" must be one severity", route),
					 errhint("For example {\"min_severity\": \"error\"}.")));
		if (mc->parsed && key[0] == 'm')
			mc->parsed->min_severity = DqAlertSeverityRank(linitial(vals));
		else if (mc->parsed)
			mc->parsed->severities = vals;
	}
	else if (strcmp(key, "relation") == 0)
	{
		vals = value_strings(v, key, route);
		foreach(lc, vals)
			if (((char *) lfirst(lc))[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("empty relation pattern in the match of alert route \"%s\"", route),
						 errhint("Patterns match schema.table; * stands for any characters, ? for one, as in \"public.order*\".")));
		if (mc->parsed)
			mc->parsed->relations = vals;
	}
	else if (strcmp(key, "owner") == 0)
	{
		vals = value_strings(v, key, route);
		if (mc->parsed == NULL)
			foreach(lc, vals)
				if (!OidIsValid(get_role_oid(lfirst(lc), true)))
					ereport(ERROR,
							(errcode(ERRCODE_UNDEFINED_OBJECT),
							 errmsg("role \"%s\" in the match of alert route \"%s\" does not exist",
									(char *) lfirst(lc), route),
							 errhint("Name existing roles in \"owner\".")));
		if (mc->parsed)
			mc->parsed->owners = vals;
	}
	else if (mc->parsed == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized key \"%s\" in the match of alert route \"%s\"", key, route),
				 errhint("A match may have source, severity, min_severity, relation and owner.")));
}

/* A match document: an object with known keys and well-formed values. */
void
DqAlertCheckMatch(Jsonb *match, const char *route)
{
	MatchCheck	mc = {route, NULL};

	for_each_route_member(match, "match", route,
						  "Use {} to match every alert, or keys such as {\"severity\": \"error\", \"relation\": \"public.*\"}.",
						  match_member, &mc);
}

/* Fill the match part of a route from its (checked) document. */
void
DqAlertParseRouteMatch(Jsonb *match, DqAlertRoute *route)
{
	MatchCheck	mc = {route->name, route};

	if (JB_ROOT_IS_OBJECT(match))
		for_each_member(&match->root, match_member, &mc);
}

/* ----------------------------------------------------------------
 * Options
 * ----------------------------------------------------------------
 */

typedef struct OptionsCheck
{
	const char *route;
	DqAlertChannel channel;
} OptionsCheck;

static int64
option_int(JsonbValue *v, const char *key, const char *route, int64 min, int64 max)
{
	if (v->type == jbvNumeric)
	{
		char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out,
															NumericGetDatum(v->val.numeric)));
		char	   *end;
		long long	n;

		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0' && n >= min && n <= max)
			return n;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"%s\" of alert route \"%s\" must be an integer between " INT64_FORMAT " and " INT64_FORMAT,
					key, route, min, max),
			 errhint("For example {\"%s\": " INT64_FORMAT "}.", key, min)));
	return 0;
}

/* An HTTP header name is a token (RFC 9110). */
static bool
header_name_valid(const char *s, int len)
{
	if (len == 0)
		return false;
	for (int i = 0; i < len; i++)
		if (!isalnum((unsigned char) s[i]) && strchr("!#$%&'*+-.^_`|~", s[i]) == NULL)
			return false;
	return true;
}

static void
header_member(const char *key, JsonbValue *v, void *arg)
{
	OptionsCheck *oc = arg;

	if (!header_name_valid(key, strlen(key)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid HTTP header name \"%s\" in the options of alert route \"%s\"", key, oc->route),
				 errhint("Header names are letters, digits and !#$%%&'*+-.^_`|~.")));
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("HTTP header \"%s\" in the options of alert route \"%s\" must have a string value", key, oc->route),
				 errhint("For example {\"headers\": {\"Authorization\": \"Bearer ...\"}}.")));
	for (int i = 0; i < v->val.string.len; i++)
		if (v->val.string.val[i] == '\r' || v->val.string.val[i] == '\n' ||
			v->val.string.val[i] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("HTTP header \"%s\" in the options of alert route \"%s\" contains a line break", key, oc->route),
					 errhint("Header values are one line.")));
}

static void
option_member(const char *key, JsonbValue *v, void *arg)
{
	OptionsCheck *oc = arg;
	const char *route = oc->route;

	if (strcmp(key, "timeout_ms") == 0)
		(void) option_int(v, key, route, 100, 3600000);
	else if (strcmp(key, "max_attempts") == 0)
		(void) option_int(v, key, route, 1, 1000);
	else if (strcmp(key, "headers") == 0 && oc->channel != DQ_CHANNEL_NOTIFY)
	{
		if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"headers\" of alert route \"%s\" must be a JSON object", route),
					 errhint("For example {\"headers\": {\"Authorization\": \"Bearer ...\"}}.")));
		for_each_member(v->val.binary.data, header_member, oc);
	}
	else if (strcmp(key, "url") == 0 && oc->channel == DQ_CHANNEL_PAGERDUTY)
	{
		if (v->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"url\" of alert route \"%s\" must be a string", route),
					 errhint("Leave it out to use %s.", DQ_PAGERDUTY_URL)));
		DqAlertCheckUrl(pnstrdup(v->val.string.val, v->val.string.len), route);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized option \"%s\" for a %s alert route (\"%s\")",
						key, DqAlertChannelName(oc->channel), route),
				 errhint("Options are timeout_ms and max_attempts; headers for webhook, slack and pagerduty; url for pagerduty.")));
}

/* The options of a route: an object with the keys its channel takes. */
void
DqAlertCheckOptions(Jsonb *options, DqAlertChannel channel, const char *route)
{
	OptionsCheck oc = {route, channel};

	for_each_route_member(options, "options", route,
						  "Use {} for the defaults, or keys such as {\"timeout_ms\": 5000, \"max_attempts\": 5}.",
						  option_member, &oc);
}

/* ----------------------------------------------------------------
 * Matching
 * ----------------------------------------------------------------
 */

/* Shell-style pattern: * any characters, ? one character; case matters. */
bool
DqAlertGlobMatch(const char *pattern, const char *text)
{
	const char *star = NULL;
	const char *resume = NULL;

	while (*text)
	{
		if (*pattern == '*')
		{
			star = pattern++;
			resume = text;
		}
		else if (*pattern == '?' || *pattern == *text)
		{
			pattern++;
			text++;
		}
		else if (star != NULL)
		{
			pattern = star + 1;
			text = ++resume;
		}
		else
			return false;
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

static bool
list_has_string(List *list, const char *s)
{
	ListCell   *lc;

	foreach(lc, list)
		if (strcmp(lfirst(lc), s) == 0)
			return true;
	return false;
}

/*
 * Does the route take this alert?  Its match must accept it, and its
 * owner must be allowed to see it: SELECT on the relation, or membership
 * in the role that owns the failing check (superusers see everything).
 */
bool
DqAlertRouteMatches(const DqAlertRoute *route, const char *source,
					const char *severity, Oid relid, const char *qualified_rel,
					Oid owner, const char *owner_name)
{
	if (route->sources && !list_has_string(route->sources, source))
		return false;
	if (route->severities && !list_has_string(route->severities, severity))
		return false;
	if (route->min_severity > 0 && DqAlertSeverityRank(severity) < route->min_severity)
		return false;
	if (route->owners && (owner_name == NULL || !list_has_string(route->owners, owner_name)))
		return false;
	if (route->relations)
	{
		bool		any = false;
		ListCell   *lc;

		if (qualified_rel == NULL)
			return false;
		foreach(lc, route->relations)
			if (DqAlertGlobMatch(lfirst(lc), qualified_rel))
			{
				any = true;
				break;
			}
		if (!any)
			return false;
	}

	/* visibility to the route's owner */
	if (!OidIsValid(route->owner))
		return false;
	if (superuser_arg(route->owner))
		return true;
	if (OidIsValid(relid))
	{
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
			return false;
		return pg_class_aclcheck(relid, route->owner, ACL_SELECT) == ACLCHECK_OK;
	}
	if (OidIsValid(owner))
		return has_privs_of_role(route->owner, owner);
	return true;
}
