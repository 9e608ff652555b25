/*-------------------------------------------------------------------------
 *
 * regex_fast.c
 *	  A deterministic automaton over bytes for the simple regular
 *	  expressions of the regex expectation kinds.
 *
 * PostgreSQL's regex engine costs a few hundred nanoseconds per value: it
 * converts the string to wide characters and allocates its automaton state
 * with malloc on every call.  The regex kinds only ask whether a pattern
 * matches somewhere in a value, so for a common subset of patterns a DFA
 * built once per rule answers the same question in about a nanosecond per
 * byte.
 *
 * Correctness comes first, so the automaton is built only when the answer
 * is certain to equal that of `value ~ pattern` (ARE flavour, the column's
 * collation):
 *
 * - The pattern has been compiled by PostgreSQL already (the rule fails at
 *	 definition otherwise); this parser then accepts only ASCII literals,
 *	 ".", bracket expressions, \d \D \w \W \s \S, escaped punctuation,
 *	 groups "( )" and "(?: )", "|", the quantifiers * + ? {m} {m,} {m,n}
 *	 (greedy or not, which does not change whether a match exists), and
 *	 the anchors ^ and $ (which, without embedded options, match only at
 *	 the start and the end of the string).  Anything else - back
 *	 references, lookaround, embedded options, constraint escapes,
 *	 collating elements, non-ASCII bytes - means no automaton.
 * - The characters an atom other than a literal stands for (".", a
 *	 bracket expression, a class escape) are not computed here: each of
 *	 the 127 ASCII characters is put to PostgreSQL's own engine, compiled
 *	 with the same flags and collation, so locale classes and ranges are
 *	 exactly PostgreSQL's.
 * - Values are read as bytes; a byte >= 0x80 (part of a non-ASCII
 *	 character in every server encoding) stops the automaton and the
 *	 caller asks PostgreSQL instead, unless the answer was already
 *	 certain from the bytes before it.
 * - The NFA and the DFA are capped (RX_MAX_NFA, RX_MAX_DFA); a pattern
 *	 that needs more keeps PostgreSQL's engine.
 *
 * Search semantics: the DFA is the subset construction of the NFA with
 * the NFA's start state added back at every position (a match may start
 * anywhere).  "^" edges are passable only at position 0, "$" edges only at
 * the end of the value.  A state is accepting "now" when the NFA's final
 * state is reachable without crossing a "$" edge (a match exists whatever
 * follows), accepting "at end" when it is reachable crossing "$" edges,
 * and dead when no NFA state in it can reach the final state at all.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "regex/regex.h"
#include "utils/memutils.h"

#include "expect/regex_fast.h"

#define RX_MAX_PATTERN	1000	/* longer patterns: PostgreSQL's engine */
#define RX_MAX_BOUND	255		/* PostgreSQL's DUPMAX */
#define RX_MAX_NFA		1000
#define RX_MAX_DFA		300
#define RX_NONASCII		255		/* class of the bytes >= 0x80 */
#define RX_HASH_SIZE	1024	/* open addressing, > 2 * RX_MAX_DFA */

/* per-state stop codes */
#define RX_GO			0
#define RX_STOP_MATCH	1
#define RX_STOP_DEAD	2

/*
 * What the matcher reads: one row of 256 entries per state, indexed by the
 * byte itself (no class lookup on the way), holding the next state or, for
 * a byte that ends the walk, one of the RX_TO_* codes.
 */
#define RX_TO_MATCH		(-1)	/* the next state matches whatever follows */
#define RX_TO_DEAD		(-2)	/* the next state can never match */
#define RX_TO_UNKNOWN	(-3)	/* a byte >= 0x80: PostgreSQL decides */

struct DqRegexFast
{
	int			nstates;
	bool		match_at_start; /* state 0 matches already (an empty match) */
	bool	   *acc_end;		/* per state: a match when the value ends */
	int16	   *next;			/* nstates * 256: state or RX_TO_* */
};

/* a set of ASCII characters */
typedef struct RxSet
{
	uint64		w[2];
} RxSet;

