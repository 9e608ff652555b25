/*-------------------------------------------------------------------------
 *
 * monitor.h
 *	  Monitors: definitions (monitor_sql.c) and runs (monitor_run.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_MONITOR_MONITOR_H
#define DQ_MONITOR_MONITOR_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "monitor/column_sketch.h"
#include "monitor/detect.h"

typedef enum DqMonitorKind
{
	DQ_MONITOR_FRESHNESS = 0,
	DQ_MONITOR_VOLUME,
	DQ_MONITOR_SCHEMA,
	DQ_MONITOR_COLUMN,
	DQ_MONITOR_DISTRIBUTION,
	DQ_MONITOR_NUM_KINDS
} DqMonitorKind;

extern const char *const DqMonitorKindNames[DQ_MONITOR_NUM_KINDS];

/* A row of dq.monitor_definitions. */
typedef struct DqMonitorDef
{
	int64		id;
	Oid			relid;
	DqMonitorKind kind;
	int16		attnum;
	char	   *schema_name;	/* at definition time */
	char	   *table_name;
	char	   *column_name;
	Jsonb	   *options;
	Jsonb	   *state;
	Oid			owner;
	bool		enabled;
	char	   *status;
	bool		has_baseline;
	TimestampTz baseline_from;
} DqMonitorDef;

/* Option values a run needs, checked when the monitor is defined. */
typedef struct DqMonitorConfig
{
	/* detection (freshness, volume, column) */
	DqDetectOptions detect;
	/* freshness */
	char	   *source;			/* auto, stats, cdc or timestamp (freshness),
								 * auto, stats or cdc (volume) */
	char	   *timestamp_column;
	bool		allow_scan;
	bool		auto_min_stddev;	/* min_stddev from the poll spacing */
	/* volume */
	bool		exact;
	char	   *metric;
	/* column */
	List	   *metrics;		/* of char * */
	/* column and distribution */
	char	   *watermark;
	int64		bucket_usec;
	/* distribution */
	DqDriftOptions drift;
	bool		reference_baseline;
	int			baseline_buckets;
} DqMonitorConfig;

extern DqMonitorKind DqMonitorKindFromName(const char *name);
extern void DqMonitorConfigure(DqMonitorConfig *cfg, DqMonitorKind kind,
							   Jsonb *options, Oid relid, int16 attnum);
extern int16 DqMonitorColumnAttnum(Oid relid, const char *name,
								   const char *what);
extern bool DqMonitorHasLeadingIndex(Oid relid, int16 attnum);
extern bool DqMonitorWatched(Oid relid);
extern void DqMonitorNotWatched(Oid relid) pg_attribute_noreturn();

/* monitor_run.c */
extern int	DqMonitorRun(DqMonitorDef *def);
extern DqMonitorDef *DqMonitorFetch(int64 monitor_id);

#endif							/* DQ_MONITOR_MONITOR_H */
