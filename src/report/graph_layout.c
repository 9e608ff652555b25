/*-------------------------------------------------------------------------
 *
 * graph_layout.c
 *	  Layered left-to-right layout of a lineage graph: relations are boxes
 *	  with one row (port) per column, edges join a column of one relation
 *	  to a column of another.
 *
 * The classic Sugiyama steps, kept small because a lineage neighbourhood
 * has tens of relations, not thousands:
 *
 * 1. Cycles (a table that feeds a table it reads from) are broken by a
 *    depth-first search: an edge back to a relation on the search stack
 *    is laid out as if reversed, and drawn from right to left.
 * 2. Layers by longest path, so that every edge points to the right; then
 *    relations that only feed others move right next to their first
 *    consumer, which keeps edges short.
 * 3. An edge that spans several layers gets a dummy node in each layer it
 *    passes, so that it is routed around boxes rather than through them.
 * 4. The order within each layer comes from barycenter sweeps, down and
 *    up, using the y position of the ports the edges attach to (not just
 *    the relation), keeping the order with the fewest crossings seen.
 *    Crossings between two layers are counted exactly, as inversions
 *    (merge sort, O(E log E)).
 * 5. y coordinates: every box moves toward the mean position its edges
 *    pull it to, then a forward and a backward pass restore the order and
 *    the gaps, and the two placements are averaged (both satisfy the
 *    spacing constraints, so their mean does too).  A few rounds of this
 *    straighten most edges.
 *
 * Everything is allocated in the caller's memory context.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <stdlib.h>

#include "report/graph_layout.h"

#define DQ_LAYOUT_MARGIN 12.0
#define DQ_LAYOUT_HGAP 72.0
#define DQ_LAYOUT_GAP 18.0
#define DQ_LAYOUT_DUMMY_GAP 8.0
#define DQ_LAYOUT_SWEEPS 16
#define DQ_LAYOUT_ROUNDS 12

typedef struct DqVNode
{
	int			real;			/* index into g->nodes, -1 for a dummy */
	int			layer;
	int			order;			/* position within the layer */
	double		height;
	double		y;
	double		key;			/* sort key of the current sweep */
} DqVNode;

typedef struct DqSeg
{
	int			left;			/* vnode in layer L */
	int			left_port;
	int			right;			/* vnode in layer L + 1 */
	int			right_port;
	int			edge;
} DqSeg;

typedef struct DqLayoutState
{
	DqLayout   *g;
	int			nv;
	DqVNode    *v;
	int			nsegs;
	DqSeg	   *segs;
	int		  **layer_nodes;	/* vnode ids per layer, in order */
	int		   *layer_size;
	/* segments touching each vnode on its left / right side */
	int		   *left_start;
	int		   *left_segs;
	int		   *right_start;
	int		   *right_segs;
	int			max_ports;
	/* per edge: its dummy nodes, chain_len of them from chain_start */
	int		   *chain_start;
	int		   *chain_len;
	/* x: one column per layer, as wide as its widest box */
	double	   *col_x;
	double	   *col_w;
} DqLayoutState;

/* Offset of a port from the top of its node. */
static double
DqPortOffset(const DqLayout *g, int real, int port)
{
	if (real < 0)
		return 0.0;
	if (port <= 0)
		return g->header_height / 2.0;
	return g->header_height + (port - 1) * g->row_height + g->row_height / 2.0;
}

/* y of a port of a real node, once laid out. */
double
DqLayoutPortY(const DqLayout *g, int node, int port)
{
	return g->nodes[node].y + DqPortOffset(g, node, port);
}

static double
DqVPortY(DqLayoutState *st, int vn, int port)
{
	return st->v[vn].y + DqPortOffset(st->g, st->v[vn].real, port);
}

/*
 * Edge e in the acyclic orientation: its source and target as laid out
 * (reversed edges swapped); false for a self loop, which has no layer
 * constraint.
 */