#define RX_SET_HAS(s, c)	(((s)->w[(c) >> 6] >> ((c) & 63)) & 1)
#define RX_SET_ADD(s, c)	((s)->w[(c) >> 6] |= UINT64CONST(1) << ((c) & 63))

typedef enum RxNodeKind
{
	RXN_EMPTY,
	RXN_SET,
	RXN_BOS,
	RXN_EOS,
	RXN_CAT,
	RXN_ALT,
	RXN_REPEAT
} RxNodeKind;

/* the parsed pattern */
typedef struct RxNode
{
	RxNodeKind	kind;
	struct RxNode *a;
	struct RxNode *b;
	int			min;			/* RXN_REPEAT */
	int			max;			/* RXN_REPEAT; -1: unbounded */
	int			set;			/* RXN_SET: index in RxParser.sets */
} RxNode;

/* an atom already put to PostgreSQL's engine */
typedef struct RxProbed
{
	char	   *atom;
	int			set;
} RxProbed;

typedef struct RxParser
{
	const char *p;
	const char *end;
	Oid			collation;
	const char *reason;			/* why there is no automaton; NULL: fine */
	RxSet	   *sets;
	int			nsets;
	int			maxsets;
	List	   *probed;
} RxParser;

/* NFA states */
typedef enum RxStateKind
{
	RXS_CHAR,					/* one character of set, then out1 */
	RXS_EPS,					/* out1 and out2 (if >= 0) */
	RXS_BOS,					/* at position 0 only, then out1 */
	RXS_EOS,					/* at the end only, then out1 */
	RXS_MATCH
} RxStateKind;

typedef struct RxNfa
{
	int			n;
	int			cap;
	uint8	   *kind;
	int		   *out1;
	int		   *out2;
	int		   *set;
	bool		full;			/* more than RX_MAX_NFA states needed */
} RxNfa;

static RxNode *RxParseAlt(RxParser *ps, int depth);

/* ASCII letters and digits: after a backslash, an escape in ARE syntax */
static inline bool
RxIsAlnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static RxNode *
RxRefuse(RxParser *ps, const char *reason)
{
	if (ps->reason == NULL)
		ps->reason = reason;
	return NULL;
}

static RxNode *
RxNewNode(RxNodeKind kind, RxNode *a, RxNode *b)
{
	RxNode	   *n = palloc0(sizeof(RxNode));

	n->kind = kind;
	n->a = a;
	n->b = b;
	return n;
}

/* Index of set s among the parser's sets, added if new. */
static int
RxAddSet(RxParser *ps, const RxSet *s)
{
	for (int i = 0; i < ps->nsets; i++)
		if (ps->sets[i].w[0] == s->w[0] && ps->sets[i].w[1] == s->w[1])
			return i;
	if (ps->nsets == ps->maxsets)
	{
		ps->maxsets *= 2;
		ps->sets = repalloc(ps->sets, sizeof(RxSet) * ps->maxsets);
	}
	ps->sets[ps->nsets] = *s;
	return ps->nsets++;
}

static RxNode *
RxSetNode(RxParser *ps, const RxSet *s)
{
	RxNode	   *n = RxNewNode(RXN_SET, NULL, NULL);

	n->set = RxAddSet(ps, s);
	return n;
}

static RxNode *
RxLiteral(RxParser *ps, unsigned char c)
{
	RxSet		s = {{0, 0}};

	RX_SET_ADD(&s, c);
	return RxSetNode(ps, &s);
}

/*
 * The ASCII characters that the atom (".", a bracket expression or a class
 * escape, len bytes at atom) matches, according to PostgreSQL's engine
 * itself: "^(?:atom)$" compiled with the rule's flags and collation and
 * executed on each one-character string.  Uses the non-throwing regex API,
 * so that an atom this parser delimited differently from PostgreSQL
 * refuses the pattern instead of failing the rule.
 */
