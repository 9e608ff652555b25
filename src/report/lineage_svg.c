/*-------------------------------------------------------------------------
 *
 * lineage_svg.c
 *	  The column lineage around a relation drawn as SVG, laid out by
 *	  graph_layout.c: dq.lineage_svg() and the lineage section of the HTML
 *	  report.
 *
 * The edges are read from dq.column_lineage with the caller's rights
 * (lineage is metadata that every role may read, as pg_depend is), with
 * SQL that the extension wrote; the function runs with search_path pinned
 * by its SQL definition.  Relations are boxes whose rows are the columns
 * that take part in an edge; an edge of the whole relation (count(*), a
 * filter) attaches to the box's header.  DIRECT edges are solid, INDIRECT
 * dashed, masking ones drawn in another colour; several edges between the
 * same two columns of the same type are drawn once, their subtypes listed
 * in the tooltip.  The drawing carries presentation attributes, so it
 * renders the same alone (an .svg file, a BI panel) and inside the report,
 * and data-* attributes saying how many relations, layers and crossings
 * it has, for tests and for the curious.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"

#include "base/spi_util.h"
#include "report/graph_layout.h"
#include "report/html.h"
#include "report/report.h"

PG_FUNCTION_INFO_V1(dq_lineage_svg);

#define DQ_LSVG_CHAR_W 7.2		/* 12px monospace */
#define DQ_LSVG_NAME_CLIP 40
#define DQ_LSVG_HEADER 22.0
#define DQ_LSVG_ROW 17.0
#define DQ_LSVG_LEGEND 22.0

typedef struct DqLNode
{
	Oid			relid;			/* hash key */
	int			index;
	char	   *label;			/* schema.table */
	int			ncols;
	int			maxcols;
	int16	   *attnums;		/* sorted, distinct; 0 is the header */
	char	  **colnames;
} DqLNode;

typedef struct DqLEdge
{
	DqLNode    *src;
	int16		src_attnum;
	DqLNode    *dst;
	int16		dst_attnum;
	bool		direct;
	bool		masking;
	char	   *title;
} DqLEdge;

/*
 * Every edge of the lineage graph, one per column pair and lineage type,
 * with current names (quoted as in SQL) and how it flows.
 */
static const char *dq_lineage_edges_sql =
"SELECT l.source_relid, l.source_attnum,"
"       pg_catalog.quote_ident(l.source_schema) OPERATOR(pg_catalog.||) '.'"
"         OPERATOR(pg_catalog.||) pg_catalog.quote_ident(l.source_table),"
"       l.source_column,"
"       l.target_relid, l.target_attnum,"
"       pg_catalog.quote_ident(l.target_schema) OPERATOR(pg_catalog.||) '.'"
"         OPERATOR(pg_catalog.||) pg_catalog.quote_ident(l.target_table),"
"       l.target_column,"
"       l.lineage_type OPERATOR(pg_catalog.=) 'DIRECT', pg_catalog.bool_or(l.masking),"
"       pg_catalog.string_agg(DISTINCT pg_catalog.lower(l.subtype) OPERATOR(pg_catalog.||)"
"         CASE WHEN l.masking THEN ' (masking)' ELSE '' END"
"         OPERATOR(pg_catalog.||) ' by ' OPERATOR(pg_catalog.||) l.origin, ', ')"
"  FROM dq.column_lineage l"
" WHERE NOT l.dropped"
" GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
" ORDER BY 3, 2, 7, 6, 9";

/* Name of the relation (for a focus without edges). */
static const char *dq_lineage_relname_sql =
"SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.'"
"       OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname)"
"  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
"    ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
" WHERE c.oid OPERATOR(pg_catalog.=) $1";

/* One edge of the graph as read. */
typedef struct DqLineageRow
{
	Oid			src;
	int16		src_attnum;
	char	   *src_label;
	char	   *src_column;
	Oid			dst;
	int16		dst_attnum;
	char	   *dst_label;
	char	   *dst_column;
	bool		direct;
	bool		masking;
	char	   *how;
} DqLineageRow;

struct DqLineageGraph
{
	int			nrows;
	DqLineageRow *rows;
};

/*
 * Read every edge of the lineage graph (the caller is connected to SPI);
 * the result lives in the current memory context.
 */
