/*-------------------------------------------------------------------------
 *
 * sketch_state.c
 *	  The type dq.sketch_state (see sketch_state.h): an expanded object in
 *	  memory, a flat varlena on disk and between processes, text between
 *	  the nodes of a Citus cluster.
 *
 * Memory: a state lives in its own memory context, a child of the
 * aggregate's context, which is how PostgreSQL's executor (and Citus's
 * worker_partial_agg, which copies nodeAgg's rule) recognizes a
 * read-write expanded transition value that it may keep without copying.
 * The flat form is built on demand (when the state is stored in a tuple,
 * sent to a parallel leader or printed) and kept until the state changes.
 *
 * Flat form: varlena header, then 8 bytes: 'd' 'q', the format version,
 * the kind, the byte order of the machine that wrote it, a flags byte
 * (0), 2 zero bytes; then the kind's own serialization, in that machine's
 * byte order.  A state from a machine of the other byte order, or of
 * another format version, is refused with an error rather than misread.
 *
 * Text form: "<kind>:" and the flat form (without its varlena header) in
 * base64.  When pglz shrinks the serialization, the text carries it
 * compressed: flags 1, the length of the serialization, pglz's output.
 * That is what Citus ships from each shard; a HyperLogLog's registers and
 * a quantile sketch's items compress to about a third.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/base64.h"
#include "common/pg_lzcompress.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "sketch/sketch_state.h"

PG_FUNCTION_INFO_V1(dq_sketch_state_in);
PG_FUNCTION_INFO_V1(dq_sketch_state_out);

#define DQ_SKETCH_VERSION	1
#define DQ_SKETCH_HEAD		8
#define DQ_SKETCH_FLAGS		5	/* offset of the flags byte */
#define DQ_SKETCH_PGLZ		1	/* text form: the rest is compressed */
/* serializations shorter than this are not worth compressing */
#define DQ_SKETCH_COMPRESS_MIN 256
#ifdef WORDS_BIGENDIAN
#define DQ_SKETCH_BYTE_ORDER 2
#else
#define DQ_SKETCH_BYTE_ORDER 1
#endif

/* the text tag of each kind, indexed by DqSketchKind */
static const char *const DqSketchNames[] = {
	NULL, "hll", "kll", "topk", "rows", "expect"
};

static Size DqSketchFlatSize(ExpandedObjectHeader *eohptr);
static void DqSketchFlatten(ExpandedObjectHeader *eohptr, void *result,
							Size allocated_size);

static const ExpandedObjectMethods DqSketchMethods = {
	DqSketchFlatSize,
	DqSketchFlatten
};

/*
 * A call context for the kinds' write functions when they run outside an
 * aggregate call (flattening has no FunctionCallInfo): PostgreSQL's
 * numeric accumulator, which the column profile keeps for long numerics,
 * serializes only "in an aggregate", and never needs more of one than
 * its node tag.
 */
FunctionCallInfo
DqSketchAggCallInfo(void)
{
	static AggState agg;
	static FunctionCallInfoBaseData fc;

	if (!IsA(&agg, AggState))
		NodeSetTag(&agg, T_AggState);
	InitFunctionCallInfoData(fc, NULL, 0, InvalidOid, (Node *) &agg, NULL);
	return &fc;
}

/* A new state of kind ops (obj still NULL) in a child context of parent. */
DqSketchState *
DqSketchNew(const DqSketchOps *ops, MemoryContext parent)
{
	/* small blocks: a query may hold one state per group */
	MemoryContext cxt = AllocSetContextCreate(parent, "dq_lineage sketch state",
											  ALLOCSET_SMALL_SIZES);
	DqSketchState *st = MemoryContextAllocZero(cxt, sizeof(DqSketchState));

	EOH_init_header(&st->hdr, &DqSketchMethods, cxt);
	st->ops = ops;
	return st;
}

/* Build (once) the flat form of an expanded state. */
static struct varlena *
DqSketchBuildFlat(DqSketchState *st)
{
	MemoryContext old;
	StringInfoData buf;
	uint8		head[DQ_SKETCH_HEAD] = {'d', 'q', DQ_SKETCH_VERSION, 0,
	DQ_SKETCH_BYTE_ORDER, 0, 0, 0};

	if (st->flat != NULL)
		return st->flat;
	old = MemoryContextSwitchTo(st->hdr.eoh_context);
	head[3] = (uint8) st->ops->kind;
	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	appendBinaryStringInfo(&buf, (const char *) head, DQ_SKETCH_HEAD);
	st->ops->write(st->obj, &buf, DqSketchAggCallInfo());
	SET_VARSIZE(buf.data, buf.len);
	st->flat = (struct varlena *) buf.data;
	MemoryContextSwitchTo(old);
	return st->flat;
}