static RxNode *
RxProbeAtom(RxParser *ps, const char *atom, int len)
{
	static const char prefix[] = "^(?:";
	static const char suffix[] = ")$";
	char	   *key = pnstrdup(atom, len);
	ListCell   *lc;
	pg_wchar   *wpat;
	int			wlen = 0;
	regex_t		re;
	RxSet		s = {{0, 0}};
	RxProbed   *pr;

	foreach(lc, ps->probed)
	{
		pr = lfirst(lc);
		if (strcmp(pr->atom, key) == 0)
			return RxSetNode(ps, &ps->sets[pr->set]);
	}

	/* the pattern is ASCII only, so its characters are its bytes */
	wpat = palloc(sizeof(pg_wchar) * (len + sizeof(prefix) + sizeof(suffix)));
	for (const char *c = prefix; *c; c++)
		wpat[wlen++] = (unsigned char) *c;
	for (int i = 0; i < len; i++)
		wpat[wlen++] = (unsigned char) atom[i];
	for (const char *c = suffix; *c; c++)
		wpat[wlen++] = (unsigned char) *c;

	if (pg_regcomp(&re, wpat, wlen, REG_ADVANCED | REG_NOSUB, ps->collation) != REG_OKAY)
		return RxRefuse(ps, "an atom could not be delimited");
	for (int c = 1; c < 128; c++)
	{
		pg_wchar	wc = c;
		int			rc = pg_regexec(&re, &wc, 1, 0, NULL, 0, NULL, 0);

		if (rc == REG_OKAY)
			RX_SET_ADD(&s, c);
		else if (rc != REG_NOMATCH)
		{
			pg_regfree(&re);
			return RxRefuse(ps, "an atom could not be evaluated");
		}
	}
	pg_regfree(&re);

	pr = palloc(sizeof(RxProbed));
	pr->atom = key;
	pr->set = RxAddSet(ps, &s);
	ps->probed = lappend(ps->probed, pr);
	return RxSetNode(ps, &s);
}

/*
 * A bracket expression starting at ps->p ("["): its extent, then its
 * characters.  Accepted members: ASCII characters, ranges, [:class:],
 * \d \w \s and escaped punctuation; refused: [.x.] and [=x=].
 */
static RxNode *
RxParseBracket(RxParser *ps)
{
	const char *start = ps->p;
	const char *q = start + 1;

	if (q < ps->end && *q == '^')
		q++;
	if (q < ps->end && *q == ']')
		q++;					/* a leading ] is a member */
	for (;;)
	{
		unsigned char c;

		if (q >= ps->end)
			return RxRefuse(ps, "unterminated bracket expression");
		c = (unsigned char) *q;
		if (c == ']')
			break;
		if (c >= 0x80)
			return RxRefuse(ps, "non-ASCII character");
		if (c == '[' && q + 1 < ps->end && q[1] == ':')
		{
			q += 2;
			while (q < ps->end && *q >= 'a' && *q <= 'z')
				q++;
			if (q + 1 >= ps->end || q[0] != ':' || q[1] != ']')
				return RxRefuse(ps, "invalid character class");
			q += 2;
		}
		else if (c == '[' && q + 1 < ps->end && (q[1] == '.' || q[1] == '='))
			return RxRefuse(ps, "collating element or equivalence class");
		else if (c == '\\')
		{
			unsigned char e = q + 1 < ps->end ? (unsigned char) q[1] : 0;

			if (e == 0 || e >= 0x80 ||
				(RxIsAlnum(e) && e != 'd' && e != 'w' && e != 's'))
				return RxRefuse(ps, "unsupported escape");
			q += 2;
		}
		else
			q++;
	}
	ps->p = q + 1;
	return RxProbeAtom(ps, start, ps->p - start);
}

