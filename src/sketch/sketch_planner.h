/*-------------------------------------------------------------------------
 *
 * sketch_planner.h
 *	  The planner hook that lets Citus push the sketch aggregates down.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SKETCH_PLANNER_H
#define DQ_SKETCH_PLANNER_H

extern void DqSketchPlannerInit(void);

#endif							/* DQ_SKETCH_PLANNER_H */
