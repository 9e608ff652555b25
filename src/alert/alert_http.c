/*-------------------------------------------------------------------------
 *
 * alert_http.c
 *	  HTTP POSTs of the delivery worker, with libcurl's multi interface.
 *
 * All requests of a worker run concurrently in one curl multi handle, each
 * with its own timeout, so a slow or dead endpoint holds only its own
 * requests.  Redirects are not followed and only http and https are
 * allowed, so a receiver cannot send the worker elsewhere; curl never
 * raises signals (CURLOPT_NOSIGNAL), which the backend uses for its own
 * timeouts.  The callbacks copy into buffers allocated before the request
 * started and never raise a PostgreSQL error (no longjmp through curl).
 *
 * Error texts come from curl (host and port at most, never the path or
 * query of a URL) or from the receiver's answer; both are scrubbed of the
 * route's target and URL before they are stored or logged.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include <curl/curl.h>

#include "utils/timestamp.h"

#include "alert/alert_internal.h"

/* Bytes of a receiver's answer kept for the error text. */
#define RESPONSE_KEEP 1024

static CURLM *multi = NULL;
static int	in_flight = 0;

/* Once per worker process. */
void
DqAlertHttpInit(void)
{
	if (multi != NULL)
		return;
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		elog(ERROR, "could not initialize libcurl");
	multi = curl_multi_init();
	if (multi == NULL)
		elog(ERROR, "could not initialize libcurl");
}

int
DqAlertHttpInFlight(void)
{
	return in_flight;
}

/* Keep the first bytes of the answer (into the buffer allocated up front). */
static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	DqAlertTransfer *t = userdata;
	size_t		n = size * nmemb;
	size_t		room = RESPONSE_KEEP - t->response.len;

	if (room > 0)
	{
		size_t		take = Min(n, room);

		memcpy(t->response.data + t->response.len, ptr, take);
		t->response.len += take;
		t->response.data[t->response.len] = '\0';
	}
	return n;
}

/* A "Retry-After: <seconds>" header (429, 503) sets the earliest retry. */
static size_t
header_cb(char *buffer, size_t size, size_t nitems, void *userdata)
{
	DqAlertTransfer *t = userdata;
	size_t		n = size * nitems;
	static const char name[] = "retry-after:";

	if (n > sizeof(name) && pg_strncasecmp(buffer, name, sizeof(name) - 1) == 0)
	{
		size_t		i = sizeof(name) - 1;
		long		secs = 0;
		bool		digits = false;

		while (i < n && (buffer[i] == ' ' || buffer[i] == '\t'))
			i++;
		while (i < n && isdigit((unsigned char) buffer[i]) && secs < 86400)
		{
			secs = secs * 10 + (buffer[i] - '0');
			digits = true;
			i++;
		}
		if (digits)
			t->retry_after_s = (int) secs;
	}
	return n;
}

/*
 * Start the request of a transfer (t->d and t->body set).  Returns false,
 * with t->error set, when it could not even start.
 */
bool
DqAlertHttpStart(DqAlertTransfer *t, const char *user_agent)
{
	const DqAlertDelivery *d = t->d;
	CURL	   *e;
	struct curl_slist *headers = NULL;
	struct curl_slist *h;
	ListCell   *lc;
	char	   *lines[4];
	bool		ok = true;

	t->errbuf = palloc0(CURL_ERROR_SIZE);
	initStringInfo(&t->response);
	enlargeStringInfo(&t->response, RESPONSE_KEEP + 1);
	t->retry_after_s = -1;
	t->started_at = GetCurrentTimestamp();

	e = curl_easy_init();
	if (e == NULL)
	{
		t->error = pstrdup("could not create a libcurl handle");
		return false;
	}
	lines[0] = "Content-Type: application/json";
	lines[1] = psprintf("Idempotency-Key: %s", d->idempotency_key);
	lines[2] = psprintf("X-Dq-Alert-Event: %s", d->event);
	lines[3] = "Expect:";		/* no 100-continue round trip */
	for (int i = 0; i < 4 && ok; i++)
	{
		h = curl_slist_append(headers, lines[i]);
		ok = h != NULL;
		if (ok)
			headers = h;
	}
	foreach(lc, d->headers)
	{
		if (!ok)
			break;
		h = curl_slist_append(headers, lfirst(lc));
		ok = h != NULL;
		if (ok)
			headers = h;
	}

	ok = ok &&
		curl_easy_setopt(e, CURLOPT_URL, d->url) == CURLE_OK &&
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
#if LIBCURL_VERSION_NUM >= 0x075500
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
#else
		curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS)) == CURLE_OK &&
