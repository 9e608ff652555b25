/*-------------------------------------------------------------------------
 *
 * ge_distribution.h
 *	  Great Expectations' distributional kinds (ge_distribution.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_GE_DISTRIBUTION_H
#define DQ_GE_DISTRIBUTION_H

#include "postgres.h"

#include "expect/expectations.h"

/*
 * Check the parameters of a distributional kind and write its SQL
 * (r->agg_sql); false when r is of another kind.
 */
extern bool DqCompileGeDistribution(const DqColumnSource *src, DqRule *r);

#endif							/* DQ_GE_DISTRIBUTION_H */