DqLineageGraph *
DqLineageLoad(void)
{
	DqLineageGraph *lg = palloc0(sizeof(DqLineageGraph));
	MemoryContext cxt = CurrentMemoryContext;
	int			i;

	lg->nrows = DqSpiRun(dq_lineage_edges_sql, true, SPI_OK_SELECT,
						 "read the lineage graph");
	lg->rows = MemoryContextAllocZero(cxt, sizeof(DqLineageRow) * Max(lg->nrows, 1));
	for (i = 0; i < lg->nrows; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		DqLineageRow *r = &lg->rows[i];
		bool		isnull;

		r->src = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		r->src_attnum = DatumGetInt16(SPI_getbinval(tup, desc, 2, &isnull));
		r->src_label = DqSpiText(i, 3);
		r->src_column = DqSpiText(i, 4);
		r->dst = DatumGetObjectId(SPI_getbinval(tup, desc, 5, &isnull));
		r->dst_attnum = DatumGetInt16(SPI_getbinval(tup, desc, 6, &isnull));
		r->dst_label = DqSpiText(i, 7);
		r->dst_column = DqSpiText(i, 8);
		r->direct = DatumGetBool(SPI_getbinval(tup, desc, 9, &isnull));
		r->masking = DatumGetBool(SPI_getbinval(tup, desc, 10, &isnull));
		r->how = DqSpiText(i, 11);
	}
	SPI_freetuptable(SPI_tuptable);
	return lg;
}

/* A relation of the neighbourhood and its distance from the focus. */
typedef struct DqReach
{
	Oid			relid;
	int			depth;
} DqReach;

static int
DqReachFind(DqReach *reach, int n, Oid relid)
{
	int			i;

	for (i = 0; i < n; i++)
		if (reach[i].relid == relid)
			return i;
	return -1;
}

static int
DqReachCmp(const void *a, const void *b)
{
	const DqReach *x = a;
	const DqReach *y = b;

	if (x->depth != y->depth)
		return x->depth - y->depth;
	return (x->relid < y->relid) ? -1 : (x->relid > y->relid);
}

/*
 * The relations within max_depth steps upstream or downstream of relid,
 * the nearest first (breadth-first, both directions), at most
 * max_relations of them.
 */
static DqReach *
DqLineageNeighbourhood(DqLineageGraph *lg, Oid relid, int max_depth,
					   int max_relations, int *nreach)
{
	DqReach    *reach = palloc(sizeof(DqReach) * (2 * lg->nrows + 1));
	int			n = 0;
	int			dir;

	reach[n].relid = relid;
	reach[n++].depth = 0;
	for (dir = 0; dir < 2; dir++)
	{
		/* frontier: the relations reached at the previous depth, this direction */
		Oid		   *frontier = palloc(sizeof(Oid) * (lg->nrows + 1));
		Oid		   *next = palloc(sizeof(Oid) * (lg->nrows + 1));
		int			nf = 1;
		int			depth;

		frontier[0] = relid;
		for (depth = 1; depth <= max_depth && nf > 0; depth++)
		{
			int			i,
						k;
			int			nn = 0;

			for (i = 0; i < lg->nrows; i++)
			{
				DqLineageRow *r = &lg->rows[i];
				Oid			near = dir == 0 ? r->dst : r->src;
				Oid			far = dir == 0 ? r->src : r->dst;
				int			at;

				for (k = 0; k < nf; k++)
					if (frontier[k] == near)
						break;
				if (k == nf)
					continue;
				at = DqReachFind(reach, n, far);
				if (at < 0)
				{
					reach[n].relid = far;
					reach[n++].depth = depth;
				}
				for (k = 0; k < nn; k++)
					if (next[k] == far)
						break;
				if (k == nn)
					next[nn++] = far;
			}
			memcpy(frontier, next, sizeof(Oid) * nn);
			nf = nn;
		}
		pfree(frontier);
		pfree(next);
	}
	qsort(reach, n, sizeof(DqReach), DqReachCmp);
	*nreach = Min(n, max_relations);
	return reach;
}

/* The node of a relation, made on first use. */
static DqLNode *
DqLineageNode(HTAB *nodes, int *nnodes, Oid relid, const char *label)
{
	bool		found;
	DqLNode    *n = hash_search(nodes, &relid, HASH_ENTER, &found);

	if (!found)
	{
		n->index = (*nnodes)++;
		n->label = pstrdup(label ? label : "?");
		n->ncols = 0;
		n->maxcols = 8;
		n->attnums = palloc(sizeof(int16) * n->maxcols);
		n->colnames = palloc(sizeof(char *) * n->maxcols);
	}
	return n;
}