static bool
DqLayoutOriented(const DqLayout *g, const bool *reversed, int e, int *s, int *d)
{
	*s = g->edges[e].src;
	*d = g->edges[e].dst;
	if (*s == *d)
		return false;
	if (reversed[e])
	{
		int			t = *s;

		*s = *d;
		*d = t;
	}
	return true;
}

/*
 * Step 1: a depth-first search from every node in turn, the focus first;
 * an edge to a node on the search stack closes a cycle and is laid out
 * reversed.
 */
static void
DqLayoutBreakCycles(DqLayout *g, bool *reversed)
{
	int			n = g->nnodes;
	int		   *out_start = palloc0(sizeof(int) * (n + 1));
	int		   *out_edges = palloc(sizeof(int) * Max(g->nedges, 1));
	int		   *fill = palloc0(sizeof(int) * n);
	int		   *state = palloc0(sizeof(int) * n);
	int		   *stack = palloc(sizeof(int) * n);
	int		   *stack_pos = palloc(sizeof(int) * n);

	/* the outgoing edges of every node */
	for (int e = 0; e < g->nedges; e++)
		if (g->edges[e].src != g->edges[e].dst)
			out_start[g->edges[e].src + 1]++;
	for (int i = 0; i < n; i++)
		out_start[i + 1] += out_start[i];
	for (int e = 0; e < g->nedges; e++)
	{
		int			s = g->edges[e].src;

		if (s != g->edges[e].dst)
			out_edges[out_start[s] + fill[s]++] = e;
	}

	for (int i = 0; i < n; i++)
	{
		int			depth;

		if (state[i] != 0)
			continue;
		state[i] = 1;
		stack[0] = i;
		stack_pos[0] = 0;
		depth = 1;
		while (depth > 0)
		{
			int			u = stack[depth - 1];

			if (stack_pos[depth - 1] < out_start[u + 1] - out_start[u])
			{
				int			ed = out_edges[out_start[u] + stack_pos[depth - 1]++];
				int			w = g->edges[ed].dst;

				if (state[w] == 1)
					reversed[ed] = true;
				else if (state[w] == 0)
				{
					state[w] = 1;
					stack[depth] = w;
					stack_pos[depth] = 0;
					depth++;
				}
			}
			else
			{
				state[u] = 2;
				depth--;
			}
		}
	}
}

/*
 * Step 2: layers by longest path over the acyclic orientation; returns the
 * nodes in topological order (*ntopo of them) and marks those with a
 * predecessor.
 */
static int *
DqLayoutLongestPath(DqLayout *g, const bool *reversed, bool *has_pred, int *ntopo)
{
	int			n = g->nnodes;
	int		   *indeg = palloc0(sizeof(int) * n);
	int		   *queue = palloc(sizeof(int) * n);
	int		   *topo = palloc(sizeof(int) * n);
	int			qhead = 0,
				qtail = 0;
	int			s,
				d;

	*ntopo = 0;
	for (int e = 0; e < g->nedges; e++)
	{
		if (!DqLayoutOriented(g, reversed, e, &s, &d))
			continue;
		indeg[d]++;
		has_pred[d] = true;
	}
	for (int i = 0; i < n; i++)
	{
		g->nodes[i].layer = 0;
		if (indeg[i] == 0)
			queue[qtail++] = i;
	}
	while (qhead < qtail)
	{
		int			u = queue[qhead++];

		topo[(*ntopo)++] = u;
		for (int e = 0; e < g->nedges; e++)
		{
			if (!DqLayoutOriented(g, reversed, e, &s, &d) || s != u)
				continue;
			g->nodes[d].layer = Max(g->nodes[d].layer, g->nodes[u].layer + 1);
			if (--indeg[d] == 0)
				queue[qtail++] = d;
		}
	}
	return topo;
}

/*
 * Steps 1 and 2: which edges are laid out reversed, and the layer of
 * every node; relations that only feed others then move right, next to
 * their first consumer, and the layers are numbered from 0.
 */
