/*-------------------------------------------------------------------------
 *
 * guc.h
 *	  Configuration parameters of dq_lineage (prefix "dq_lineage.").
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_GUC_H
#define DQ_GUC_H

extern int	dq_profile_top_k;
extern int	dq_profile_histogram_buckets;

extern bool dq_lineage_capture_ddl;
extern bool dq_lineage_capture_dml;
extern char *dq_lineage_openlineage_namespace;

extern void DqDefineGucs(void);

#endif							/* DQ_GUC_H */
