/*-------------------------------------------------------------------------
 *
 * profile_agg.h
 *	  The per-column profile aggregate dq.column_profile(anyelement).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_PROFILE_AGG_H
#define DQ_PROFILE_AGG_H

#include "postgres.h"

/* quantiles every numeric and date/time profile reports */
#define DQ_NUM_PROFILE_QUANTILES 7
extern const double DqProfileQuantiles[DQ_NUM_PROFILE_QUANTILES];
extern const char *const DqProfileQuantileNames[DQ_NUM_PROFILE_QUANTILES];

#endif							/* DQ_PROFILE_AGG_H */