static void
DqLayoutLayers(DqLayout *g, bool *reversed)
{
	int			n = g->nnodes;
	bool	   *has_pred = palloc0(sizeof(bool) * n);
	int			ntopo;
	int		   *topo;
	int			minlayer = INT_MAX,
				maxlayer = 0;
	int			s,
				d;

	DqLayoutBreakCycles(g, reversed);
	topo = DqLayoutLongestPath(g, reversed, has_pred, &ntopo);
	for (int i = ntopo - 1; i >= 0; i--)
	{
		int			u = topo[i];
		int			best = INT_MAX;

		if (has_pred[u])
			continue;
		for (int e = 0; e < g->nedges; e++)
			if (DqLayoutOriented(g, reversed, e, &s, &d) && s == u)
				best = Min(best, g->nodes[d].layer - 1);
		if (best != INT_MAX)
			g->nodes[u].layer = best;
	}
	for (int i = 0; i < n; i++)
	{
		minlayer = Min(minlayer, g->nodes[i].layer);
		maxlayer = Max(maxlayer, g->nodes[i].layer);
	}
	for (int i = 0; i < n; i++)
		g->nodes[i].layer -= minlayer;
	g->nlayers = (n > 0) ? maxlayer - minlayer + 1 : 0;
}

/* Merge sort of keys counting inversions (pairs out of order). */
static int64
DqCountInversions(int64 *keys, int64 *tmp, int n)
{
	int64		count = 0;
	int			mid,
				i,
				j,
				k;

	if (n < 2)
		return 0;
	mid = n / 2;
	count += DqCountInversions(keys, tmp, mid);
	count += DqCountInversions(keys + mid, tmp, n - mid);
	i = 0;
	j = mid;
	k = 0;
	while (i < mid && j < n)
	{
		if (keys[j] < keys[i])
		{
			count += mid - i;
			tmp[k++] = keys[j++];
		}
		else
			tmp[k++] = keys[i++];
	}
	while (i < mid)
		tmp[k++] = keys[i++];
	while (j < n)
		tmp[k++] = keys[j++];
	memcpy(keys, tmp, sizeof(int64) * n);
	return count;
}

typedef struct DqSegKey
{
	int64		left;
	int64		right;
} DqSegKey;

static int
DqSegKeyCmp(const void *a, const void *b)
{
	const DqSegKey *x = a;
	const DqSegKey *y = b;

	if (x->left != y->left)
		return x->left < y->left ? -1 : 1;
	if (x->right != y->right)
		return x->right < y->right ? -1 : 1;
	return 0;
}

/* Edge crossings between every pair of adjacent layers, in the current order. */
static int64
DqCountCrossings(DqLayoutState *st)
{
	DqSegKey   *keys = palloc(sizeof(DqSegKey) * Max(st->nsegs, 1));
	int64	   *rights = palloc(sizeof(int64) * Max(st->nsegs, 1));
	int64	   *tmp = palloc(sizeof(int64) * Max(st->nsegs, 1));
	int64		total = 0;
	int			layer;
	int64		P = st->max_ports + 1;

	for (layer = 0; layer + 1 < st->g->nlayers; layer++)
	{
		int			m = 0;
		int			s;

		for (s = 0; s < st->nsegs; s++)
		{
			DqSeg	   *sg = &st->segs[s];

			if (st->v[sg->left].layer != layer)
				continue;
			keys[m].left = st->v[sg->left].order * P + sg->left_port;
			keys[m].right = st->v[sg->right].order * P + sg->right_port;
			m++;
		}
		qsort(keys, m, sizeof(DqSegKey), DqSegKeyCmp);
		for (s = 0; s < m; s++)
			rights[s] = keys[s].right;
		total += DqCountInversions(rights, tmp, m);
	}
	pfree(keys);
	pfree(rights);
	pfree(tmp);
	return total;
}

/* Stack the nodes of a layer from the top, in order. */
static void
DqStackLayer(DqLayoutState *st, int layer)
{
	double		y = 0;
	int			i;

	for (i = 0; i < st->layer_size[layer]; i++)
	{
		DqVNode    *vn = &st->v[st->layer_nodes[layer][i]];

		vn->order = i;
		vn->y = y;
		y += vn->height + (vn->real < 0 ? DQ_LAYOUT_DUMMY_GAP : DQ_LAYOUT_GAP);
	}
}

