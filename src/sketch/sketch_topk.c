/*-------------------------------------------------------------------------
 *
 * sketch_topk.c
 *	  Space-Saving heavy-hitters sketch (Metwally, Agrawal, El Abbadi 2005).
 *
 * The sketch keeps `capacity` counters.  A value already counted has its
 * counter incremented; a new value takes over a counter holding the
 * smallest count c and starts at c + 1 with error c.  Every value whose
 * true frequency exceeds n / capacity is guaranteed to be kept, and each
 * reported count overestimates the true count by at most its error.  While
 * no counter has been replaced (fewer distinct values than counters) every
 * count is exact.
 *
 * Admission (Ben Basat, Einziger, Friedman, Kassner: "Randomized Admission
 * Policy for Efficient Top-k and Frequency Estimation", 2017): once every
 * counter is taken, a value not counted yet replaces the smallest counter
 * c only with probability 1 / (c + 1).  On high-cardinality columns this
 * turns almost every row into a cheap lookup instead of an eviction, and
 * it estimates frequent values' counts better than plain Space-Saving.  A
 * reported count is then an estimate; count - error stays a lower bound.
 *
 * Values are looked up by their 64-bit hash in a small linear-probing table
 * (16 slots per counter, 4 in large sketches; backward-shift deletion).
 * The counter to evict is found by a cyclic scan for a count equal to the
 * known minimum, which costs O(1) amortized: the minimum is recomputed only
 * after a full cycle finds none.  Memory: capacity counters plus the kept
 * values, independent of the number of rows.
 *
 * Merging follows the mergeable-summaries rule (Agarwal et al. 2012): a
 * value missing from a full sketch is charged that sketch's minimum count.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/datum.h"

#include "base/json_build.h"
#include "sketch/sketch_topk.h"
#include "base/typeinfo.h"

/*
 * Table slots per counter.  Most rows of a high-cardinality column probe
 * for a value that is not there: in a sparse table the first slot is
 * empty almost every time, so that branch is predictable.  Large sketches
 * use a denser table to stay within the CPU's caches.
 */
#define DQ_TK_SLOTS_PER_COUNTER(capacity)	((capacity) <= 1024 ? 16 : 4)

/*
 * Create an empty sketch for values of the given type.
 */
void
DqTopKInit(DqTopK *tk, int capacity, int16 typlen, bool typbyval)
{
	int			tabsize = 4;

	if (capacity < 1 || capacity >= 0xFFFF)
		elog(ERROR, "top-values sketch capacity %d out of range", capacity);
	while (tabsize < capacity * DQ_TK_SLOTS_PER_COUNTER(capacity))
		tabsize *= 2;
	tk->capacity = capacity;
	tk->nitems = 0;
	tk->typlen = typlen;
	tk->typbyval = typbyval;
	tk->evicted = false;
	tk->mincount = 0;
	tk->scanpos = 0;
	tk->rng = UINT64CONST(0x2545F4914F6CDD1D);
	tk->tabmask = tabsize - 1;
	tk->table = palloc0(sizeof(uint32) * tabsize);
	tk->items = palloc0(sizeof(DqTopKItem) * capacity);
}

/*
 * A table entry: the item's index + 1 in the low 16 bits (0 = empty), and
 * 16 bits of the hash that the slot number does not use in the high ones,
 * so that a probe rarely needs to load the item to rule it out.
 */
#define DQ_TK_TAG(hash)			((uint32) ((hash) & 0xFFFF) << 16)
#define DQ_TK_ENTRY(idx, hash)	(DQ_TK_TAG(hash) | (uint32) ((idx) + 1))
#define DQ_TK_IDX(entry)		((int) ((entry) & 0xFFFF) - 1)

/* Find the table slot of a hash, or the empty slot where it would go. */
static inline uint32
DqTopKSlot(const DqTopK *tk, uint64 hash, bool *found)
{
	uint32		i = DqTopKHome(tk, hash);
	uint32		tag = DQ_TK_TAG(hash);

	while (tk->table[i] != 0)
	{
		if ((tk->table[i] & 0xFFFF0000) == tag &&
			tk->items[DQ_TK_IDX(tk->table[i])].hash == hash)
		{
			*found = true;
			return i;
		}
		i = (i + 1) & tk->tabmask;
	}
	*found = false;
	return i;
}

