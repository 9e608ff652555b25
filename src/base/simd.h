/*-------------------------------------------------------------------------
 *
 * simd.h
 *	  The one switch between the SSE2 code paths and the portable ones.
 *
 * Files with a vector path include this header and test DQ_USE_SSE2; the
 * portable path beside it is always compiled and tested: building with
 * "make DQ_NO_SIMD=1" defines DQ_NO_SIMD and so selects it everywhere,
 * and the test command runs the regression suite against that build too.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SIMD_H
#define DQ_SIMD_H

#if defined(__SSE2__) && !defined(DQ_NO_SIMD)
#define DQ_USE_SSE2 1
#include <emmintrin.h>
#endif

#endif							/* DQ_SIMD_H */