/*
 * Where the edges on one side (or both) pull a node's top: the mean of
 * (neighbour's port y - own port offset); its current y when it has no
 * edge on that side.
 */
static double
DqDesiredY(DqLayoutState *st, int vn, bool use_left, bool use_right)
{
	double		sum = 0;
	int			cnt = 0;
	int			side;

	for (side = 0; side < 2; side++)
	{
		bool		left = side == 0;
		const int  *start = left ? st->left_start : st->right_start;
		const int  *segs = left ? st->left_segs : st->right_segs;
		int			k;

		if (!(left ? use_left : use_right))
			continue;
		for (k = start[vn]; k < start[vn + 1]; k++)
		{
			DqSeg	   *sg = &st->segs[segs[k]];

			/* the neighbour is the segment's other end */
			sum += DqVPortY(st, left ? sg->left : sg->right,
							left ? sg->left_port : sg->right_port) -
				DqPortOffset(st->g, st->v[vn].real, left ? sg->right_port : sg->left_port);
			cnt++;
		}
	}
	return cnt > 0 ? sum / cnt : st->v[vn].y;
}

static int
DqVNodeKeyCmp(const void *a, const void *b, void *arg)
{
	const DqLayoutState *st = arg;
	const DqVNode *x = &st->v[*(const int *) a];
	const DqVNode *y = &st->v[*(const int *) b];

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->order - y->order;
}

/* Reorder one layer by the barycenters of its edges on one side. */
static void
DqSweepLayer(DqLayoutState *st, int layer, bool from_left)
{
	int			i;

	for (i = 0; i < st->layer_size[layer]; i++)
	{
		int			vn = st->layer_nodes[layer][i];

		st->v[vn].key = DqDesiredY(st, vn, from_left, !from_left);
	}
	qsort_arg(st->layer_nodes[layer], st->layer_size[layer], sizeof(int),
			  DqVNodeKeyCmp, st);
	DqStackLayer(st, layer);
}

/* Step 5: move the nodes of a layer toward their edges, keeping order and gaps. */
static void
DqPlaceLayer(DqLayoutState *st, int layer)
{
	int			m = st->layer_size[layer];
	int		   *ids = st->layer_nodes[layer];
	double	   *want = palloc(sizeof(double) * m);
	double	   *fwd = palloc(sizeof(double) * m);
	double	   *bwd = palloc(sizeof(double) * m);
	int			i;

	if (m == 0)
		return;
	for (i = 0; i < m; i++)
		want[i] = DqDesiredY(st, ids[i], true, true);
	for (i = 0; i < m; i++)
	{
		fwd[i] = want[i];
		if (i > 0)
		{
			DqVNode    *p = &st->v[ids[i - 1]];
			double		sep = p->height + ((p->real < 0 && st->v[ids[i]].real < 0) ?
										   DQ_LAYOUT_DUMMY_GAP : DQ_LAYOUT_GAP);

			fwd[i] = Max(fwd[i], fwd[i - 1] + sep);
		}
	}
	for (i = m - 1; i >= 0; i--)
	{
		bwd[i] = want[i];
		if (i < m - 1)
		{
			DqVNode    *c = &st->v[ids[i]];
			double		sep = c->height + ((c->real < 0 && st->v[ids[i + 1]].real < 0) ?
										   DQ_LAYOUT_DUMMY_GAP : DQ_LAYOUT_GAP);

			bwd[i] = Min(bwd[i], bwd[i + 1] - sep);
		}
	}
	for (i = 0; i < m; i++)
		st->v[ids[i]].y = (fwd[i] + bwd[i]) / 2.0;
	pfree(want);
	pfree(fwd);
	pfree(bwd);
}

/*
 * Step 3: virtual nodes (the real ones, then a dummy in every layer a long
 * edge passes) and the segments between adjacent layers.
 */