/* Remove the entry at slot i, shifting later entries of its run back. */
static void
DqTopKTableDelete(DqTopK *tk, uint32 i)
{
	uint32		j = i;

	tk->table[i] = 0;
	for (;;)
	{
		uint32		home;

		j = (j + 1) & tk->tabmask;
		if (tk->table[j] == 0)
			return;
		home = DqTopKHome(tk, tk->items[DQ_TK_IDX(tk->table[j])].hash);
		/* move j back to i unless its home lies cyclically in (i, j] */
		if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j))
		{
			tk->table[i] = tk->table[j];
			tk->table[j] = 0;
			i = j;
		}
	}
}

/* Store a copy of value in the item's own buffer (reused across owners). */
static void
DqTopKStoreValue(DqTopK *tk, DqTopKItem *item, Datum value)
{
	if (!tk->typbyval &&
		datumGetSize(value, false, tk->typlen) > DQ_TOPK_MAX_VALUE_BYTES)
	{
		item->value = (Datum) 0;
		item->vlen = -1;
		return;
	}
	DqDatumStore(value, tk->typlen, tk->typbyval,
				 &item->value, &item->vbuf, &item->vcap);
	item->vlen = tk->typbyval ? 0 :
		(int32) datumGetSize(value, false, tk->typlen);
}

/* Index of a counter holding the minimum count. */
static int
DqTopKFindVictim(DqTopK *tk)
{
	int			n = tk->nitems;
	int			k;

	for (k = 0; k < n; k++)
	{
		int			i = (tk->scanpos + k) % n;

		if (tk->items[i].count <= tk->mincount)
		{
			tk->scanpos = (i + 1) % n;
			return i;
		}
	}
	/* no counter at the known minimum: recompute it */
	tk->mincount = tk->items[0].count;
	for (k = 1; k < n; k++)
		if (tk->items[k].count < tk->mincount)
			tk->mincount = tk->items[k].count;
	for (k = 0; k < n; k++)
		if (tk->items[k].count == tk->mincount)
		{
			tk->scanpos = (k + 1) % n;
			return k;
		}
	elog(ERROR, "dq_lineage: top-k sketch has no minimum counter");
	return 0;					/* keep compiler quiet */
}

/*
 * Add count occurrences (with error) of a value; used by add and merge.
 * Returns the value's item.
 */
static pg_noinline DqTopKItem *
DqTopKAddWeighted(DqTopK *tk, uint64 hash, Datum value, bool keep,
				  int64 count, int64 error)
{
	bool		found;
	uint32		slot = DqTopKSlot(tk, hash, &found);
	DqTopKItem *item;

	if (found)
	{
		item = &tk->items[DQ_TK_IDX(tk->table[slot])];
		item->count += count;
		item->error += error;
		return item;
	}
	if (tk->nitems < tk->capacity)
	{
		int			idx = tk->nitems++;

		item = &tk->items[idx];
		item->hash = hash;
		item->count = count;
		item->error = error;
		if (keep)
			DqTopKStoreValue(tk, item, value);
		else
			item->vlen = -1;
		tk->table[slot] = DQ_TK_ENTRY(idx, hash);
		return item;
	}
	else
	{
		int			idx = DqTopKFindVictim(tk);
		int64		base;
		bool		oldfound;
		uint32		oldslot;

		item = &tk->items[idx];
		oldslot = DqTopKSlot(tk, item->hash, &oldfound);
		Assert(oldfound);
		DqTopKTableDelete(tk, oldslot);
		base = item->count;
		item->hash = hash;
		item->count = base + count;
		item->error = base + error;
		if (keep)
			DqTopKStoreValue(tk, item, value);
		else
			item->vlen = -1;
		slot = DqTopKSlot(tk, hash, &found);
		tk->table[slot] = DQ_TK_ENTRY(idx, hash);
		tk->evicted = true;
		return item;
	}
}

