/*-------------------------------------------------------------------------
 *
 * json_build.h
 *	  Small helpers to write a JSON object into a StringInfo.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_JSON_BUILD_H
#define DQ_JSON_BUILD_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

typedef struct DqJson
{
	StringInfoData buf;
	bool		first;			/* no member written yet at this level */
} DqJson;

extern void DqJsonBegin(DqJson *js, char open);
extern void DqJsonEnd(DqJson *js, char close);
extern void DqJsonKey(DqJson *js, const char *key);
extern void DqJsonInt(DqJson *js, const char *key, int64 v);
extern void DqJsonFloat(DqJson *js, const char *key, double v);
extern void DqJsonText(DqJson *js, const char *key, const char *v);
extern void DqJsonBool(DqJson *js, const char *key, bool v);
extern void DqJsonNull(DqJson *js, const char *key);
extern void DqJsonRaw(DqJson *js, const char *key, const char *raw);
extern void DqJsonAppendFloat(StringInfo buf, double v);
extern Datum DqJsonToJsonb(DqJson *js);

extern JsonbValue *DqJsonbGet(JsonbContainer *obj, const char *key);
extern int64 DqJsonbGetInt64(JsonbContainer *obj, const char *key);
extern bool DqJsonbGetBool(JsonbContainer *obj, const char *key);
extern List *DqJsonbArrayTexts(JsonbValue *arr);
extern bool DqJsonbArrayStrings(JsonbValue *arr, List **out);

#endif							/* DQ_JSON_BUILD_H */
