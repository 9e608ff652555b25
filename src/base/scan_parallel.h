/*-------------------------------------------------------------------------
 *
 * scan_parallel.h
 *	  Parallel workers and JIT of the profile and validation scans.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SCAN_PARALLEL_H
#define DQ_SCAN_PARALLEL_H

extern void DqCapScanWorkers(void);

#endif							/* DQ_SCAN_PARALLEL_H */