/* Are the kept bytes of item those of value? */
static bool
DqTopKSameValue(const DqTopK *tk, const DqTopKItem *item, Datum value)
{
	if (item->vlen < 0)
		return false;
	if (tk->typbyval)
		return item->value == value;
	if (tk->typlen == -1)
	{
		const struct varlena *a = (const struct varlena *) DatumGetPointer(item->value);
		const struct varlena *b = (const struct varlena *) DatumGetPointer(value);

		/* compare contents, whatever the header form */
		if (VARATT_IS_EXTENDED(a) && !VARATT_IS_SHORT(a))
			return false;
		if (VARATT_IS_EXTENDED(b) && !VARATT_IS_SHORT(b))
			return false;
		return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
			memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
	}
	if (tk->typlen == -2)
		return strcmp(DatumGetCString(item->value), DatumGetCString(value)) == 0;
	return memcmp(DatumGetPointer(item->value), DatumGetPointer(value), tk->typlen) == 0;
}

/*
 * Admit a value the sketch does not count (DqTopKAdd decided to), and
 * return its item if the value is kept for display, else NULL.
 */
DqTopKItem *
DqTopKInsert(DqTopK *tk, uint64 hash, Datum value)
{
	DqTopKItem *item = DqTopKAddWeighted(tk, hash, value, true, 1, 0);

	return (item->vlen >= 0) ? item : NULL;
}

/*
 * DqTopKAdd (sketch_topk.h) when the value's home slot is taken: probe.
 */
bool
DqTopKAddProbe(DqTopK *tk, uint64 hash, Datum value, DqTopKItem **held)
{
	bool		found;
	uint32		slot = DqTopKSlot(tk, hash, &found);
	DqTopKItem *item;

	if (held)
		*held = NULL;
	if (found)
	{
		item = &tk->items[DQ_TK_IDX(tk->table[slot])];
		item->count++;
		if (!DqTopKSameValue(tk, item, value))
			return false;
		if (held)
			*held = item;
		return true;
	}
	if (!DqTopKAdmits(tk))
		return false;
	item = DqTopKInsert(tk, hash, value);
	if (held)
		*held = item;
	return false;
}

/*
 * Count a value count times at once (exactly, as count single adds would
 * while the sketch has room).  For callers that count a few values
 * themselves, such as the two of a boolean column.
 */
void
DqTopKAddCount(DqTopK *tk, uint64 hash, Datum value, int64 count)
{
	if (count > 0)
		(void) DqTopKAddWeighted(tk, hash, value, true, count, 0);
}

/* qsort comparator: count descending, then hash for a stable order */
static int
DqTopKCmpCount(const void *a, const void *b)
{
	const DqTopKItem *x = (const DqTopKItem *) a;
	const DqTopKItem *y = (const DqTopKItem *) b;

	if (x->count != y->count)
		return (x->count > y->count) ? -1 : 1;
	if (x->hash != y->hash)
		return (x->hash < y->hash) ? -1 : 1;
	return 0;
}

/* Smallest count of a full sketch (what a missing value may have had). */
static int64
DqTopKFloor(const DqTopK *tk)
{
	int64		m;
	int			i;

	if (tk->nitems < tk->capacity || tk->nitems == 0)
		return 0;
	m = tk->items[0].count;
	for (i = 1; i < tk->nitems; i++)
		if (tk->items[i].count < m)
			m = tk->items[i].count;
	return m;
}

/*
 * Merge src into dst (the parallel combine step).
 */
