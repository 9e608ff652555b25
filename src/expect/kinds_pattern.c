/*-------------------------------------------------------------------------
 *
 * kinds_pattern.c
 *	  Row kinds on the text of values: regular expressions and LIKE
 *	  patterns, one or a list of them, to match or not to match.
 *
 * Regular expressions are compiled when the expectation is defined (an
 * invalid one raises 2201B); those regex_fast.c can turn into a byte
 * automaton that gives PostgreSQL's answers are matched by it, the
 * others by PostgreSQL's engine, whose outcomes for short repeated values
 * are cached (DqOutcomeCache).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "regex/regex.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"

#include "expect/expectations.h"
#include "expect/kinds.h"
#include "expect/regex_fast.h"

/*
 * Outcomes of short values already seen, for the regular-expression kinds:
 * PostgreSQL 15's regex engine costs a few hundred nanoseconds per call
 * (it converts the string to wide characters and allocates its automaton
 * state with malloc), and many columns repeat their values (codes,
 * statuses, countries).  A direct-mapped table of the last outcome per
 * hash slot; after DQ_OC_PROBE lookups with fewer than half of them hits
 * (mostly distinct values, say UUIDs) the cache switches itself off and
 * costs nothing more than one branch.
 */
#define DQ_OC_SLOTS 1024
#define DQ_OC_MAXLEN 40
#define DQ_OC_PROBE 4096

typedef struct DqOutcomeSlot
{
	uint32		hash;
	int16		len;			/* -1: empty */
	bool		outcome;
	char		bytes[DQ_OC_MAXLEN];
} DqOutcomeSlot;

typedef struct DqOutcomeCache
{
	bool		off;
	uint32		lookups;
	uint32		hits;
	DqOutcomeSlot slots[DQ_OC_SLOTS];
} DqOutcomeCache;

/* the compiled patterns of a rule */
typedef struct DqPatterns
{
	List	   *patterns;		/* text * of regexes or LIKE patterns */
	bool		none;			/* no pattern may match (not_...) */
	bool		match_all;		/* every pattern must match (match_on = all) */
	Oid			collation;
	DqRegexFast **fast;			/* regexes: per pattern, its automaton or NULL */
	bool		all_fast;		/* every pattern has its automaton */
	DqOutcomeCache *cache;		/* regexes: created on first use */
} DqPatterns;

/* Does a value that matched nmatch of the patterns satisfy the rule? */
static bool
DqPatternVerdict(const DqPatterns *p, int nmatch)
{
	if (p->none)
		return nmatch == 0;
	if (p->match_all)
		return nmatch == list_length(p->patterns);
	return nmatch > 0;
}

/* A value as text: strings directly, other types by their output function. */
static text *
DqValueText(DqRuleColumn *col, Datum value)
{
	if (col->textual)
		return DatumGetTextPP(value);
	return cstring_to_text(OutputFunctionCall(&col->out, value));
}

static DqPatterns *
DqPatternsCreate(DqRule *r)
{
	DqPatterns *p = palloc0(sizeof(DqPatterns));

	p->none = (r->def->flags & DQ_KIND_NEGATED) != 0;
	p->collation = r->cols[0].collation ? r->cols[0].collation : DEFAULT_COLLATION_OID;
	r->state = p;
	return p;
}

/* ---------------------------------------------------------------------
 * Regular expressions
 * ---------------------------------------------------------------------
 */

/* The slot for val, or NULL when the cache is off or val is too long. */
static DqOutcomeSlot *
DqOutcomeSlotFor(DqRule *r, DqPatterns *p, const char *val, int len, bool *hit)
{
	DqOutcomeCache *c = p->cache;
	uint32		h;
	DqOutcomeSlot *slot;

	*hit = false;
	if (len > DQ_OC_MAXLEN)
		return NULL;
	if (c == NULL)
	{
		c = MemoryContextAlloc(r->cxt, sizeof(DqOutcomeCache));
		c->off = false;
		c->lookups = c->hits = 0;
		for (int i = 0; i < DQ_OC_SLOTS; i++)
			c->slots[i].len = -1;
		p->cache = c;
	}
	if (c->off)
		return NULL;
	h = hash_bytes((const unsigned char *) val, len);
	slot = &c->slots[h % DQ_OC_SLOTS];
	*hit = slot->len == len && slot->hash == h && memcmp(slot->bytes, val, len) == 0;
	if (c->lookups < DQ_OC_PROBE)
	{
		c->lookups++;
		c->hits += *hit;
		if (c->lookups == DQ_OC_PROBE && c->hits < DQ_OC_PROBE / 2)
			c->off = true;
	}
	if (!*hit)
	{
		slot->hash = h;
		slot->len = (int16) len;
		memcpy(slot->bytes, val, len);
	}
	return slot;
}