static void
DqLayoutVirtual(DqLayoutState *st)
{
	DqLayout   *g = st->g;
	int			e;

	st->chain_start = palloc(sizeof(int) * Max(g->nedges, 1));
	st->chain_len = palloc0(sizeof(int) * Max(g->nedges, 1));
	st->nv = g->nnodes;
	for (e = 0; e < g->nedges; e++)
	{
		DqLayoutEdge *ed = &g->edges[e];
		int			span = abs(g->nodes[ed->src].layer - g->nodes[ed->dst].layer);

		ed->self_loop = (ed->src == ed->dst);
		ed->backward = !ed->self_loop &&
			g->nodes[ed->src].layer > g->nodes[ed->dst].layer;
		st->chain_start[e] = st->nv;
		st->chain_len[e] = ed->self_loop ? 0 : span - 1;
		st->nv += st->chain_len[e];
		if (!ed->self_loop)
			st->nsegs += span;
	}
	st->v = palloc0(sizeof(DqVNode) * st->nv);
	st->segs = palloc0(sizeof(DqSeg) * Max(st->nsegs, 1));
	for (int i = 0; i < g->nnodes; i++)
	{
		st->v[i].real = i;
		st->v[i].layer = g->nodes[i].layer;
		st->v[i].height = g->nodes[i].height;
	}
	st->nsegs = 0;
	for (e = 0; e < g->nedges; e++)
	{
		DqLayoutEdge *ed = &g->edges[e];
		int			lo_node = ed->backward ? ed->dst : ed->src;
		int			lo_port = ed->backward ? ed->dst_port : ed->src_port;
		int			hi_node = ed->backward ? ed->src : ed->dst;
		int			hi_port = ed->backward ? ed->src_port : ed->dst_port;
		int			prev = lo_node;
		int			prev_port = lo_port;

		if (ed->self_loop)
			continue;
		for (int k = 0; k <= st->chain_len[e]; k++)
		{
			bool		dummy = k < st->chain_len[e];
			int			next = dummy ? st->chain_start[e] + k : hi_node;
			int			next_port = dummy ? 0 : hi_port;
			DqSeg	   *sg = &st->segs[st->nsegs++];

			if (dummy)
			{
				st->v[next].real = -1;
				st->v[next].layer = g->nodes[lo_node].layer + k + 1;
				st->v[next].height = 0;
			}
			sg->left = prev;
			sg->left_port = prev_port;
			sg->right = next;
			sg->right_port = next_port;
			sg->edge = e;
			prev = next;
			prev_port = next_port;
		}
	}
}

/* The segments touching each virtual node on its left and right side. */
static void
DqLayoutIndexSegments(DqLayoutState *st)
{
	int		   *lf = palloc0(sizeof(int) * st->nv);
	int		   *rf = palloc0(sizeof(int) * st->nv);

	st->left_start = palloc0(sizeof(int) * (st->nv + 1));
	st->right_start = palloc0(sizeof(int) * (st->nv + 1));
	st->left_segs = palloc(sizeof(int) * Max(st->nsegs, 1));
	st->right_segs = palloc(sizeof(int) * Max(st->nsegs, 1));
	for (int s = 0; s < st->nsegs; s++)
	{
		st->left_start[st->segs[s].right + 1]++;
		st->right_start[st->segs[s].left + 1]++;
	}
	for (int i = 0; i < st->nv; i++)
	{
		st->left_start[i + 1] += st->left_start[i];
		st->right_start[i + 1] += st->right_start[i];
	}
	for (int s = 0; s < st->nsegs; s++)
	{
		int			r = st->segs[s].right,
					l = st->segs[s].left;

		st->left_segs[st->left_start[r] + lf[r]++] = s;
		st->right_segs[st->right_start[l] + rf[l]++] = s;
	}
}

