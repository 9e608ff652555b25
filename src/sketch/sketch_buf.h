/*-------------------------------------------------------------------------
 *
 * sketch_buf.h
 *	  Byte-buffer helpers shared by the serialize/deserialize functions of
 *	  the sketches and of the column profile aggregate.
 *
 * States travel between parallel workers and the leader as bytea.  Values
 * are written in native byte order: a serialized state never leaves the
 * server that produced it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SKETCH_BUF_H
#define DQ_SKETCH_BUF_H

#include "postgres.h"

#include "lib/stringinfo.h"

typedef struct DqReadBuf
{
	const char *data;
	Size		len;
	Size		pos;
} DqReadBuf;

static inline void
DqBufPut(StringInfo buf, const void *p, Size n)
{
	appendBinaryStringInfo(buf, (const char *) p, (int) n);
}

static inline void
DqBufPutInt64(StringInfo buf, int64 v)
{
	DqBufPut(buf, &v, sizeof(v));
}

static inline void
DqBufPutInt32(StringInfo buf, int32 v)
{
	DqBufPut(buf, &v, sizeof(v));
}

static inline void
DqBufPutDouble(StringInfo buf, double v)
{
	DqBufPut(buf, &v, sizeof(v));
}

static inline void
DqReadBufInit(DqReadBuf *rb, bytea *b)
{
	rb->data = VARDATA_ANY(b);
	rb->len = VARSIZE_ANY_EXHDR(b);
	rb->pos = 0;
}

/*
 * A state that no serialize function could have written.  States also
 * arrive as text (dq.sketch_state, sketch_state.h), so this is a user
 * error, not an internal one.
 */
static inline void
DqBufInvalid(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid %s state", what),
			 errhint("Aggregate states are written by dq_lineage's own aggregates; pass them on unchanged.")));
}

/* Bytes left to read. */
static inline Size
DqBufLeft(const DqReadBuf *rb)
{
	return rb->len - rb->pos;
}

/*
 * Is p, len bytes read from a state, a whole in-line uncompressed varlena
 * of exactly that length?  Output and comparison functions trust it.
 */
static inline bool
DqBufVarlenaValid(const char *p, Size len)
{
	if (len < 1 || VARATT_IS_1B_E(p))
		return false;
	if (VARATT_IS_1B(p))
		return VARSIZE_1B(p) == len;
	return len >= VARHDRSZ && VARATT_IS_4B_U(p) && VARSIZE_4B(p) == len;
}

/* Copy n bytes out of the buffer; a short buffer is a corrupt state. */
static inline void
DqBufGet(DqReadBuf *rb, void *p, Size n)
{
	if (n > DqBufLeft(rb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid aggregate state"),
				 errdetail("The state ends early."),
				 errhint("Aggregate states are written by dq_lineage's own aggregates; pass them on unchanged.")));
	memcpy(p, rb->data + rb->pos, n);
	rb->pos += n;
}

static inline int64
DqBufGetInt64(DqReadBuf *rb)
{
	int64		v;

	DqBufGet(rb, &v, sizeof(v));
	return v;
}

static inline int32
DqBufGetInt32(DqReadBuf *rb)
{
	int32		v;

	DqBufGet(rb, &v, sizeof(v));
	return v;
}

static inline double
DqBufGetDouble(DqReadBuf *rb)
{
	double		v;

	DqBufGet(rb, &v, sizeof(v));
	return v;
}

/* Turn a filled StringInfo into a bytea. */
static inline bytea *
DqBufToBytea(StringInfo buf)
{
	bytea	   *result = (bytea *) palloc(VARHDRSZ + buf->len);

	SET_VARSIZE(result, VARHDRSZ + buf->len);
	memcpy(VARDATA(result), buf->data, buf->len);
	return result;
}

#endif							/* DQ_SKETCH_BUF_H */