static RxNode *
RxParseAtom(RxParser *ps, int depth)
{
	unsigned char c = (unsigned char) *ps->p;

	if (c >= 0x80)
		return RxRefuse(ps, "non-ASCII character");
	switch (c)
	{
		case '(':
			{
				RxNode	   *sub;

				ps->p++;
				if (ps->p < ps->end && *ps->p == '?')
				{
					if (ps->p + 1 < ps->end && ps->p[1] == ':')
						ps->p += 2;
					else
						return RxRefuse(ps, "lookaround or embedded options");
				}
				sub = RxParseAlt(ps, depth + 1);
				if (sub == NULL)
					return NULL;
				if (ps->p >= ps->end || *ps->p != ')')
					return RxRefuse(ps, "unbalanced parentheses");
				ps->p++;
				return sub;
			}
		case '.':
			ps->p++;
			return RxProbeAtom(ps, ps->p - 1, 1);
		case '[':
			return RxParseBracket(ps);
		case '^':
			ps->p++;
			return RxNewNode(RXN_BOS, NULL, NULL);
		case '$':
			ps->p++;
			return RxNewNode(RXN_EOS, NULL, NULL);
		case '*':
		case '+':
		case '?':
		case '{':
			return RxRefuse(ps, "quantifier without operand or literal brace");
		case '\\':
			{
				unsigned char e;

				if (ps->p + 1 >= ps->end)
					return RxRefuse(ps, "trailing backslash");
				e = (unsigned char) ps->p[1];
				ps->p += 2;
				if (e >= 0x80)
					return RxRefuse(ps, "non-ASCII character");
				if (strchr("dDwWsS", e) != NULL)
					return RxProbeAtom(ps, ps->p - 2, 2);
				if (RxIsAlnum(e))
					return RxRefuse(ps, "unsupported escape");
				/* an ARE backslash before punctuation: that character */
				return RxLiteral(ps, e);
			}
		default:
			ps->p++;
			return RxLiteral(ps, c);
	}
}

/* A decimal bound of at most RX_MAX_BOUND, or -1. */
static int
RxParseNumber(RxParser *ps)
{
	int			v = 0;
	int			digits = 0;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9' && digits < 4)
	{
		v = v * 10 + (*ps->p - '0');
		ps->p++;
		digits++;
	}
	if (digits == 0 || v > RX_MAX_BOUND)
		return -1;
	return v;
}

/* An atom and its quantifier, if any. */
static RxNode *
RxParsePiece(RxParser *ps, int depth)
{
	RxNode	   *atom = RxParseAtom(ps, depth);
	RxNode	   *rep;
	int			min;
	int			max;

	if (atom == NULL || ps->p >= ps->end)
		return atom;
	switch (*ps->p)
	{
		case '*':
			min = 0;
			max = -1;
			ps->p++;
			break;
		case '+':
			min = 1;
			max = -1;
			ps->p++;
			break;
		case '?':
			min = 0;
			max = 1;
			ps->p++;
			break;
		case '{':
			ps->p++;
			min = RxParseNumber(ps);
			if (min < 0)
				return RxRefuse(ps, "invalid bound");
			max = min;
			if (ps->p < ps->end && *ps->p == ',')
			{
				ps->p++;
				if (ps->p < ps->end && *ps->p == '}')
					max = -1;
				else if ((max = RxParseNumber(ps)) < min)
					return RxRefuse(ps, "invalid bound");
			}
			if (ps->p >= ps->end || *ps->p != '}')
				return RxRefuse(ps, "invalid bound");
			ps->p++;
			break;
		default:
			return atom;
	}
	if (atom->kind == RXN_BOS || atom->kind == RXN_EOS)
		return RxRefuse(ps, "quantified anchor");
	/* non-greedy: the same language */
	if (ps->p < ps->end && *ps->p == '?')
		ps->p++;
	if (ps->p < ps->end && strchr("*+?{", *ps->p) != NULL)
		return RxRefuse(ps, "consecutive quantifiers");
	rep = RxNewNode(RXN_REPEAT, atom, NULL);
	rep->min = min;
	rep->max = max;
	return rep;
}

/* A branch: pieces up to "|", ")" or the end; may be empty. */
static RxNode *
RxParseBranch(RxParser *ps, int depth)
{
	RxNode	   *branch = NULL;

	while (ps->p < ps->end && *ps->p != '|' && *ps->p != ')')
	{
		RxNode	   *piece = RxParsePiece(ps, depth);

		if (piece == NULL)
			return NULL;
		branch = branch == NULL ? piece : RxNewNode(RXN_CAT, branch, piece);
	}
	return branch != NULL ? branch : RxNewNode(RXN_EMPTY, NULL, NULL);
}