/* The virtual nodes of every layer, in input order, stacked. */
static void
DqLayoutFillLayers(DqLayoutState *st)
{
	int			nlayers = st->g->nlayers;

	st->layer_nodes = palloc(sizeof(int *) * nlayers);
	st->layer_size = palloc0(sizeof(int) * nlayers);
	for (int i = 0; i < st->nv; i++)
		st->layer_size[st->v[i].layer]++;
	for (int layer = 0; layer < nlayers; layer++)
	{
		st->layer_nodes[layer] = palloc(sizeof(int) * Max(st->layer_size[layer], 1));
		st->layer_size[layer] = 0;
	}
	for (int i = 0; i < st->nv; i++)
		st->layer_nodes[st->v[i].layer][st->layer_size[st->v[i].layer]++] = i;
	for (int layer = 0; layer < nlayers; layer++)
		DqStackLayer(st, layer);
}

/* Copy the order of every layer into (or out of) saved. */
static void
DqLayoutSaveOrder(DqLayoutState *st, int **saved, bool restore)
{
	for (int layer = 0; layer < st->g->nlayers; layer++)
	{
		if (restore)
			memcpy(st->layer_nodes[layer], saved[layer], sizeof(int) * st->layer_size[layer]);
		else
			memcpy(saved[layer], st->layer_nodes[layer], sizeof(int) * st->layer_size[layer]);
	}
}

/*
 * Step 4: barycenter sweeps, down and up, keeping the order with the
 * fewest crossings seen.
 */
static void
DqLayoutOrder(DqLayoutState *st)
{
	DqLayout   *g = st->g;
	int		  **best_order = palloc(sizeof(int *) * g->nlayers);
	int64		best_crossings;

	for (int layer = 0; layer < g->nlayers; layer++)
		best_order[layer] = palloc(sizeof(int) * Max(st->layer_size[layer], 1));
	best_crossings = DqCountCrossings(st);
	DqLayoutSaveOrder(st, best_order, false);
	for (int it = 0; it < DQ_LAYOUT_SWEEPS && best_crossings > 0; it++)
	{
		int64		c;

		if (it % 2 == 0)
			for (int layer = 1; layer < g->nlayers; layer++)
				DqSweepLayer(st, layer, true);
		else
			for (int layer = g->nlayers - 2; layer >= 0; layer--)
				DqSweepLayer(st, layer, false);
		c = DqCountCrossings(st);
		if (c < best_crossings)
		{
			best_crossings = c;
			DqLayoutSaveOrder(st, best_order, false);
		}
	}
	DqLayoutSaveOrder(st, best_order, true);
	for (int layer = 0; layer < g->nlayers; layer++)
		DqStackLayer(st, layer);
	g->crossings = (int) Min(best_crossings, (int64) INT_MAX);
}

/* Step 5: y coordinates, and the height of the drawing. */
static void
DqLayoutPlace(DqLayoutState *st)
{
	DqLayout   *g = st->g;
	double		miny;
	double		maxy;

	for (int it = 0; it < DQ_LAYOUT_ROUNDS; it++)
	{
		if (it % 2 == 0)
			for (int layer = 0; layer < g->nlayers; layer++)
				DqPlaceLayer(st, layer);
		else
			for (int layer = g->nlayers - 1; layer >= 0; layer--)
				DqPlaceLayer(st, layer);
	}
	miny = st->v[0].y;
	maxy = st->v[0].y + st->v[0].height;
	for (int i = 0; i < st->nv; i++)
	{
		miny = Min(miny, st->v[i].y);
		maxy = Max(maxy, st->v[i].y + st->v[i].height);
	}
	for (int i = 0; i < st->nv; i++)
		st->v[i].y += DQ_LAYOUT_MARGIN - miny;
	g->height = maxy - miny + 2 * DQ_LAYOUT_MARGIN;
}

