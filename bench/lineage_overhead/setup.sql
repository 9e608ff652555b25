-- Tables of bench/lineage_overhead: sinks for the INSERT ... SELECT-heavy
-- script (insert_select.pgbench) and the per-branch totals it updates.
CREATE TABLE bench_sink (aid int, abalance int);
CREATE TABLE bench_sink_joined (aid int, bid int, total bigint, filler text);
CREATE TABLE bench_branch_totals (bid int PRIMARY KEY, total bigint, runs bigint);
INSERT INTO bench_branch_totals SELECT bid, 0, 0 FROM pgbench_branches;