static Size
DqSketchFlatSize(ExpandedObjectHeader *eohptr)
{
	return VARSIZE(DqSketchBuildFlat((DqSketchState *) eohptr));
}

static void
DqSketchFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	struct varlena *flat = DqSketchBuildFlat((DqSketchState *) eohptr);

	Assert(allocated_size == VARSIZE(flat));
	memcpy(result, flat, allocated_size);
}

/* Is d one of our expanded states? */
static bool
DqSketchIsExpanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &DqSketchMethods;
}

/*
 * Check the 8-byte head of a flat state of len bytes (after the varlena
 * header); returns its kind.  sqlstate is the caller's (text input or a
 * binary state).
 */
static DqSketchKind
DqSketchCheckHead(const uint8 *p, Size len, int sqlstate, uint8 flags_allowed)
{
	if (len < DQ_SKETCH_HEAD || p[0] != 'd' || p[1] != 'q' ||
		p[3] < DQ_SKETCH_HLL || p[3] > DQ_SKETCH_EXPECT ||
		(p[DQ_SKETCH_FLAGS] & ~flags_allowed) != 0 || p[6] != 0 || p[7] != 0)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("invalid sketch state"),
				 errdetail("The state does not start with a dq_lineage sketch header."),
				 errhint("Sketch states are written by dq_lineage's aggregates; pass them on unchanged.")));
	if (p[2] != DQ_SKETCH_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("sketch state of format version %d is not supported", p[2]),
				 errdetail("This dq_lineage reads version %d.", DQ_SKETCH_VERSION),
				 errhint("Install the same dq_lineage version on every node of the cluster.")));
	if (p[4] != DQ_SKETCH_BYTE_ORDER)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("sketch state was written by a machine of another byte order"),
				 errhint("Run every node of the cluster on machines of the same architecture.")));
	return (DqSketchKind) p[3];
}

/* The flat form of a non-NULL dq.sketch_state datum (expanded or not). */
static struct varlena *
DqSketchFlat(Datum d)
{
	if (DqSketchIsExpanded(d))
		return DqSketchBuildFlat((DqSketchState *) DatumGetEOHP(d));
	return PG_DETOAST_DATUM(d);
}

/*
 * Read a flat state of kind ops into a new expanded state under parent.
 * Everything must be read: trailing bytes mean a state of another shape.
 */
static DqSketchState *
DqSketchRead(struct varlena *flat, const DqSketchOps *ops, MemoryContext parent,
			 FunctionCallInfo fcinfo)
{
	const uint8 *p = (const uint8 *) VARDATA(flat);
	Size		len = VARSIZE(flat) - VARHDRSZ;
	DqSketchState *st;
	MemoryContext old;
	DqReadBuf	rb;

	if (DqSketchCheckHead(p, len, ERRCODE_INVALID_BINARY_REPRESENTATION, 0) != ops->kind)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("sketch state of kind \"%s\" where \"%s\" was expected",
						DqSketchNames[p[3]], ops->name),
				 errhint("Pass each aggregate the states of the same aggregate.")));
	st = DqSketchNew(ops, parent);
	old = MemoryContextSwitchTo(st->hdr.eoh_context);
	rb.data = (const char *) p + DQ_SKETCH_HEAD;
	rb.len = len - DQ_SKETCH_HEAD;
	rb.pos = 0;
	st->obj = ops->read(&rb, fcinfo);
	if (DqBufLeft(&rb) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid aggregate state"),
				 errdetail("The state has %zu bytes more than a state of kind \"%s\".",
						   DqBufLeft(&rb), ops->name),
				 errhint("Aggregate states are written by dq_lineage's own aggregates; pass them on unchanged.")));
	MemoryContextSwitchTo(old);
	return st;
}

/*
 * The state argument argno of a transition function, as a read-write
 * expanded state that the function may change in place: the argument
 * itself when it is one, else a new state read from it.  A NULL argument
 * gives a new state whose obj is NULL, for the caller to fill.  *aggctx
 * is the aggregate's memory context.
 */