/*
 * Regexes are compiled now, so an invalid one fails at definition.  Those
 * PostgreSQL accepts then get a byte automaton where regex_fast.c can
 * build one that gives the same answers.
 */
static void
DqCompileRegexes(DqRule *r, DqPatterns *p, List *texts)
{
	MemoryContext old = MemoryContextSwitchTo(r->cxt);
	ListCell   *lc;

	p->fast = palloc0(sizeof(DqRegexFast *) * Max(list_length(texts), 1));
	p->all_fast = true;
	foreach(lc, texts)
	{
		int			i = foreach_current_index(lc);
		text	   *re;
		const char *reason;

		if (lfirst(lc) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("regular expressions of %s must not be NULL", r->def->name),
					 errhint("Remove the NULL from the list.")));
		re = cstring_to_text(lfirst(lc));
		(void) RE_compile_and_cache(re, REG_ADVANCED, p->collation);
		p->patterns = lappend(p->patterns, re);
		p->fast[i] = DqRegexFastCompile(VARDATA_ANY(re), VARSIZE_ANY_EXHDR(re),
										p->collation, &reason);
		if (p->fast[i] != NULL)
			ereport(DEBUG1,
					(errmsg_internal("regular expression \"%s\" is matched by a byte automaton of %d states",
									 (char *) lfirst(lc), DqRegexFastNStates(p->fast[i]))));
		else
		{
			p->all_fast = false;
			ereport(DEBUG1,
					(errmsg_internal("regular expression \"%s\" is matched by PostgreSQL's engine: %s",
									 (char *) lfirst(lc), reason)));
		}
	}
	MemoryContextSwitchTo(old);
}

/*
 * The end of a _list kind's compile: the list (parameter key) must not be
 * empty; match_on says whether a value must match any or all of it.
 */
static void
DqPatternListDone(DqRule *r, DqPatterns *p, const char *key, const char *hint)
{
	if (p->patterns == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s of %s must not be empty", key, r->def->name),
				 errhint("%s", hint)));
	p->match_all = DqParseMatchAll(r->def, r->params);
}

/* match_regex, not_match_regex: one regular expression */
static void
DqCompileRegex(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqPatterns *p = DqPatternsCreate(r);

	DqCompileRegexes(r, p, list_make1(DqRequiredText(r, "regex")));
}

/* match_regex_list, not_match_regex_list: a non-empty list */
static void
DqCompileRegexList(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqPatterns *p = DqPatternsCreate(r);

	DqCompileRegexes(r, p, DqParamArray(r->def, r->params, "regex_list", true));
	DqPatternListDone(r, p, "regex_list", "Pass at least one regular expression.");
}

/*
 * The automata answer for ASCII values faster than the outcome cache could
 * look them up; the cache serves the values they leave to PostgreSQL's
 * engine.
 */
static DqOutcome
DqEvalRegex(DqRule *r, const Datum *values, const bool *isnull)
{
	DqPatterns *p = r->state;
	text	   *val = DqValueText(&r->cols[0], values[0]);
	const char *s = VARDATA_ANY(val);
	int			len = VARSIZE_ANY_EXHDR(val);
	int			nmatch = 0;
	ListCell   *lc;
	bool		hit;
	bool		ok;
	DqOutcomeSlot *slot;

	if (p->all_fast)
	{
		int			n = list_length(p->patterns);
		int			i;

		for (i = 0; i < n; i++)
		{
			int			m = DqRegexFastMatch(p->fast[i], s, len);

			if (m == DQ_RX_UNKNOWN)
				break;
			nmatch += m;
		}
		if (i == n)
			return DqPatternVerdict(p, nmatch) ? DQ_EXPECTED : DQ_UNEXPECTED;
		nmatch = 0;
	}
	slot = DqOutcomeSlotFor(r, p, s, len, &hit);
	if (hit)
		return slot->outcome ? DQ_EXPECTED : DQ_UNEXPECTED;
	foreach(lc, p->patterns)
	{
		DqRegexFast *fa = p->fast[foreach_current_index(lc)];
		int			m = DQ_RX_UNKNOWN;

		if (fa != NULL)
			m = DqRegexFastMatch(fa, s, len);
		if (m == DQ_RX_UNKNOWN)
			m = RE_compile_and_execute(lfirst(lc), (char *) s, len, REG_ADVANCED,
									   p->collation, 0, NULL) ? DQ_RX_MATCH : DQ_RX_NO_MATCH;
		nmatch += m;
	}
	ok = DqPatternVerdict(p, nmatch);
	if (slot != NULL)
		slot->outcome = ok;
	return ok ? DQ_EXPECTED : DQ_UNEXPECTED;
}