static RxNode *
RxParseAlt(RxParser *ps, int depth)
{
	RxNode	   *alt;

	check_stack_depth();
	alt = RxParseBranch(ps, depth);
	while (alt != NULL && ps->p < ps->end && *ps->p == '|')
	{
		RxNode	   *b;

		ps->p++;
		b = RxParseBranch(ps, depth);
		if (b == NULL)
			return NULL;
		alt = RxNewNode(RXN_ALT, alt, b);
	}
	if (alt != NULL && depth == 0 && ps->p < ps->end)
		return RxRefuse(ps, "unbalanced parentheses");
	return alt;
}

static int
RxNewState(RxNfa *nfa, RxStateKind kind, int out1, int out2, int set)
{
	if (nfa->n >= RX_MAX_NFA)
	{
		nfa->full = true;
		return 0;
	}
	if (nfa->n == nfa->cap)
	{
		nfa->cap *= 2;
		nfa->kind = repalloc(nfa->kind, sizeof(uint8) * nfa->cap);
		nfa->out1 = repalloc(nfa->out1, sizeof(int) * nfa->cap);
		nfa->out2 = repalloc(nfa->out2, sizeof(int) * nfa->cap);
		nfa->set = repalloc(nfa->set, sizeof(int) * nfa->cap);
	}
	nfa->kind[nfa->n] = kind;
	nfa->out1[nfa->n] = out1;
	nfa->out2[nfa->n] = out2;
	nfa->set[nfa->n] = set;
	return nfa->n++;
}

/*
 * Thompson construction, backwards: the start state of a fragment that
 * matches n and then continues with state next.
 */
static int
RxBuild(RxNfa *nfa, RxNode *n, int next)
{
	int			cur;

	check_stack_depth();
	if (nfa->full)
		return 0;
	switch (n->kind)
	{
		case RXN_EMPTY:
			return next;
		case RXN_SET:
			return RxNewState(nfa, RXS_CHAR, next, -1, n->set);
		case RXN_BOS:
			return RxNewState(nfa, RXS_BOS, next, -1, -1);
		case RXN_EOS:
			return RxNewState(nfa, RXS_EOS, next, -1, -1);
		case RXN_CAT:
			return RxBuild(nfa, n->a, RxBuild(nfa, n->b, next));
		case RXN_ALT:
			{
				int			a = RxBuild(nfa, n->a, next);
				int			b = RxBuild(nfa, n->b, next);

				return RxNewState(nfa, RXS_EPS, a, b, -1);
			}
		case RXN_REPEAT:
			cur = next;
			if (n->max < 0)
			{
				/* a loop: (n)* */
				int			loop = RxNewState(nfa, RXS_EPS, -1, next, -1);
				int			body = RxBuild(nfa, n->a, loop);

				if (nfa->full)
					return 0;
				nfa->out1[loop] = body;
				cur = loop;
			}
			else
			{
				/* max - min optional copies: (n(n(n)?)?)? */
				for (int i = n->min; i < n->max && !nfa->full; i++)
					cur = RxNewState(nfa, RXS_EPS, RxBuild(nfa, n->a, cur), next, -1);
			}
			for (int i = 0; i < n->min && !nfa->full; i++)
				cur = RxBuild(nfa, n->a, cur);
			return cur;
	}
	elog(ERROR, "unrecognized regex node kind %d", (int) n->kind);
	return 0;					/* keep compiler quiet */
}

/* What the DFA construction works with. */
typedef struct RxDfaBuild
{
	RxNfa	   *nfa;
	RxSet	   *sets;
	int			start;			/* the NFA's start state */
	int			match;			/* its final state */
	int			nwords;			/* uint64 words per NFA state set */
	uint64	   *visited;
	int		   *stack;
	int			nstates;
	uint64	   *states;			/* RX_MAX_DFA * nwords */
	int			hash[RX_HASH_SIZE]; /* DFA state + 1, 0: empty */
} RxDfaBuild;

#define RX_BIT_HAS(bits, i)	(((bits)[(i) >> 6] >> ((i) & 63)) & 1)
#define RX_BIT_ADD(bits, i)	((bits)[(i) >> 6] |= UINT64CONST(1) << ((i) & 63))

