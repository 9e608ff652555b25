/*-------------------------------------------------------------------------
 *
 * governance.h
 *	  Expectation kinds about who may read data (governance.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_GOVERNANCE_H
#define DQ_GOVERNANCE_H

#include "expect/expectations.h"

extern bool DqCompileGovernanceKind(const DqColumnSource *src, DqRule *r);

#endif							/* DQ_GOVERNANCE_H */