/* ---------------------------------------------------------------------
 * LIKE patterns
 * ---------------------------------------------------------------------
 */

/* match_like_pattern, not_match_like_pattern: one pattern */
static void
DqCompileLike(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqPatterns *p = DqPatternsCreate(r);

	p->patterns = list_make1(cstring_to_text(DqRequiredText(r, "like_pattern")));
}

/* the _list kinds: a non-empty array of strings */
static void
DqCompileLikeList(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqPatterns *p = DqPatternsCreate(r);
	JsonbValue *v = DqParamNeeded(r, "like_pattern_list", jbvArray, "a JSON array of strings",
								  "Pass for example {\"like_pattern_list\": [\"a%\", \"b%\"]}.");
	List	   *strings = DqParamStrings(r, v->val.binary.data, "like_pattern_list",
											 "contain strings", "Pass LIKE patterns such as \"a%\".");
	ListCell   *lc;

	foreach(lc, strings)
	{
		text	   *pattern = cstring_to_text(lfirst(lc));

		p->patterns = lappend(p->patterns, pattern);
	}
	DqPatternListDone(r, p, "like_pattern_list", "Pass at least one LIKE pattern.");
}

static DqOutcome
DqEvalLike(DqRule *r, const Datum *values, const bool *isnull)
{
	DqPatterns *p = r->state;
	text	   *val = DqValueText(&r->cols[0], values[0]);
	int			nmatch = 0;
	ListCell   *lc;

	foreach(lc, p->patterns)
		nmatch += DatumGetBool(DirectFunctionCall2Coll(textlike, p->collation,
													   PointerGetDatum(val),
													   PointerGetDatum(lfirst(lc))));
	return DqPatternVerdict(p, nmatch) ? DQ_EXPECTED : DQ_UNEXPECTED;
}

/* ---------------------------------------------------------------------
 * The table
 * ---------------------------------------------------------------------
 */

const DqKindDef DqPatternKinds[] = {
	{
		.name = "expect_column_values_to_match_regex",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("regex", "mostly"),
		.description = "values (as text) match the regular expression",
		.compile = DqCompileRegex, .eval = DqEvalRegex,
	},
	{
		.name = "expect_column_values_to_not_match_regex",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("regex", "mostly"),
		.description = "values (as text) do not match the regular expression",
		.flags = DQ_KIND_NEGATED, .compile = DqCompileRegex, .eval = DqEvalRegex,
	},
	{
		.name = "expect_column_values_to_match_regex_list",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("regex_list", "match_on", "mostly"),
		.description = "values match any (match_on = any, the default) or all of the regular expressions",
		.compile = DqCompileRegexList, .eval = DqEvalRegex,
	},
	{
		.name = "expect_column_values_to_not_match_regex_list",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("regex_list", "mostly"),
		.description = "values match none of the regular expressions",
		.flags = DQ_KIND_NEGATED, .compile = DqCompileRegexList, .eval = DqEvalRegex,
	},
	{
		.name = "expect_column_values_to_match_like_pattern",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("like_pattern", "mostly"),
		.description = "values (as text) match the LIKE pattern",
		.compile = DqCompileLike, .eval = DqEvalLike,
	},
	{
		.name = "expect_column_values_to_not_match_like_pattern",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("like_pattern", "mostly"),
		.description = "values (as text) do not match the LIKE pattern",
		.flags = DQ_KIND_NEGATED, .compile = DqCompileLike, .eval = DqEvalLike,
	},
	{
		.name = "expect_column_values_to_match_like_pattern_list",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("like_pattern_list", "match_on", "mostly"),
		.description = "values (as text) match any (match_on = any, the default) or all of the LIKE patterns",
		.compile = DqCompileLikeList, .eval = DqEvalLike,
	},
	{
		.name = "expect_column_values_to_not_match_like_pattern_list",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("like_pattern_list", "mostly"),
		.description = "values (as text) match none of the LIKE patterns",
		.flags = DQ_KIND_NEGATED, .compile = DqCompileLikeList, .eval = DqEvalLike,
	},
	{0}
};