DqSketchState *
DqSketchTransArg(FunctionCallInfo fcinfo, int argno, const DqSketchOps *ops,
				 MemoryContext *aggctx)
{
	Datum		d;

	if (!AggCheckCallContext(fcinfo, aggctx))
		elog(ERROR, "dq_lineage: %s state function called in non-aggregate context",
			 ops->name);
	if (PG_ARGISNULL(argno))
		return DqSketchNew(ops, *aggctx);
	d = PG_GETARG_DATUM(argno);
	if (DqSketchIsExpanded(d) && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
	{
		DqSketchState *st = (DqSketchState *) DatumGetEOHP(d);

		if (st->ops == ops)
			return st;
	}
	return DqSketchRead(DqSketchFlat(d), ops, *aggctx, fcinfo);
}

/*
 * The arguments of a combine function: returns the first state as a
 * read-write expanded state (a copy of the second when the first is NULL;
 * NULL when both are) and sets *other to the kind's object of the second
 * state to merge into it, or NULL when there is nothing to merge.
 */
static DqSketchState *
DqSketchCombineArgs(FunctionCallInfo fcinfo, const DqSketchOps *ops, void **other)
{
	MemoryContext aggctx;
	DqSketchState *st;

	*other = NULL;
	if (PG_ARGISNULL(0))
	{
		if (!AggCheckCallContext(fcinfo, &aggctx))
			elog(ERROR, "dq_lineage: %s combine function called in non-aggregate context",
				 ops->name);
		if (PG_ARGISNULL(1))
			return NULL;
		return DqSketchRead(DqSketchFlat(PG_GETARG_DATUM(1)), ops, aggctx, fcinfo);
	}
	st = DqSketchTransArg(fcinfo, 0, ops, &aggctx);
	if (!PG_ARGISNULL(1))
		*other = DqSketchPeek(fcinfo, 1, ops);
	return st;
}

/*
 * The combine function of a kind: the first state with the second merged
 * into it by ops->merge (a copy of the second when the first is NULL; NULL
 * when both are).
 */
Datum
DqSketchCombine(FunctionCallInfo fcinfo, const DqSketchOps *ops)
{
	void	   *other;
	DqSketchState *st = DqSketchCombineArgs(fcinfo, ops, &other);

	if (st == NULL)
		PG_RETURN_NULL();
	if (other != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(st->hdr.eoh_context);

		DqSketchChanged(st);
		ops->merge(st->obj, other, fcinfo);
		MemoryContextSwitchTo(old);
	}
	PG_RETURN_DATUM(DqSketchResult(st));
}

/*
 * The kind's object of state argument argno, for reading only (final
 * functions, the second argument of a combine); NULL for a NULL argument.
 * A flat state is read into the current memory context.
 */
void *
DqSketchPeek(FunctionCallInfo fcinfo, int argno, const DqSketchOps *ops)
{
	Datum		d;
	DqSketchState *st;

	if (PG_ARGISNULL(argno))
		return NULL;
	d = PG_GETARG_DATUM(argno);
	if (DqSketchIsExpanded(d))
	{
		st = (DqSketchState *) DatumGetEOHP(d);
		if (st->ops == ops)
			return st->obj;
	}
	st = DqSketchRead(DqSketchFlat(d), ops, CurrentMemoryContext, fcinfo);
	return st->obj;
}

/*
 * dq.sketch_state input: "<kind>:<base64 of the flat form>", perhaps
 * compressed.  Only the head is checked here; the kind's read function
 * checks the rest when the state is used.
 */
Datum
dq_sketch_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	size_t		taglen = strcspn(str, ":");
	int			srclen;
	int			maxlen;
	int			len;
	char	   *raw;
	struct varlena *result;
	DqSketchKind kind;

	if (str[taglen] != ':')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%.40s\"", "dq.sketch_state", str),
				 errdetail("A sketch state is written as <kind>:<base64>."),
				 errhint("Sketch states are written by dq_lineage's aggregates; pass them on unchanged.")));
	srclen = strlen(str + taglen + 1);
	maxlen = pg_b64_dec_len(srclen);
	raw = palloc(maxlen + 1);
	len = pg_b64_decode(str + taglen + 1, srclen, raw, maxlen);
	if (len < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%.40s\"", "dq.sketch_state", str),
				 errdetail("The part after the colon is not valid base64."),
				 errhint("Sketch states are written by dq_lineage's aggregates; pass them on unchanged.")));
	kind = DqSketchCheckHead((const uint8 *) raw, len, ERRCODE_INVALID_TEXT_REPRESENTATION,
							 DQ_SKETCH_PGLZ);
	if (taglen != strlen(DqSketchNames[kind]) ||
		strncmp(str, DqSketchNames[kind], taglen) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%.40s\"", "dq.sketch_state", str),
				 errdetail("The state is of kind \"%s\".", DqSketchNames[kind]),
				 errhint("Sketch states are written by dq_lineage's aggregates; pass them on unchanged.")));
	if (raw[DQ_SKETCH_FLAGS] & DQ_SKETCH_PGLZ)
	{
		int32		rawlen;

		if (len < DQ_SKETCH_HEAD + (int) sizeof(int32))
			rawlen = -1;
		else
			memcpy(&rawlen, raw + DQ_SKETCH_HEAD, sizeof(int32));
		if (rawlen < 0 || rawlen > (int32) (MaxAllocSize - VARHDRSZ - DQ_SKETCH_HEAD))
			DqBufInvalid("compressed sketch");
		result = palloc(VARHDRSZ + DQ_SKETCH_HEAD + rawlen);
		memcpy(VARDATA(result), raw, DQ_SKETCH_HEAD);
		((char *) VARDATA(result))[DQ_SKETCH_FLAGS] = 0;
		if (pglz_decompress(raw + DQ_SKETCH_HEAD + sizeof(int32),
							len - DQ_SKETCH_HEAD - sizeof(int32),
							(char *) VARDATA(result) + DQ_SKETCH_HEAD, rawlen, true) != rawlen)
			DqBufInvalid("compressed sketch");
		SET_VARSIZE(result, VARHDRSZ + DQ_SKETCH_HEAD + rawlen);
	}
	else
	{
		result = palloc(VARHDRSZ + len);
		memcpy(VARDATA(result), raw, len);
		SET_VARSIZE(result, VARHDRSZ + len);
	}
	PG_RETURN_POINTER(result);
}

