/*-------------------------------------------------------------------------
 *
 * json_build.c
 *	  Writing JSON objects for profile results.
 *
 * A member is written with its key unless key is NULL (array elements).
 * Non-finite floats are written as strings ("NaN", "Infinity",
 * "-Infinity"), which is how PostgreSQL's to_jsonb prints them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "nodes/pg_list.h"

#include "base/json_build.h"

void
DqJsonBegin(DqJson *js, char open)
{
	if (js->buf.data == NULL)
		initStringInfo(&js->buf);
	appendStringInfoChar(&js->buf, open);
	js->first = true;
}

void
DqJsonEnd(DqJson *js, char close)
{
	appendStringInfoChar(&js->buf, close);
	js->first = false;
}

/* Separator and, when given, the key of the next member. */
void
DqJsonKey(DqJson *js, const char *key)
{
	if (!js->first)
		appendStringInfoString(&js->buf, ", ");
	js->first = false;
	if (key != NULL)
	{
		escape_json(&js->buf, key);
		appendStringInfoString(&js->buf, ": ");
	}
}

void
DqJsonInt(DqJson *js, const char *key, int64 v)
{
	DqJsonKey(js, key);
	appendStringInfo(&js->buf, INT64_FORMAT, v);
}

/* Shortest exact representation; non-finite values as strings. */
void
DqJsonAppendFloat(StringInfo buf, double v)
{
	if (isnan(v))
		appendStringInfoString(buf, "\"NaN\"");
	else if (isinf(v))
		appendStringInfoString(buf, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	else
		appendStringInfoString(buf, float8out_internal(v));
}

void
DqJsonFloat(DqJson *js, const char *key, double v)
{
	DqJsonKey(js, key);
	DqJsonAppendFloat(&js->buf, v);
}

void
DqJsonText(DqJson *js, const char *key, const char *v)
{
	DqJsonKey(js, key);
	if (v == NULL)
		appendStringInfoString(&js->buf, "null");
	else
		escape_json(&js->buf, v);
}

void
DqJsonBool(DqJson *js, const char *key, bool v)
{
	DqJsonKey(js, key);
	appendStringInfoString(&js->buf, v ? "true" : "false");
}

void
DqJsonNull(DqJson *js, const char *key)
{
	DqJsonKey(js, key);
	appendStringInfoString(&js->buf, "null");
}

/* A member whose value is already valid JSON text. */
void
DqJsonRaw(DqJson *js, const char *key, const char *raw)
{
	DqJsonKey(js, key);
	appendStringInfoString(&js->buf, raw);
}

Datum
DqJsonToJsonb(DqJson *js)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(js->buf.data));
}

/* ---------------------------------------------------------------------
 * Reading jsonb objects
 * ---------------------------------------------------------------------
 */

/* Member key of a jsonb object, or NULL. */
JsonbValue *
DqJsonbGet(JsonbContainer *obj, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(obj, JB_FOBJECT, &k);
}

/* An integer member; 0 when missing or not a number. */
int64
DqJsonbGetInt64(JsonbContainer *obj, const char *key)
{
	JsonbValue *v = DqJsonbGet(obj, key);

	if (v == NULL || v->type != jbvNumeric)
		return 0;
	return DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(v->val.numeric)));
}

/* A boolean member; false when missing or not a boolean. */
bool
DqJsonbGetBool(JsonbContainer *obj, const char *key)
{
	JsonbValue *v = DqJsonbGet(obj, key);

	return v != NULL && v->type == jbvBool && v->val.boolean;
}

/* JSON text of each element of a jsonb array value (NIL if not an array). */
List *
DqJsonbArrayTexts(JsonbValue *arr)
{
	List	   *out = NIL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (arr == NULL || arr->type != jbvBinary)
		return NIL;
	it = JsonbIteratorInit(arr->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		Jsonb	   *j;

		if (tok != WJB_ELEM)
			continue;
		j = JsonbValueToJsonb(&v);
		out = lappend(out, JsonbToCString(NULL, &j->root, VARSIZE(j)));
	}
	return out;
}

/*
 * The strings of a JSON array value, in order, appended to *out; false
 * when arr is not an array or holds anything but strings (*out then has
 * the strings before the first other element).
 */
bool
DqJsonbArrayStrings(JsonbValue *arr, List **out)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (arr == NULL || arr->type != jbvBinary ||
		!JsonContainerIsArray(arr->val.binary.data))
		return false;
	it = JsonbIteratorInit(arr->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (v.type != jbvString)
			return false;
		*out = lappend(*out, pnstrdup(v.val.string.val, v.val.string.len));
	}
	return true;
}
