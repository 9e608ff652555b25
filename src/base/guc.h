/*-------------------------------------------------------------------------
 *
 * guc.h
 *	  Configuration parameters of dq_lineage (prefix "dq_lineage.").
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_GUC_H
#define DQ_GUC_H

#include "pgtime.h"

extern int	dq_profile_top_k;
extern int	dq_profile_histogram_buckets;
extern bool dq_detect_sensitive;
extern int	dq_scan_workers;
extern char *dq_timezone;
extern bool dq_scheduler_enabled;
extern int	dq_max_running_jobs;
extern int	dq_max_runs_per_role;
extern int	dq_job_run_retention;
extern bool dq_allow_superuser_jobs;
extern int	dq_max_databases;

extern bool dq_cdc_capture_row_images;
extern int	dq_cdc_max_lag;
extern int	dq_cdc_batch_size;
extern int	dq_cdc_naptime;

extern bool dq_lineage_capture_ddl;
extern bool dq_lineage_capture_dml;
extern int	dq_lineage_counters;
extern char *dq_lineage_openlineage_namespace;

extern bool dq_track_progress;
extern int	dq_progress_notice;
extern int	dq_stats_max;

extern void DqDefineGucs(void);
extern pg_tz *DqTimeZoneByName(const char *name, const char *hint);

#endif							/* DQ_GUC_H */