/* dq.sketch_state output: see the text form above. */
Datum
dq_sketch_state_out(PG_FUNCTION_ARGS)
{
	struct varlena *flat = DqSketchFlat(PG_GETARG_DATUM(0));
	Size		len = VARSIZE(flat) - VARHDRSZ;
	DqSketchKind kind = DqSketchCheckHead((const uint8 *) VARDATA(flat), len,
										  ERRCODE_INVALID_BINARY_REPRESENTATION, 0);
	const char *name = DqSketchNames[kind];
	int			namelen = strlen(name);
	const char *payload = VARDATA(flat);
	int			paylen = (int) len;
	int			enclen;
	char	   *out;
	int			n;

	if (len - DQ_SKETCH_HEAD >= DQ_SKETCH_COMPRESS_MIN)
	{
		int32		bodylen = (int32) (len - DQ_SKETCH_HEAD);
		char	   *comp = palloc(DQ_SKETCH_HEAD + sizeof(int32) + PGLZ_MAX_OUTPUT(bodylen));
		int32		clen = pglz_compress(VARDATA(flat) + DQ_SKETCH_HEAD, bodylen,
										 comp + DQ_SKETCH_HEAD + sizeof(int32),
										 PGLZ_strategy_default);

		if (clen >= 0 && clen + (int32) sizeof(int32) < bodylen)
		{
			memcpy(comp, VARDATA(flat), DQ_SKETCH_HEAD);
			comp[DQ_SKETCH_FLAGS] |= DQ_SKETCH_PGLZ;
			memcpy(comp + DQ_SKETCH_HEAD, &bodylen, sizeof(int32));
			payload = comp;
			paylen = DQ_SKETCH_HEAD + sizeof(int32) + clen;
		}
	}
	enclen = pg_b64_enc_len(paylen);
	out = palloc(namelen + 1 + enclen + 1);
	memcpy(out, name, namelen);
	out[namelen] = ':';
	n = pg_b64_encode(payload, paylen, out + namelen + 1, enclen);
	if (n < 0)
		elog(ERROR, "dq_lineage: could not encode a sketch state");
	out[namelen + 1 + n] = '\0';
	PG_RETURN_CSTRING(out);
}