/*
 * The states reachable from the nseeds seeds without reading a character,
 * crossing "^" edges only at_start and "$" edges only with allow_eos.  The
 * character, "$" and final states reached are added to out.
 */
static void
RxClosure(RxDfaBuild *b, const int *seeds, int nseeds, bool at_start,
		  bool allow_eos, uint64 *out)
{
	RxNfa	   *nfa = b->nfa;
	int			top = 0;

	memset(b->visited, 0, sizeof(uint64) * b->nwords);
	for (int i = 0; i < nseeds; i++)
		if (!RX_BIT_HAS(b->visited, seeds[i]))
		{
			RX_BIT_ADD(b->visited, seeds[i]);
			b->stack[top++] = seeds[i];
		}
	while (top > 0)
	{
		int			s = b->stack[--top];
		int			next[2] = {-1, -1};

		switch ((RxStateKind) nfa->kind[s])
		{
			case RXS_CHAR:
			case RXS_MATCH:
				RX_BIT_ADD(out, s);
				break;
			case RXS_EPS:
				next[0] = nfa->out1[s];
				next[1] = nfa->out2[s];
				break;
			case RXS_BOS:
				if (at_start)
					next[0] = nfa->out1[s];
				break;
			case RXS_EOS:
				RX_BIT_ADD(out, s);
				if (allow_eos)
					next[0] = nfa->out1[s];
				break;
		}
		for (int i = 0; i < 2; i++)
			if (next[i] >= 0 && !RX_BIT_HAS(b->visited, next[i]))
			{
				RX_BIT_ADD(b->visited, next[i]);
				b->stack[top++] = next[i];
			}
	}
}

/* The DFA state holding NFA state set bits, added if new; -1 when full. */
static int
RxDfaState(RxDfaBuild *b, const uint64 *bits)
{
	uint32		h = hash_bytes((const unsigned char *) bits,
							   sizeof(uint64) * b->nwords) % RX_HASH_SIZE;

	for (;;)
	{
		int			id = b->hash[h] - 1;

		if (id < 0)
			break;
		if (memcmp(b->states + (size_t) id * b->nwords, bits,
				   sizeof(uint64) * b->nwords) == 0)
			return id;
		h = (h + 1) % RX_HASH_SIZE;
	}
	if (b->nstates == RX_MAX_DFA)
		return -1;
	memcpy(b->states + (size_t) b->nstates * b->nwords, bits,
		   sizeof(uint64) * b->nwords);
	b->hash[h] = b->nstates + 1;
	return b->nstates++;
}

/*
 * Live NFA states: those from which the final state can be reached,
 * taking every character edge (whatever its set: non-ASCII characters
 * count too) and every "$" edge, but no "^" edge (only DFA states after
 * the first byte are judged dead).
 */
static bool *
RxLiveStates(RxNfa *nfa, int match)
{
	bool	   *live = palloc0(sizeof(bool) * nfa->n);
	bool		changed = true;

	live[match] = true;
	while (changed)
	{
		changed = false;
		for (int s = 0; s < nfa->n; s++)
		{
			if (live[s] || nfa->kind[s] == RXS_BOS || nfa->kind[s] == RXS_MATCH)
				continue;
			if ((nfa->out1[s] >= 0 && live[nfa->out1[s]]) ||
				(nfa->kind[s] == RXS_EPS && nfa->out2[s] >= 0 && live[nfa->out2[s]]))
			{
				live[s] = true;
				changed = true;
			}
		}
	}
	return live;
}

/*
 * Byte classes: ASCII bytes that every set treats alike share a class.
 * Returns the number of classes; rep[k] is a byte of class k.
 */
static int
RxByteClasses(const RxSet *sets, int nsets, uint8 *classmap, int *rep)
{
	int			ncls = 1;

	memset(classmap, 0, 128);
	for (int j = 0; j < nsets; j++)
	{
		int			newid[256];
		int			n = 0;

		for (int k = 0; k < 256; k++)
			newid[k] = -1;
		for (int c = 0; c < 128; c++)
		{
			int			key = classmap[c] * 2 + (int) RX_SET_HAS(&sets[j], c);

			if (newid[key] < 0)
				newid[key] = n++;
			classmap[c] = (uint8) newid[key];
		}
		ncls = n;
	}
	for (int c = 127; c >= 0; c--)
		rep[classmap[c]] = c;
	memset(classmap + 128, RX_NONASCII, 128);
	return ncls;
}

