/*-------------------------------------------------------------------------
 *
 * ge_distribution.h
 *	  What the files of Great Expectations' distributional kinds share:
 *
 *	 ge_distribution.c	the kinds' table, the parameter checks and the
 *						scan's SQL (compile), and dq.sorted_values
 *	 ge_partition.c		the parameters read as GE reads them: partition
 *						objects, distributions, value counts; partitions
 *						joined, built from the data and written as JSON
 *	 ge_distribution_result.c
 *						the result of each test from what the scan computed
 *
 * Compiling and computing the result both read the parameters, with the
 * same checks, which is why the readers live in a file of their own.
 * Only these three files include this header.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_GE_DISTRIBUTION_H
#define DQ_GE_DISTRIBUTION_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "base/json_build.h"

/* the kinds' names, also the first argument of dq_internal.ge_distribution_result */
#define K_KL	"expect_column_kl_divergence_to_be_less_than"
#define K_CHI	"expect_column_chisquare_test_p_value_to_be_greater_than"
#define K_BOOT	"expect_column_bootstrapped_ks_test_p_value_to_be_greater_than"
#define K_PKS	"expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than"
#define K_PHI	"expect_column_pair_cramers_phi_value_to_be_less_than"

/* GE's partition object: categorical (values, weights) or continuous */
typedef struct DqPartition
{
	bool		categorical;
	int			n;				/* weights */
	double	   *weights;
	JsonbValue *values;			/* categorical: n values */
	double	   *bins;			/* continuous: n + 1 edges */
	bool		has_tail;
	double		tail[2];
} DqPartition;

/* the continuous distributions of the parameterized KS test */
typedef enum DqDist
{
	DQ_DIST_NORM,
	DQ_DIST_BETA,
	DQ_DIST_GAMMA,
	DQ_DIST_UNIFORM,
	DQ_DIST_CHI2,
	DQ_DIST_EXPON
} DqDist;

typedef struct DqDistSpec
{
	DqDist		dist;
	int			nshape;
	double		shape[2];
	double		loc;
	double		scale;
} DqDistSpec;

/* one entry of dq.value_counts' output */
typedef struct DqCount
{
	JsonbValue	value;
	double		count;
} DqCount;


/* parameters (ge_partition.c) */
extern void DqBadParam(const char *kind, const char *msg, const char *hint);
extern JsonbValue *DqGet(Jsonb *params, const char *key);
extern bool DqJsonNumber(const JsonbValue *v, double *out);
extern double DqNumberParam(const char *kind, Jsonb *params, const char *key,
							double dflt, bool *given);
extern JsonbValue *DqArrayElems(JsonbValue *v, int *n);
extern bool DqReadPartition(const char *kind, Jsonb *params, DqPartition *p);
extern double DqHoldout(const char *kind, Jsonb *params, const char *key);
extern void DqReadDistribution(const char *kind, Jsonb *params,
							   DqDistSpec *ds);
extern double DqDistCdf(const DqDistSpec *ds, double x);

/* value counts and partitions (ge_partition.c) */
extern DqCount *DqReadCounts(JsonbValue *arr, int *n);
extern double *DqBucketHistogram(const DqCount *vc, int nvc, int nb);
extern bool DqScalarEqual(JsonbValue *a, JsonbValue *b);
extern void DqAppendScalar(StringInfo buf, JsonbValue *v);
extern int	DqCountDesc(const void *a, const void *b);
extern int	DqDoubleCmp(const void *a, const void *b);
extern int	DqJoinCategorical(DqPartition *p, DqCount *vc, int nvc,
							  JsonbValue **values, double **obs, double **exp);
extern void DqAutoPartition(DqCount *vc, int nvc, double nonnull,
							DqPartition *p);
extern void DqFloatArray(DqJson *js, const char *key, const double *v, int n);
extern void DqValuesPartition(DqJson *js, const char *key, JsonbValue *values,
							  const double *w, int n);
extern void DqBinsPartition(DqJson *js, const char *key, const double *bins,
							int nbins, const double *w, int n,
							const double *tail);

#endif							/* DQ_GE_DISTRIBUTION_H */