void
DqTopKMerge(DqTopK *dst, const DqTopK *src)
{
	int64		dfloor = DqTopKFloor(dst);
	int64		sfloor = DqTopKFloor(src);
	int			total = dst->nitems + src->nitems;
	DqTopKItem *all = palloc(sizeof(DqTopKItem) * Max(total, 1));
	int			n = 0;
	int			i;
	DqTopK		merged;

	CHECK_FOR_INTERRUPTS();
	/* dst's items, charged src's floor when src does not hold them */
	for (i = 0; i < dst->nitems; i++)
	{
		bool		found;
		uint32		slot = DqTopKSlot(src, dst->items[i].hash, &found);

		all[n] = dst->items[i];
		if (found)
		{
			all[n].count += src->items[DQ_TK_IDX(src->table[slot])].count;
			all[n].error += src->items[DQ_TK_IDX(src->table[slot])].error;
		}
		else
		{
			all[n].count += sfloor;
			all[n].error += sfloor;
		}
		n++;
	}
	/* src's items that dst lacks, charged dst's floor */
	for (i = 0; i < src->nitems; i++)
	{
		bool		found;

		(void) DqTopKSlot(dst, src->items[i].hash, &found);
		if (found)
			continue;
		all[n] = src->items[i];
		all[n].count += dfloor;
		all[n].error += dfloor;
		n++;
	}
	qsort(all, n, sizeof(DqTopKItem), DqTopKCmpCount);
	CHECK_FOR_INTERRUPTS();

	DqTopKInit(&merged, dst->capacity, dst->typlen, dst->typbyval);
	merged.evicted = dst->evicted || src->evicted || n > dst->capacity;
	for (i = 0; i < n && i < merged.capacity; i++)
	{
		DqTopKItem *it = &merged.items[merged.nitems];
		bool		found;
		uint32		slot = DqTopKSlot(&merged, all[i].hash, &found);

		it->hash = all[i].hash;
		it->count = all[i].count;
		it->error = all[i].error;
		if (all[i].vlen >= 0)
			DqTopKStoreValue(&merged, it, all[i].value);
		else
			it->vlen = -1;
		merged.table[slot] = DQ_TK_ENTRY(merged.nitems, all[i].hash);
		merged.nitems++;
	}
	merged.mincount = DqTopKFloor(&merged);
	*dst = merged;
	pfree(all);
}

/*
 * Return the counters sorted by count, highest first (palloc'd copy).
 */
int
DqTopKSorted(const DqTopK *tk, DqTopKItem **out)
{
	DqTopKItem *items = palloc(sizeof(DqTopKItem) * Max(tk->nitems, 1));

	memcpy(items, tk->items, sizeof(DqTopKItem) * tk->nitems);
	qsort(items, tk->nitems, sizeof(DqTopKItem), DqTopKCmpCount);
	*out = items;
	return tk->nitems;
}

void
DqTopKSerialize(const DqTopK *tk, StringInfo buf)
{
	int			i;

	DqBufPutInt32(buf, tk->capacity);
	DqBufPutInt32(buf, tk->nitems);
	DqBufPutInt32(buf, tk->typlen);
	DqBufPutInt32(buf, tk->typbyval ? 1 : 0);
	DqBufPutInt32(buf, tk->evicted ? 1 : 0);
	for (i = 0; i < tk->nitems; i++)
	{
		const DqTopKItem *it = &tk->items[i];

		DqBufPut(buf, &it->hash, sizeof(uint64));
		DqBufPutInt64(buf, it->count);
		DqBufPutInt64(buf, it->error);
		DqBufPutInt32(buf, it->vlen);
		if (tk->typbyval)
			DqBufPut(buf, &it->value, sizeof(Datum));
		else if (it->vlen > 0)
			DqBufPut(buf, it->vbuf, it->vlen);
	}
}

/*
 * Does a value read from a state have the shape of a value of its type?
 * Output and comparison functions trust that shape.
 */
static bool
DqTopKValueValid(const DqTopK *tk, const char *p, int32 vlen)
{
	if (tk->typlen > 0)
		return vlen == tk->typlen;
	if (tk->typlen == -1)
		return DqBufVarlenaValid(p, vlen);
	if (tk->typlen == -2)
		return vlen >= 1 && strnlen(p, vlen) == (Size) vlen - 1;
	return false;
}

