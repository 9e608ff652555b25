/*-------------------------------------------------------------------------
 *
 * graph_layout.h
 *	  Layered (Sugiyama-style) left-to-right layout of a graph whose nodes
 *	  are boxes with ports, one per row: relations and their columns.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_GRAPH_LAYOUT_H
#define DQ_GRAPH_LAYOUT_H

#include "postgres.h"

typedef struct DqLayoutNode
{
	/* input */
	int			nports;			/* port 0 is the header, 1.. the rows */
	double		width;
	/* output */
	int			layer;
	double		x;
	double		y;
	double		height;
} DqLayoutNode;

typedef struct DqLayoutEdge
{
	/* input */
	int			src;
	int			src_port;
	int			dst;
	int			dst_port;
	/* output: the polyline from the source port to the target port */
	int			npoints;
	double	   *px;
	double	   *py;
	bool		backward;		/* drawn from right to left (a cycle) */
	bool		self_loop;
} DqLayoutEdge;

typedef struct DqLayout
{
	/* input */
	int			nnodes;
	DqLayoutNode *nodes;
	int			nedges;
	DqLayoutEdge *edges;
	double		header_height;
	double		row_height;
	/* output */
	int			nlayers;
	int			crossings;		/* edge crossings between adjacent layers */
	double		width;
	double		height;
} DqLayout;

extern void DqLayoutRun(DqLayout *g);
extern double DqLayoutPortY(const DqLayout *g, int node, int port);

#endif							/* DQ_GRAPH_LAYOUT_H */