/* x: one column per layer, as wide as its widest box; the drawing's width. */
static void
DqLayoutColumns(DqLayoutState *st)
{
	DqLayout   *g = st->g;

	st->col_x = palloc(sizeof(double) * g->nlayers);
	st->col_w = palloc0(sizeof(double) * g->nlayers);
	for (int i = 0; i < g->nnodes; i++)
		st->col_w[g->nodes[i].layer] = Max(st->col_w[g->nodes[i].layer], g->nodes[i].width);
	for (int layer = 0; layer < g->nlayers; layer++)
	{
		if (st->col_w[layer] == 0)
			st->col_w[layer] = 24;
		st->col_x[layer] = (layer == 0) ? DQ_LAYOUT_MARGIN :
			st->col_x[layer - 1] + st->col_w[layer - 1] + DQ_LAYOUT_HGAP;
	}
	g->width = st->col_x[g->nlayers - 1] + st->col_w[g->nlayers - 1] + DQ_LAYOUT_MARGIN;
	for (int i = 0; i < g->nnodes; i++)
	{
		g->nodes[i].x = st->col_x[g->nodes[i].layer] +
			(st->col_w[g->nodes[i].layer] - g->nodes[i].width) / 2.0;
		g->nodes[i].y = st->v[i].y;
	}
	/* self loops bulge to the right of the last column */
	for (int e = 0; e < g->nedges; e++)
		if (g->edges[e].self_loop)
		{
			g->width += 24;
			break;
		}
}

/*
 * The polyline of edge e, from the source port to the target port,
 * through its dummy nodes; a backward edge leaves its source on the left.
 */
static void
DqLayoutPolyline(DqLayoutState *st, int e)
{
	DqLayout   *g = st->g;
	DqLayoutEdge *ed = &g->edges[e];
	DqLayoutNode *s = &g->nodes[ed->src];
	DqLayoutNode *d = &g->nodes[ed->dst];
	int			n = st->chain_len[e];
	int			np = 0;

	if (ed->self_loop)
	{
		ed->npoints = 2;
		ed->px = palloc(sizeof(double) * 2);
		ed->py = palloc(sizeof(double) * 2);
		ed->px[0] = ed->px[1] = s->x + s->width;
		ed->py[0] = DqLayoutPortY(g, ed->src, ed->src_port);
		ed->py[1] = DqLayoutPortY(g, ed->dst, ed->dst_port);
		return;
	}
	ed->npoints = 2 + 2 * n;
	ed->px = palloc(sizeof(double) * ed->npoints);
	ed->py = palloc(sizeof(double) * ed->npoints);
	ed->px[np] = ed->backward ? s->x : s->x + s->width;
	ed->py[np++] = DqLayoutPortY(g, ed->src, ed->src_port);
	for (int k = 0; k < n; k++)
	{
		DqVNode    *dv = &st->v[st->chain_start[e] + (ed->backward ? n - 1 - k : k)];
		double		left = st->col_x[dv->layer];
		double		right = st->col_x[dv->layer] + st->col_w[dv->layer];

		ed->px[np] = ed->backward ? right : left;
		ed->py[np++] = dv->y;
		ed->px[np] = ed->backward ? left : right;
		ed->py[np++] = dv->y;
	}
	ed->px[np] = ed->backward ? d->x + d->width : d->x;
	ed->py[np++] = DqLayoutPortY(g, ed->dst, ed->dst_port);
}

/*
 * Lay the graph out: sets every node's layer, x, y and height, every
 * edge's polyline, and the size of the drawing.
 */
void
DqLayoutRun(DqLayout *g)
{
	DqLayoutState st;
	bool	   *reversed = palloc0(sizeof(bool) * Max(g->nedges, 1));

	memset(&st, 0, sizeof(st));
	st.g = g;
	for (int i = 0; i < g->nnodes; i++)
	{
		g->nodes[i].height = g->header_height +
			Max(g->nodes[i].nports - 1, 0) * g->row_height;
		st.max_ports = Max(st.max_ports, g->nodes[i].nports);
	}
	if (g->nnodes == 0)
	{
		g->nlayers = 0;
		g->crossings = 0;
		g->width = g->height = 2 * DQ_LAYOUT_MARGIN;
		return;
	}
	DqLayoutLayers(g, reversed);
	DqLayoutVirtual(&st);
	DqLayoutIndexSegments(&st);
	DqLayoutFillLayers(&st);
	DqLayoutOrder(&st);
	DqLayoutPlace(&st);
	DqLayoutColumns(&st);
	for (int e = 0; e < g->nedges; e++)
		DqLayoutPolyline(&st, e);
}
