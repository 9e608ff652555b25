/*-------------------------------------------------------------------------
 *
 * scan_parallel.c
 *	  How many parallel workers the one-pass scans of dq.profile and
 *	  dq.validate may use.
 *
 * Both scans spend their time computing, not reading: a profile costs
 * several times a plain scan of the same rows.  The planner sizes parallel
 * scans by the table's size and max_parallel_workers_per_gather alone; on
 * a machine with few CPUs that can mean more busy processes than CPUs
 * (the leader takes part too), which then only take turns and evict each
 * other's sketches from the caches.  dq_lineage.scan_workers caps the
 * workers of these scans, by default at one fewer than the CPUs online
 * when the leader participates.
 *
 * JIT compilation is turned off for these scans too.  The planner turns it
 * on by the query's estimated cost, which for a large table is always
 * above jit_above_cost; but the expressions of these queries are mostly
 * calls of the extension's aggregates, which JIT cannot inline or speed
 * up, and compiling the many expressions of a wide profile or validation
 * costs hundreds of milliseconds that buy nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "optimizer/cost.h"
#include "optimizer/optimizer.h"

#include "base/catalog.h"
#include "base/guc.h"
#include "base/scan_parallel.h"

/*
 * Lower max_parallel_workers_per_gather for the scan about to run, and turn
 * JIT compilation off for it, until the caller's GUC nest level is closed.
 * Never raises the number of workers.
 */
void
DqCapScanWorkers(void)
{
	int			cap = dq_scan_workers;
	char		buf[16];

	DqSetLocalGuc("jit", "off");

	if (cap < 0)
	{
		long		ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		if (ncpu < 1)
			return;
		cap = (int) Min(ncpu, 1024) - (parallel_leader_participation ? 1 : 0);
	}
	if (cap >= max_parallel_workers_per_gather)
		return;
	snprintf(buf, sizeof(buf), "%d", cap);
	DqSetLocalGuc("max_parallel_workers_per_gather", buf);
}