/* Record that a column (0: the relation) of a node takes part in an edge. */
static void
DqLineageNodeColumn(DqLNode *n, int16 attnum, const char *name)
{
	int			i;

	for (i = 0; i < n->ncols; i++)
		if (n->attnums[i] == attnum)
			return;
	if (n->ncols == n->maxcols)
	{
		n->maxcols *= 2;
		n->attnums = repalloc(n->attnums, sizeof(int16) * n->maxcols);
		n->colnames = repalloc(n->colnames, sizeof(char *) * n->maxcols);
	}
	/* insertion keeps attnum order */
	i = n->ncols;
	while (i > 0 && n->attnums[i - 1] > attnum)
	{
		n->attnums[i] = n->attnums[i - 1];
		n->colnames[i] = n->colnames[i - 1];
		i--;
	}
	n->attnums[i] = attnum;
	n->colnames[i] = pstrdup(name ? name : "?");
	n->ncols++;
}

/* Port of a column: 0 for the header, else its row (1-based, no header row). */
static int
DqLineagePort(DqLNode *n, int16 attnum)
{
	int			i,
				row = 0;

	if (attnum == 0)
		return 0;
	for (i = 0; i < n->ncols; i++)
	{
		if (n->attnums[i] == 0)
			continue;
		row++;
		if (n->attnums[i] == attnum)
			return row;
	}
	return 0;
}

static int
DqLineageColumnRows(DqLNode *n)
{
	int			i,
				rows = 0;

	for (i = 0; i < n->ncols; i++)
		if (n->attnums[i] != 0)
			rows++;
	return rows;
}

static void
DqSvgPoint(StringInfo out, double x, double y)
{
	DqHtmlCoord(out, x);
	appendStringInfoChar(out, ' ');
	DqHtmlCoord(out, y);
}

/* a drawing: its relations and edges, and their layout */
typedef struct DqLDrawing
{
	Oid			relid;			/* the focus, or InvalidOid */
	HTAB	   *nodes;			/* DqLNode by relid */
	int			nnodes;
	DqLNode   **byindex;
	DqLEdge    *edges;
	int			nedges;
	DqLayout	g;
} DqLDrawing;

/*
 * The relations and edges to draw: every edge of lg, or those between
 * relations of the focus's neighbourhood; the focus comes first, with or
 * without edges.
 */