#endif
		curl_easy_setopt(e, CURLOPT_POST, 1L) == CURLE_OK &&
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body) == CURLE_OK &&
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long) strlen(t->body)) == CURLE_OK &&
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers) == CURLE_OK &&
		curl_easy_setopt(e, CURLOPT_USERAGENT, user_agent) == CURLE_OK &&
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) d->timeout_ms) == CURLE_OK &&
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long) d->timeout_ms) == CURLE_OK &&
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb) == CURLE_OK &&
		curl_easy_setopt(e, CURLOPT_WRITEDATA, t) == CURLE_OK &&
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb) == CURLE_OK &&
		curl_easy_setopt(e, CURLOPT_HEADERDATA, t) == CURLE_OK &&
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf) == CURLE_OK &&
		curl_easy_setopt(e, CURLOPT_PRIVATE, t) == CURLE_OK &&
		curl_multi_add_handle(multi, e) == CURLM_OK;
	if (!ok)
	{
		curl_easy_cleanup(e);
		curl_slist_free_all(headers);
		t->error = pstrdup("could not set up the request with libcurl");
		return false;
	}
	t->easy = e;
	t->header_list = headers;
	in_flight++;
	return true;
}

/* Printable one-line excerpt of a receiver's answer. */
static char *
excerpt(const char *s, int limit)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (; *s && buf.len < limit; s++)
		appendStringInfoChar(&buf, (*s == '\n' || *s == '\r' || *s == '\t') ? ' ' :
							 (unsigned char) *s < 0x20 ? '?' : *s);
	return buf.data;
}

/*
 * Let the requests progress for up to timeout_ms (0: without waiting);
 * returns the transfers that ended, with their outcome set.
 */
List *
DqAlertHttpPoll(long timeout_ms)
{
	List	   *done = NIL;
	int			running = 0;
	int			left;
	CURLMsg    *msg;

	if (multi == NULL || in_flight == 0)
		return NIL;
	(void) curl_multi_perform(multi, &running);
	if (timeout_ms > 0 && running == in_flight)
	{
		(void) curl_multi_poll(multi, NULL, 0, (int) timeout_ms, NULL);
		(void) curl_multi_perform(multi, &running);
	}
	while ((msg = curl_multi_info_read(multi, &left)) != NULL)
	{
		CURL	   *e = msg->easy_handle;
		DqAlertTransfer *t = NULL;
		long		code = 0;
		curl_off_t	total_us = 0;
		CURLcode	res;
		MemoryContext old;

		if (msg->msg != CURLMSG_DONE)
			continue;
		res = msg->data.result;
		(void) curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **) &t);
		old = MemoryContextSwitchTo(t->cxt);
		(void) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
		(void) curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &total_us);
		t->http_status = code;
		t->latency_ms = (double) total_us / 1000.0;
		if (res != CURLE_OK)
			t->error = DqAlertScrub(t->errbuf[0] ? t->errbuf : curl_easy_strerror(res), t->d);
		else if (code < 200 || code > 299)
			t->error = DqAlertScrub(t->response.len > 0 ?
									psprintf("HTTP %ld: %s", code, excerpt(t->response.data, 200)) :
									psprintf("HTTP %ld", code), t->d);
		else
			t->error = NULL;
		(void) curl_multi_remove_handle(multi, e);
		curl_easy_cleanup(e);
		curl_slist_free_all((struct curl_slist *) t->header_list);
		t->easy = NULL;
		t->header_list = NULL;
		t->done = true;
		in_flight--;
		MemoryContextSwitchTo(old);
		done = lappend(done, t);
	}
	return done;
}

/* text with every occurrence of needle replaced by "***". */
static char *
replace_all(const char *text, const char *needle)
{
	StringInfoData buf;
	size_t		nlen;
	const char *p;

	if (needle == NULL || (nlen = strlen(needle)) < 4)
		return pstrdup(text);
	initStringInfo(&buf);
	while ((p = strstr(text, needle)) != NULL)
	{
		appendBinaryStringInfo(&buf, text, p - text);
		appendStringInfoString(&buf, "***");
		text = p + nlen;
	}
	appendStringInfoString(&buf, text);
	return buf.data;
}

/* An error text without the delivery's secrets (target, URL, header values). */
char *
DqAlertScrub(const char *text, const DqAlertDelivery *d)
{
	char	   *out = replace_all(text, d->target);
	ListCell   *lc;

	out = replace_all(out, d->url);
	foreach(lc, d->headers)
	{
		const char *colon = strchr(lfirst(lc), ':');

		if (colon != NULL)
			out = replace_all(out, colon + 2);
	}
	return out;
}