void
DqTopKDeserialize(DqTopK *tk, DqReadBuf *rb)
{
	int32		capacity = DqBufGetInt32(rb);
	int32		nitems = DqBufGetInt32(rb);
	int32		typlen = DqBufGetInt32(rb);
	bool		typbyval = DqBufGetInt32(rb) != 0;
	int			i;

	if (capacity < 1 || capacity >= 0xFFFF || nitems < 0 || nitems > capacity ||
		(typbyval ? (typlen != 1 && typlen != 2 && typlen != 4 && typlen != 8) :
		 (typlen < -2 || typlen == 0)))
		DqBufInvalid("top-values sketch");
	DqTopKInit(tk, capacity, (int16) typlen, typbyval);
	tk->evicted = DqBufGetInt32(rb) != 0;
	for (i = 0; i < nitems; i++)
	{
		DqTopKItem *it = &tk->items[i];
		bool		found;
		uint32		slot;

		DqBufGet(rb, &it->hash, sizeof(uint64));
		it->count = DqBufGetInt64(rb);
		it->error = DqBufGetInt64(rb);
		it->vlen = DqBufGetInt32(rb);
		if (it->count < 1 || it->error < 0 || it->error > it->count)
			DqBufInvalid("top-values sketch");
		if (typbyval)
		{
			if (it->vlen != 0 && it->vlen != -1)
				DqBufInvalid("top-values sketch");
			DqBufGet(rb, &it->value, sizeof(Datum));
		}
		else if (it->vlen > 0)
		{
			if ((Size) it->vlen > DqBufLeft(rb))
				DqBufInvalid("top-values sketch");
			it->vbuf = palloc(it->vlen);
			it->vcap = it->vlen;
			DqBufGet(rb, it->vbuf, it->vlen);
			if (!DqTopKValueValid(tk, it->vbuf, it->vlen))
				DqBufInvalid("top-values sketch");
			it->value = PointerGetDatum(it->vbuf);
		}
		else if (it->vlen != -1)
			DqBufInvalid("top-values sketch");
		/* one item per hash: a second one would be unreachable */
		slot = DqTopKSlot(tk, it->hash, &found);
		if (found)
			DqBufInvalid("top-values sketch");
		tk->table[slot] = DQ_TK_ENTRY(i, it->hash);
		tk->nitems++;
	}
	tk->mincount = DqTopKFloor(tk);
}

/* top value with its text, for sorting the output */
typedef struct DqTopOut
{
	char	   *text;
	int64		count;
	int64		error;
} DqTopOut;

static int
DqTopOutCmp(const void *a, const void *b)
{
	const DqTopOut *x = (const DqTopOut *) a;
	const DqTopOut *y = (const DqTopOut *) b;

	if (x->count != y->count)
		return (x->count > y->count) ? -1 : 1;
	if (x->text == NULL || y->text == NULL)
		return (x->text == NULL) - (y->text == NULL);
	return strcmp(x->text, y->text);
}

/*
 * Write the k most frequent values as a JSON array of {"value", "count"},
 * highest count first, ties by value text.  Once the sketch has evicted
 * counters, counts are estimates: only values whose guaranteed count
 * reaches the smallest counter (and at least 2) are reported, each with
 * "min_count", a lower bound of its count.
 * Values too long to keep have "value": null.
 */
void
DqTopKJson(DqJson *js, const DqTopK *tk, DqTypeInfo *ti, int k)
{
	DqTopKItem *items;
	int			n = DqTopKSorted(tk, &items);
	DqTopOut   *out = palloc(sizeof(DqTopOut) * Max(n, 1));
	int64		floor = Max(DqTopKFloor(tk), 2);
	int			nout = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		/*
		 * Once counters were evicted, keep only values whose guaranteed
		 * count reaches the smallest counter: the others may be noise.
		 */
		if (tk->evicted && items[i].count - items[i].error < floor)
			continue;
		out[nout].text = (items[i].vlen < 0) ? NULL :
			DqDatumOutput(ti, items[i].value);
		out[nout].count = items[i].count;
		out[nout].error = items[i].error;
		nout++;
	}
	qsort(out, nout, sizeof(DqTopOut), DqTopOutCmp);

	DqJsonBegin(js, '[');
	for (i = 0; i < nout && i < k; i++)
	{
		DqJsonKey(js, NULL);
		DqJsonBegin(js, '{');
		DqJsonText(js, "value", out[i].text);
		DqJsonInt(js, "count", out[i].count);
		if (tk->evicted)
			DqJsonInt(js, "min_count", out[i].count - out[i].error);
		DqJsonEnd(js, '}');
	}
	DqJsonEnd(js, ']');
}