static void
DqLineageCollect(DqLDrawing *dr, DqLineageGraph *lg, const char *focus_label,
				 int max_depth, int max_relations)
{
	HASHCTL		ctl;
	DqReach    *reach = NULL;
	int			nreach = 0;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(DqLNode);
	ctl.hcxt = CurrentMemoryContext;
	dr->nodes = hash_create("dq lineage svg nodes", 64, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	if (OidIsValid(dr->relid))
	{
		(void) DqLineageNode(dr->nodes, &dr->nnodes, dr->relid, focus_label);
		reach = DqLineageNeighbourhood(lg, dr->relid, max_depth, max_relations, &nreach);
	}
	dr->edges = palloc0(sizeof(DqLEdge) * Max(lg->nrows, 1));
	for (int i = 0; i < lg->nrows; i++)
	{
		DqLineageRow *r = &lg->rows[i];
		DqLEdge    *ed;
		StringInfoData t;

		if (OidIsValid(dr->relid) &&
			(DqReachFind(reach, nreach, r->src) < 0 || DqReachFind(reach, nreach, r->dst) < 0))
			continue;
		ed = &dr->edges[dr->nedges++];
		ed->src = DqLineageNode(dr->nodes, &dr->nnodes, r->src, r->src_label);
		ed->src_attnum = r->src_attnum;
		DqLineageNodeColumn(ed->src, r->src_attnum, r->src_column);
		ed->dst = DqLineageNode(dr->nodes, &dr->nnodes, r->dst, r->dst_label);
		ed->dst_attnum = r->dst_attnum;
		DqLineageNodeColumn(ed->dst, r->dst_attnum, r->dst_column);
		ed->direct = r->direct;
		ed->masking = r->masking;

		initStringInfo(&t);
		appendStringInfo(&t, "%s.%s \xE2\x86\x92 %s.%s: %s %s",
						 ed->src->label,
						 r->src_attnum == 0 ? "*" : (r->src_column ? r->src_column : "?"),
						 ed->dst->label,
						 r->dst_attnum == 0 ? "*" : (r->dst_column ? r->dst_column : "?"),
						 ed->direct ? "DIRECT" : "INDIRECT", r->how ? r->how : "");
		ed->title = t.data;
	}
}

/* Nodes by index, the layout's input (box sizes, ports), and the layout. */
static void
DqLineageLayout(DqLDrawing *dr)
{
	HASH_SEQ_STATUS seq;
	DqLNode    *n;
	DqLayout   *g = &dr->g;

	dr->byindex = palloc0(sizeof(DqLNode *) * Max(dr->nnodes, 1));
	hash_seq_init(&seq, dr->nodes);
	while ((n = hash_seq_search(&seq)) != NULL)
		dr->byindex[n->index] = n;

	memset(g, 0, sizeof(*g));
	g->nnodes = dr->nnodes;
	g->nodes = palloc0(sizeof(DqLayoutNode) * Max(dr->nnodes, 1));
	g->nedges = dr->nedges;
	g->edges = palloc0(sizeof(DqLayoutEdge) * Max(dr->nedges, 1));
	g->header_height = DQ_LSVG_HEADER;
	g->row_height = DQ_LSVG_ROW;
	for (int i = 0; i < dr->nnodes; i++)
	{
		DqLNode    *ln = dr->byindex[i];
		int			chars = Min(DqHtmlCharCount(ln->label), DQ_LSVG_NAME_CLIP);

		for (int k = 0; k < ln->ncols; k++)
			if (ln->attnums[k] != 0)
				chars = Max(chars, Min(DqHtmlCharCount(ln->colnames[k]),
									   DQ_LSVG_NAME_CLIP));
		g->nodes[i].nports = 1 + DqLineageColumnRows(ln);
		g->nodes[i].width = Max(chars * DQ_LSVG_CHAR_W + 18, 90);
	}
	for (int i = 0; i < dr->nedges; i++)
	{
		g->edges[i].src = dr->edges[i].src->index;
		g->edges[i].src_port = DqLineagePort(dr->edges[i].src, dr->edges[i].src_attnum);
		g->edges[i].dst = dr->edges[i].dst->index;
		g->edges[i].dst_port = DqLineagePort(dr->edges[i].dst, dr->edges[i].dst_attnum);
	}
	DqLayoutRun(g);
}

/* The <svg> element's start and its title. */
static void
DqSvgOpen(StringInfo out, DqLDrawing *dr)
{
	appendStringInfoString(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lineage\" ");
	appendStringInfoString(out, "width=\"");
	DqHtmlCoord(out, dr->g.width);
	appendStringInfoString(out, "\" height=\"");
	DqHtmlCoord(out, dr->g.height + DQ_LSVG_LEGEND);
	appendStringInfoString(out, "\" viewBox=\"0 0 ");
	DqHtmlCoord(out, dr->g.width);
	appendStringInfoChar(out, ' ');
	DqHtmlCoord(out, dr->g.height + DQ_LSVG_LEGEND);
	appendStringInfo(out, "\" data-relations=\"%d\" data-edges=\"%d\" data-layers=\"%d\" "
					 "data-crossings=\"%d\" role=\"img\" font-family=\"monospace\" "
					 "font-size=\"12\"><title>",
					 dr->nnodes, dr->nedges, dr->g.nlayers, dr->g.crossings);
	if (OidIsValid(dr->relid) && dr->nnodes > 0)
	{
		appendStringInfoString(out, "Column lineage of ");
		DqHtmlText(out, dr->byindex[0]->label);
	}
	else
		appendStringInfoString(out, "Column lineage");
	appendStringInfoString(out, "</title>");
}

/* The x, y and width attributes of a relation's box. */
static void
DqSvgBoxAttributes(StringInfo out, const DqLayoutNode *ly)
{
	appendStringInfoString(out, " x=\"");
	DqHtmlCoord(out, ly->x);
	appendStringInfoString(out, "\" y=\"");
	DqHtmlCoord(out, ly->y);
	appendStringInfoString(out, "\" width=\"");
	DqHtmlCoord(out, ly->width);
	appendStringInfoChar(out, '"');
}

/*
 * A relation: its box, its name (a link to link_prefix || relid, when
 * given, for relations other than the focus), and its columns' rows.
 */
static void
DqSvgNode(StringInfo out, DqLDrawing *dr, int i, const char *link_prefix)
{
	DqLNode    *ln = dr->byindex[i];
	DqLayoutNode *ly = &dr->g.nodes[i];
	bool		focus = OidIsValid(dr->relid) && ln->relid == dr->relid;
	int			k;
	int			row = 0;

	appendStringInfo(out, "<g class=\"node%s\" data-relation=\"", focus ? " focus" : "");
	DqHtmlText(out, ln->label);
	appendStringInfo(out, "\" data-layer=\"%d\"><rect class=\"box\"", ly->layer);
	DqSvgBoxAttributes(out, ly);
	appendStringInfoString(out, " height=\"");
	DqHtmlCoord(out, ly->height);
	appendStringInfo(out, "\" rx=\"3\" fill=\"#ffffff\" stroke=\"%s\" stroke-width=\"%s\"/>",
					 focus ? "#1f4e79" : "#8a99a8", focus ? "2" : "1");
	appendStringInfoString(out, "<rect class=\"header\"");
	DqSvgBoxAttributes(out, ly);
	appendStringInfo(out, " height=\"%.0f\" rx=\"3\" fill=\"%s\"/>",
					 DQ_LSVG_HEADER, focus ? "#1f4e79" : "#dfe7ef");
	if (link_prefix && !focus)
		appendStringInfo(out, "<a href=\"%s%u\">", link_prefix, ln->relid);
	appendStringInfoString(out, "<text class=\"name\" x=\"");
	DqHtmlCoord(out, ly->x + 8);
	appendStringInfoString(out, "\" y=\"");
	DqHtmlCoord(out, ly->y + 15);
	appendStringInfo(out, "\" font-weight=\"bold\" fill=\"%s\">",
					 focus ? "#ffffff" : "#1b2a38");
	DqHtmlClip(out, ln->label, DQ_LSVG_NAME_CLIP);
	appendStringInfoString(out, "</text>");
	if (link_prefix && !focus)
		appendStringInfoString(out, "</a>");
	for (k = 0; k < ln->ncols; k++)
	{
		double		ry;

		if (ln->attnums[k] == 0)
			continue;
		ry = ly->y + DQ_LSVG_HEADER + row * DQ_LSVG_ROW;
		row++;
		appendStringInfoString(out, "<text class=\"column\" x=\"");
		DqHtmlCoord(out, ly->x + 8);
		appendStringInfoString(out, "\" y=\"");
		DqHtmlCoord(out, ry + 12.5);
		appendStringInfoString(out, "\" fill=\"#22313f\">");
		DqHtmlClip(out, ln->colnames[k], DQ_LSVG_NAME_CLIP);
		appendStringInfoString(out, "</text>");
	}
	appendStringInfoString(out, "</g>");
}

/* An edge: its path, its arrowhead and its tooltip. */
static void
DqSvgEdge(StringInfo out, DqLDrawing *dr, int i)
{
	DqLayoutEdge *le = &dr->g.edges[i];
	DqLEdge    *ed = &dr->edges[i];
	const char *color = ed->masking ? "#8e44ad" : (ed->direct ? "#34495e" : "#7f8c8d");
	double		ex = le->px[le->npoints - 1];
	double		ey = le->py[le->npoints - 1];
	bool		points_left = le->backward || le->self_loop;

	appendStringInfo(out, "<g class=\"edge %s%s\"><title>",
					 ed->direct ? "direct" : "indirect", ed->masking ? " masking" : "");
	DqHtmlText(out, ed->title);
	appendStringInfoString(out, "</title><path d=\"M");
	DqSvgPoint(out, le->px[0], le->py[0]);
	if (le->self_loop)
	{
		double		bulge = 22;
		double		dy = (le->py[1] == le->py[0]) ? 10 : 0;

		appendStringInfoString(out, " C");
		DqSvgPoint(out, le->px[0] + bulge, le->py[0] - dy);
		appendStringInfoChar(out, ',');
		DqSvgPoint(out, le->px[1] + bulge, le->py[1] + dy);
		appendStringInfoChar(out, ',');
		DqSvgPoint(out, le->px[1] + 6, le->py[1]);
	}
	else
	{
		int			k;

		for (k = 1; k < le->npoints; k++)
		{
			double		x0 = le->px[k - 1],
						y0 = le->py[k - 1];
			double		x1 = le->px[k],
						y1 = le->py[k];
			double		dx = (x1 - x0) / 2.0;

			if (k == le->npoints - 1)
				x1 += points_left ? 6 : -6;	/* leave room for the arrowhead */
			if (y0 == y1)
			{
				appendStringInfoString(out, " L");
				DqSvgPoint(out, x1, y1);
			}
			else
			{
				appendStringInfoString(out, " C");
				DqSvgPoint(out, x0 + dx, y0);
				appendStringInfoChar(out, ',');
				DqSvgPoint(out, x1 - dx, y1);
				appendStringInfoChar(out, ',');
				DqSvgPoint(out, x1, y1);
			}
		}
	}
	appendStringInfo(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.3\"%s/>",
					 color, ed->direct ? "" : " stroke-dasharray=\"5 3\"");
	appendStringInfoString(out, "<path class=\"arrow\" d=\"M");
	DqSvgPoint(out, ex, ey);
	appendStringInfo(out, " l%d -3.5 v7 z\" fill=\"%s\"/></g>",
					 points_left ? 7 : -7, color);
}

/* The legend below a drawing of the given height. */
static void
DqSvgLegend(StringInfo out, double height)
{
	appendStringInfoString(out, "<g class=\"legend\" font-size=\"11\" fill=\"#555555\">");
	appendStringInfo(out, "<path d=\"M12 %.1f h28\" stroke=\"#34495e\" stroke-width=\"1.3\"/>"
					 "<text x=\"46\" y=\"%.1f\">DIRECT</text>",
					 height + 8, height + 12);
	appendStringInfo(out, "<path d=\"M112 %.1f h28\" stroke=\"#7f8c8d\" stroke-width=\"1.3\" "
					 "stroke-dasharray=\"5 3\"/><text x=\"146\" y=\"%.1f\">INDIRECT</text>",
					 height + 8, height + 12);
	appendStringInfo(out, "<path d=\"M226 %.1f h28\" stroke=\"#8e44ad\" stroke-width=\"1.3\"/>"
					 "<text x=\"260\" y=\"%.1f\">masking</text></g>",
					 height + 8, height + 12);
	appendStringInfoString(out, "</svg>");
}

/*
 * Append the SVG drawing of the lineage around relid (everything when
 * InvalidOid) to out, from the edges of lg.  focus_label names relid (it
 * is drawn even without edges).  link_prefix, when not NULL, makes each
 * other relation's name a link to link_prefix || relid.  Returns the
 * number of relations drawn.
 */
int
DqLineageDraw(StringInfo out, DqLineageGraph *lg, Oid relid,
			  const char *focus_label, int max_depth, int max_relations,
			  const char *link_prefix)
{
	DqLDrawing	dr;

	memset(&dr, 0, sizeof(dr));
	dr.relid = relid;
	DqLineageCollect(&dr, lg, focus_label, max_depth, max_relations);
	DqLineageLayout(&dr);
	DqSvgOpen(out, &dr);
	for (int i = 0; i < dr.nnodes; i++)
		DqSvgNode(out, &dr, i, link_prefix);
	/* edges, over the boxes so that arrowheads show */
	for (int i = 0; i < dr.nedges; i++)
		DqSvgEdge(out, &dr, i);
	DqSvgLegend(out, dr.g.height);
	return dr.nnodes;
}

/*
 * dq.lineage_svg(rel regclass DEFAULT NULL, max_depth integer DEFAULT 3,
 *				  max_relations integer DEFAULT 60) RETURNS text
 */
Datum
dq_lineage_svg(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_ARGISNULL(0) ? InvalidOid : PG_GETARG_OID(0);
	int			max_depth;
	int			max_relations;
	StringInfoData out;
	char	   *label = NULL;

	if (PG_ARGISNULL(1) || PG_GETARG_INT32(1) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_depth must be at least 1"),
				 errhint("Give the number of steps to follow upstream and downstream, for example 3.")));
	if (PG_ARGISNULL(2) || PG_GETARG_INT32(2) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_relations must be at least 1"),
				 errhint("Give the largest number of relations to draw, for example 60.")));
	max_depth = PG_GETARG_INT32(1);
	max_relations = PG_GETARG_INT32(2);

	initStringInfo(&out);
	DqSpiConnect();
	if (OidIsValid(relid))
	{
		Oid			argtypes[1] = {OIDOID};
		Datum		args[1] = {ObjectIdGetDatum(relid)};

		if (DqSpiRunArgs(dq_lineage_relname_sql, 1, argtypes, args, NULL, true,
						 SPI_OK_SELECT, "read the name of the relation") == 1)
			label = DqSpiText(0, 1);
	}
	(void) DqLineageDraw(&out, DqLineageLoad(), relid, label, max_depth,
						 max_relations, NULL);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