/*
 * Subset construction; NULL when the DFA would exceed RX_MAX_DFA states.
 * The result is allocated in result_cxt.
 */
static DqRegexFast *
RxBuildDfa(RxNfa *nfa, RxSet *sets, int nsets, int start, int match,
		   MemoryContext result_cxt)
{
	RxDfaBuild *b = palloc0(sizeof(RxDfaBuild));
	uint8		classmap[256];
	int			rep[128];
	int			ncls = RxByteClasses(sets, nsets, classmap, rep);
	int16	   *trans = palloc(sizeof(int16) * RX_MAX_DFA * ncls);
	uint8	   *stop = palloc0(RX_MAX_DFA);
	bool	   *acc_end = palloc0(sizeof(bool) * RX_MAX_DFA);
	bool	   *live = RxLiveStates(nfa, match);
	uint64	   *bits;
	int		   *seeds = palloc(sizeof(int) * (nfa->n + 1));
	DqRegexFast *fa;
	char	   *mem;

	b->nfa = nfa;
	b->sets = sets;
	b->start = start;
	b->match = match;
	b->nwords = (nfa->n + 63) / 64;
	b->visited = palloc(sizeof(uint64) * b->nwords);
	b->stack = palloc(sizeof(int) * nfa->n);
	b->states = palloc0(sizeof(uint64) * b->nwords * RX_MAX_DFA);
	bits = palloc(sizeof(uint64) * b->nwords);

	/* state 0, position 0: "^" passable; never reached again */
	RxClosure(b, &start, 1, true, false, b->states);
	b->nstates = 1;

	for (int id = 0; id < b->nstates; id++)
	{
		uint64	   *cur = b->states + (size_t) id * b->nwords;
		int			nseeds;
		bool		any_live = false;

		/* accepting now, at the end, or dead */
		for (int s = 0; s < nfa->n; s++)
			if (RX_BIT_HAS(cur, s) && live[s])
				any_live = true;
		if (RX_BIT_HAS(cur, match))
			stop[id] = RX_STOP_MATCH;
		else if (!any_live && id > 0)
			stop[id] = RX_STOP_DEAD;
		nseeds = 0;
		for (int s = 0; s < nfa->n; s++)
			if (RX_BIT_HAS(cur, s))
				seeds[nseeds++] = s;
		memset(bits, 0, sizeof(uint64) * b->nwords);
		RxClosure(b, seeds, nseeds, id == 0, true, bits);
		acc_end[id] = RX_BIT_HAS(bits, match);

		/* transitions: a match may also start at the next position */
		for (int k = 0; k < ncls; k++)
		{
			int			next;

			nseeds = 0;
			seeds[nseeds++] = start;
			for (int s = 0; s < nfa->n; s++)
				if (RX_BIT_HAS(cur, s) && nfa->kind[s] == RXS_CHAR &&
					RX_SET_HAS(&sets[nfa->set[s]], rep[k]))
					seeds[nseeds++] = nfa->out1[s];
			memset(bits, 0, sizeof(uint64) * b->nwords);
			RxClosure(b, seeds, nseeds, false, false, bits);
			next = RxDfaState(b, bits);
			if (next < 0)
				return NULL;
			/* b->states may not move: it was allocated for RX_MAX_DFA */
			trans[id * ncls + k] = (int16) next;
		}
	}

	/* one chunk in the rule's context */
	mem = MemoryContextAlloc(result_cxt,
							 MAXALIGN(sizeof(DqRegexFast)) +
							 MAXALIGN(sizeof(int16) * b->nstates * 256) +
							 b->nstates * sizeof(bool));
	fa = (DqRegexFast *) mem;
	mem += MAXALIGN(sizeof(DqRegexFast));
	fa->next = (int16 *) mem;
	mem += MAXALIGN(sizeof(int16) * b->nstates * 256);
	fa->acc_end = (bool *) mem;
	fa->nstates = b->nstates;
	fa->match_at_start = (stop[0] == RX_STOP_MATCH);
	for (int id = 0; id < b->nstates; id++)
	{
		for (int c = 0; c < 256; c++)
		{
			int16		to;

			if (classmap[c] == RX_NONASCII)
				to = RX_TO_UNKNOWN;
			else
			{
				to = trans[id * ncls + classmap[c]];
				if (stop[to] == RX_STOP_MATCH)
					to = RX_TO_MATCH;
				else if (stop[to] == RX_STOP_DEAD)
					to = RX_TO_DEAD;
			}
			fa->next[id * 256 + c] = to;
		}
	}
	memcpy(fa->acc_end, acc_end, sizeof(bool) * b->nstates);
	return fa;
}

/*
 * The automaton of pattern (len bytes, already accepted by PostgreSQL's
 * compiler with REG_ADVANCED and this collation), allocated in the current
 * memory context; or NULL, with *reason saying why PostgreSQL's engine
 * must be used instead.
 */
DqRegexFast *
DqRegexFastCompile(const char *pattern, int len, Oid collation,
				   const char **reason)
{
	MemoryContext result_cxt = CurrentMemoryContext;
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext,
											  "dq_lineage regex automaton",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(tmp);
	RxParser	ps;
	RxNode	   *root = NULL;
	DqRegexFast *fa = NULL;

	*reason = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.p = pattern;
	ps.end = pattern + len;
	ps.collation = collation;
	ps.maxsets = 16;
	ps.sets = palloc(sizeof(RxSet) * ps.maxsets);

	if (len > RX_MAX_PATTERN)
		*reason = "pattern too long";
	else
	{
		root = RxParseAlt(&ps, 0);
		if (root == NULL)
			*reason = ps.reason ? ps.reason : "unsupported syntax";
	}
	if (root != NULL)
	{
		RxNfa		nfa;
		int			match;
		int			start;

		memset(&nfa, 0, sizeof(nfa));
		nfa.cap = 64;
		nfa.kind = palloc(sizeof(uint8) * nfa.cap);
		nfa.out1 = palloc(sizeof(int) * nfa.cap);
		nfa.out2 = palloc(sizeof(int) * nfa.cap);
		nfa.set = palloc(sizeof(int) * nfa.cap);
		match = RxNewState(&nfa, RXS_MATCH, -1, -1, -1);
		start = RxBuild(&nfa, root, match);
		if (nfa.full)
			*reason = "too many NFA states";
		else if ((fa = RxBuildDfa(&nfa, ps.sets, ps.nsets, start, match,
								  result_cxt)) == NULL)
			*reason = "too many DFA states";
	}

	MemoryContextSwitchTo(old);
	MemoryContextDelete(tmp);
	return fa;
}

int
DqRegexFastNStates(const DqRegexFast *fa)
{
	return fa->nstates;
}

/*
 * Does the pattern match somewhere in the len bytes at s?  DQ_RX_UNKNOWN
 * when a non-ASCII byte comes before the answer is certain.
 *
 * The inner loop runs while the bytes lead from a state back to itself
 * (the run of hex digits in "^[0-9a-f]+$"): there the next load does not
 * wait for the state the previous one read, so the bytes of a long run go
 * through at about one per cycle rather than one per load latency.
 */
int
DqRegexFastMatch(const DqRegexFast *fa, const char *s, int len)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + len;
	int			st = 0;

	if (fa->match_at_start)
		return DQ_RX_MATCH;
	while (p < end)
	{
		const int16 *row = fa->next + st * 256;
		int			to;

		while (row[*p] == st)
		{
			if (++p == end)
				return fa->acc_end[st] ? DQ_RX_MATCH : DQ_RX_NO_MATCH;
		}
		to = row[*p++];
		if (to < 0)
			return to == RX_TO_MATCH ? DQ_RX_MATCH :
				to == RX_TO_DEAD ? DQ_RX_NO_MATCH : DQ_RX_UNKNOWN;
		st = to;
	}
	return fa->acc_end[st] ? DQ_RX_MATCH : DQ_RX_NO_MATCH;
}
