// SPDX-License-Identifier: GPL-2.0
/*
 * Scenarios: small per-CPU programs (the format is in scenario.h).
 *
 * Parsing turns the text into one statement array per block and resolves
 * every name (page group, lock, event) to an index, and checks what can be
 * checked without running: a later statement never refers to something the
 * file does not make.  Running a statement therefore never searches, never
 * allocates host memory and never fails except as the modelled kernel does.
 *
 * Cross-CPU ordering (smp start, "every CPU block done", signal/wait) goes
 * through sim_event only: under the controlled backend just one CPU thread
 * runs at a time and the scheduler understands events, locks and RCU, not
 * pthread waits.  The host mutex below guards bookkeeping only and is never
 * held across a scheduling point.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/array.h"
#include "sim/core/codetag.h"
#include "sim/core/event.h"
#include "sim/core/nmi.h"
#include "sim/core/printk.h"
#include "sim/core/rcu.h"
#include "sim/core/sched.h"
#include "sim/core/spinlock.h"
#include "sim/core/trace.h"
#include "alloc/alloc_pages.h"
#include "alloc/gfp.h"
#include "alloc_tag/alloc_tag.h"
#include "alloc_tag/early_pfn.h"
#include "alloc_tag/pgalloc_tag.h"
#include "page_ext/page_ext.h"
#include "cli.h"
#include "scenario.h"

#define SCENARIO_MAX_LINE	4096
#define SCENARIO_MAX_CPUS	64
#define SCENARIO_MAX_COUNT	65536
#define SCENARIO_MAX_WAIT	1000000
#define SCENARIO_MAX_NMI_AT	1000000
#define SCENARIO_DEFAULT_NMI_AT	2
#define SCENARIO_DEFAULT_MEM	(512ULL << 20)
#define SCENARIO_MIN_MEM	(16ULL << 20)	/* the allocator's minimum */
#define SCENARIO_MAX_FILE	(16UL << 20)
#define SECTION_ALL		ULONG_MAX

enum stmt_kind {
	ST_ALLOC,
	ST_FREE,
	ST_FREE_EARLY,
	ST_FREE_ALL,
	ST_PAGE_EXT_INIT,
	ST_PAGE_EXT_PREPARE,
	ST_PAGE_EXT_SECTION,
	ST_PAGE_EXT_FINISH,
	ST_CLEAR,
	ST_LOCK,
	ST_UNLOCK,
	ST_RCU_READ_LOCK,
	ST_RCU_READ_UNLOCK,
	ST_SYNCHRONIZE_RCU,
	ST_OOPS,
	ST_SIGNAL,
	ST_WAIT,
	ST_SPLIT,
	ST_NMI,
};

/* How many blocks an alloc statement asks for. */
enum count_kind {
	COUNT_FIXED,		/* count=N */
	COUNT_CAPACITY,		/* count=capacity[+-N]: the variant's storage unit */
	COUNT_ALL,		/* count=all: until an allocation fails */
};

enum pfn_source {
	PFN_ANY,		/* whatever the allocator picks */
	PFN_FIXED,		/* pfn=0x... */
	PFN_OF_NAME,		/* pfn=@NAME: NAME's first block */
};

struct stmt {
	enum stmt_kind kind;
	unsigned int line;
	unsigned int ref;		/* page group, lock or event index */
	/* alloc, nmi */
	unsigned int order, count, tag_index;
	enum count_kind count_kind;
	long count_delta;		/* COUNT_CAPACITY: + or - N */
	gfp_t gfp;
	enum pfn_source pfn_source;
	unsigned long pfn;		/* PFN_FIXED */
	unsigned int pfn_group;		/* PFN_OF_NAME */
	/* page_ext_section */
	unsigned long section;		/* SECTION_ALL: every section */
	/* wait */
	long at_least;
	/* nmi: the point inside RECORD it fires at, from 1 */
	unsigned long nmi_at;
};

struct block {
	struct stmt *v;
	size_t n, cap;
	bool present;
	char comm[16];
};

/* A page group, lock or event name, with what the checks need to know. */
struct symbol {
	char *name;
	unsigned int first_line;	/* first mention */
	unsigned int first_unlock_line;
	long uses;			/* groups: blocks bound; events: signals */
	bool locked;			/* locks: some "lock L" line */
};

struct symbol_table {
	struct symbol *v;
	unsigned int n, cap;
};

struct scenario {
	char *name, *description, *tag_filename;
	unsigned long long mem_bytes;
	enum page_ext_mode publish;
	int bits_per_long;		/* 64 or 32 */
	unsigned long long movable_bytes;
	bool compressed;
	struct block early, late, cpu[SCENARIO_MAX_CPUS];
	struct symbol_table groups, locks, events;
	unsigned int nr_allocs;		/* alloc statements: one tag each */
	unsigned int nr_cpus;
};

/* ------------------------------------------------------------------ */
/* Parsing */

struct parser {
	struct scenario *sc;
	const char *path;
	unsigned int line;
	char *err;
	size_t errlen;
	struct block *block;		/* NULL before the first block header */
	bool seen_description, seen_mem, seen_publish, seen_prepare;
	/* machine directives checked together at the end: where, and as written */
	unsigned int mem_line, bits_line, movable_line, compressed_line;
	char mem_text[48], movable_text[48];
	char buf[SCENARIO_MAX_LINE + 1];
	char *tok[SCENARIO_MAX_LINE / 2 + 1];
	unsigned int ntok;
};

static int __printf(2, 3) parse_error(struct parser *p, const char *fmt, ...)
{
	int n = snprintf(p->err, p->errlen, "%s:%u: ", p->path, p->line);
	va_list ap;

	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

#define found(p, text, expected, ...) \
	parse_error((p), "found '%s'; expected " expected, (text), ##__VA_ARGS__)
#define found_eol(p, expected, ...) \
	parse_error((p), "found end of line; expected " expected, ##__VA_ARGS__)

static int out_of_memory(struct parser *p)
{
	return parse_error(p, "out of host memory");
}

static bool is_scenario_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

/* Page groups, locks and events: [A-Za-z0-9_][A-Za-z0-9_.-]* */
static bool is_symbol_name(const char *s)
{
	if (!isalnum((unsigned char)*s) && *s != '_')
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static struct symbol *symbol_find(struct symbol_table *t, const char *name,
				  unsigned int *index)
{
	for (unsigned int i = 0; i < t->n; i++) {
		if (!strcmp(t->v[i].name, name)) {
			if (index)
				*index = i;
			return &t->v[i];
		}
	}
	return NULL;
}

/* The symbol @name, made on first mention.  NULL: host out of memory. */
static struct symbol *symbol_get(struct symbol_table *t, const char *name,
				 unsigned int line, unsigned int *index)
{
	struct symbol *s = symbol_find(t, name, index);

	if (s)
		return s;
	if (t->n == t->cap) {
		unsigned int cap = t->cap ? t->cap * 2 : 8;
		struct symbol *nv = realloc(t->v, cap * sizeof(*nv));

		if (!nv)
			return NULL;
		t->v = nv;
		t->cap = cap;
	}
	s = &t->v[t->n];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name)
		return NULL;
	s->first_line = line;
	*index = t->n++;
	return s;
}

static void symbol_table_free(struct symbol_table *t)
{
	for (unsigned int i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
}

static struct stmt *block_push(struct parser *p, enum stmt_kind kind)
{
	struct block *b = p->block;
	struct stmt *st;

	if (!array_reserve(&b->v, &b->cap, b->n, sizeof(*b->v), 8))
		return NULL;
	st = &b->v[b->n++];
	memset(st, 0, sizeof(*st));
	st->kind = kind;
	st->line = p->line;
	return st;
}

static int expect_end(struct parser *p, unsigned int ntok)
{
	if (p->ntok > ntok)
		return found(p, p->tok[ntok], "end of line");
	return 0;
}

/* "name=value" with a known @key: the value, else NULL. */
static const char *option_value(const char *tok, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(tok, key, n) && tok[n] == '=' ? tok + n + 1 : NULL;
}

/* The NAME an alloc or nmi statement binds its pages to. */
static int parse_page_name(struct parser *p)
{
	if (p->ntok < 2)
		return found_eol(p, "a NAME for the pages");
	if (!is_symbol_name(p->tok[1]))
		return found(p, p->tok[1], "a NAME ([A-Za-z0-9_][A-Za-z0-9_.-]*)");
	if (!strcmp(p->tok[1], "early") || !strcmp(p->tok[1], "all"))
		return found(p, p->tok[1], "a NAME other than 'early' and 'all' (free takes those)");
	return 0;
}

static int parse_alloc(struct parser *p)
{
	struct scenario *sc = p->sc;
	bool seen_order = false, seen_gfp = false, seen_count = false, seen_pfn = false;
	unsigned int order = 0, count = 1, group, pfn_group = 0;
	enum count_kind count_kind = COUNT_FIXED;
	long count_delta = 0;
	enum pfn_source source = PFN_ANY;
	unsigned long pfn = 0;
	gfp_t gfp = GFP_KERNEL;
	struct symbol *sym;
	struct stmt *st;

	if (parse_page_name(p))
		return -1;
	for (unsigned int i = 2; i < p->ntok; i++) {
		const char *tok = p->tok[i], *v;
		unsigned long long n;

		if ((v = option_value(tok, "order"))) {
			if (seen_order)
				return found(p, tok, "each option at most once");
			if (parse_uint(v, MAX_PAGE_ORDER, &n))
				return found(p, tok, "order=0..%d", MAX_PAGE_ORDER);
			order = (unsigned int)n;
			seen_order = true;
		} else if ((v = option_value(tok, "gfp"))) {
			const char *bad = NULL;

			if (seen_gfp)
				return found(p, tok, "each option at most once");
			if (!*v || gfp_parse(v, strlen(v), &gfp, &bad))
				return found(p, tok, "gfp=FLAG|FLAG... (GFP_KERNEL, __GFP_ZERO, 0x...)");
			seen_gfp = true;
		} else if ((v = option_value(tok, "count"))) {
			if (seen_count)
				return found(p, tok, "each option at most once");
			if (!strcmp(v, "all")) {
				count_kind = COUNT_ALL;
			} else if (!strncmp(v, "capacity", 8)) {
				const char *d = v + 8;

				count_kind = COUNT_CAPACITY;
				if (*d && ((*d != '+' && *d != '-') ||
					   parse_uint(d + 1, SCENARIO_MAX_COUNT, &n)))
					return found(p, tok, "count=capacity, capacity+N or capacity-N");
				if (*d)
					count_delta = *d == '-' ? -(long)n : (long)n;
			} else if (parse_uint(v, SCENARIO_MAX_COUNT, &n) || !n) {
				return found(p, tok, "count=1..%d, count=capacity[+-N] or count=all",
					     SCENARIO_MAX_COUNT);
			} else {
				count = (unsigned int)n;
			}
			seen_count = true;
		} else if ((v = option_value(tok, "pfn"))) {
			if (seen_pfn)
				return found(p, tok, "each option at most once");
			if (*v == '@') {
				if (!symbol_find(&sc->groups, v + 1, &pfn_group))
					return found(p, tok, "pfn=@NAME of an earlier alloc");
				source = PFN_OF_NAME;
			} else {
				/* any PFN parses; one beyond memory fails to claim */
				if (parse_uint(v, ULONG_MAX >> PAGE_SHIFT, &n))
					return found(p, tok, "pfn=NUMBER (0x... or decimal) or pfn=@NAME");
				pfn = (unsigned long)n;
				source = PFN_FIXED;
			}
			seen_pfn = true;
		} else {
			return found(p, tok, "order=, gfp=, count= or pfn=");
		}
	}

	sym = symbol_get(&sc->groups, p->tok[1], p->line, &group);
	st = sym ? block_push(p, ST_ALLOC) : NULL;
	if (!st)
		return out_of_memory(p);
	sym->uses += count;
	st->ref = group;
	st->order = order;
	st->count = count;
	st->count_kind = count_kind;
	st->count_delta = count_delta;
	st->gfp = gfp;
	st->pfn_source = source;
	st->pfn = pfn;
	st->pfn_group = pfn_group;
	st->tag_index = sc->nr_allocs++;
	return 0;
}

/* nmi NAME [order=N] [gfp=G] [at=K] */
static int parse_nmi(struct parser *p)
{
	struct scenario *sc = p->sc;
	bool seen_order = false, seen_gfp = false, seen_at = false;
	unsigned long at = SCENARIO_DEFAULT_NMI_AT;
	unsigned int order = 0, group;
	gfp_t gfp = 0;
	struct symbol *sym;
	struct stmt *st;

	if (parse_page_name(p))
		return -1;
	for (unsigned int i = 2; i < p->ntok; i++) {
		const char *tok = p->tok[i], *v;
		unsigned long long n;

		if ((v = option_value(tok, "order"))) {
			if (seen_order)
				return found(p, tok, "each option at most once");
			if (parse_uint(v, PAGE_ALLOC_COSTLY_ORDER, &n))
				return found(p, tok, "order=0..%d (alloc_pages_nolock serves "
					     "pcp orders only)", PAGE_ALLOC_COSTLY_ORDER);
			order = (unsigned int)n;
			seen_order = true;
		} else if ((v = option_value(tok, "gfp"))) {
			if (seen_gfp)
				return found(p, tok, "each option at most once");
			if (!*v || gfp_parse(v, strlen(v), &gfp, NULL))
				return found(p, tok, "gfp=FLAG|FLAG... (none, __GFP_ACCOUNT, 0x...)");
			seen_gfp = true;
		} else if ((v = option_value(tok, "at"))) {
			if (seen_at)
				return found(p, tok, "each option at most once");
			if (parse_uint(v, SCENARIO_MAX_NMI_AT, &n) || !n)
				return found(p, tok, "at=1..%d (a scheduling point inside RECORD)",
					     SCENARIO_MAX_NMI_AT);
			at = (unsigned long)n;
			seen_at = true;
		} else {
			return found(p, tok, "order=, gfp= or at=");
		}
	}

	sym = symbol_get(&sc->groups, p->tok[1], p->line, &group);
	st = sym ? block_push(p, ST_NMI) : NULL;
	if (!st)
		return out_of_memory(p);
	sym->uses += 1;
	st->ref = group;
	st->order = order;
	st->count = 1;
	st->gfp = gfp;
	st->nmi_at = at;
	st->tag_index = sc->nr_allocs++;
	return 0;
}

static int parse_free(struct parser *p)
{
	struct stmt *st;
	unsigned int group = 0;
	enum stmt_kind kind = ST_FREE;

	if (p->ntok < 2)
		return found_eol(p, "NAME, 'early' or 'all'");
	if (!strcmp(p->tok[1], "early"))
		kind = ST_FREE_EARLY;
	else if (!strcmp(p->tok[1], "all"))
		kind = ST_FREE_ALL;
	else if (!symbol_find(&p->sc->groups, p->tok[1], &group))
		return found(p, p->tok[1], "the NAME of an earlier alloc, 'early' or 'all'");
	if (expect_end(p, 2))
		return -1;
	st = block_push(p, kind);
	if (!st)
		return out_of_memory(p);
	st->ref = group;
	return 0;
}

static int parse_split(struct parser *p)
{
	unsigned int group;
	struct stmt *st;

	if (p->ntok < 2)
		return found_eol(p, "the NAME of an earlier alloc");
	if (!symbol_find(&p->sc->groups, p->tok[1], &group))
		return found(p, p->tok[1], "the NAME of an earlier alloc");
	if (expect_end(p, 2))
		return -1;
	st = block_push(p, ST_SPLIT);
	if (!st)
		return out_of_memory(p);
	st->ref = group;
	return 0;
}

static int parse_page_ext_section(struct parser *p)
{
	unsigned long section = SECTION_ALL;
	unsigned long long n;
	struct stmt *st;

	if (p->ntok < 2)
		return found_eol(p, "a section number or 'all'");
	if (strcmp(p->tok[1], "all")) {
		if (parse_uint(p->tok[1], ULONG_MAX - 1, &n))
			return found(p, p->tok[1], "a section number or 'all'");
		section = (unsigned long)n;
	}
	if (expect_end(p, 2))
		return -1;
	/* Tables need the entry size that page_ext_prepare computes. */
	if (!p->seen_prepare)
		return found(p, p->tok[0], "a page_ext_prepare line before page_ext_section");
	st = block_push(p, ST_PAGE_EXT_SECTION);
	if (!st)
		return out_of_memory(p);
	st->section = section;
	return 0;
}

static int parse_lock(struct parser *p, enum stmt_kind kind)
{
	struct symbol *sym;
	unsigned int lock;
	struct stmt *st;

	if (p->ntok < 2)
		return found_eol(p, "a lock name");
	if (!is_symbol_name(p->tok[1]))
		return found(p, p->tok[1], "a lock name ([A-Za-z0-9_][A-Za-z0-9_.-]*)");
	if (expect_end(p, 2))
		return -1;
	sym = symbol_get(&p->sc->locks, p->tok[1], p->line, &lock);
	st = sym ? block_push(p, kind) : NULL;
	if (!st)
		return out_of_memory(p);
	if (kind == ST_LOCK)
		sym->locked = true;
	else if (!sym->first_unlock_line)
		sym->first_unlock_line = p->line;
	st->ref = lock;
	return 0;
}

static int parse_event(struct parser *p, enum stmt_kind kind)
{
	unsigned long long n = 1;
	struct symbol *sym;
	unsigned int event;
	struct stmt *st;

	if (p->ntok < 2)
		return found_eol(p, "an event name");
	if (!is_symbol_name(p->tok[1]))
		return found(p, p->tok[1], "an event name ([A-Za-z0-9_][A-Za-z0-9_.-]*)");
	if (kind == ST_WAIT && p->ntok > 2) {
		if (parse_uint(p->tok[2], SCENARIO_MAX_WAIT, &n) || !n)
			return found(p, p->tok[2], "a count 1..%d", SCENARIO_MAX_WAIT);
		if (expect_end(p, 3))
			return -1;
	} else if (expect_end(p, 2)) {
		return -1;
	}
	sym = symbol_get(&p->sc->events, p->tok[1], p->line, &event);
	st = sym ? block_push(p, kind) : NULL;
	if (!st)
		return out_of_memory(p);
	if (kind == ST_SIGNAL)
		sym->uses++;
	st->ref = event;
	st->at_least = (long)n;
	return 0;
}

static const struct {
	const char *word;
	enum stmt_kind kind;
} simple_statements[] = {
	{ "page_ext_init", ST_PAGE_EXT_INIT },
	{ "page_ext_prepare", ST_PAGE_EXT_PREPARE },
	{ "page_ext_finish", ST_PAGE_EXT_FINISH },
	{ "clear", ST_CLEAR },
	{ "rcu_read_lock", ST_RCU_READ_LOCK },
	{ "rcu_read_unlock", ST_RCU_READ_UNLOCK },
	{ "synchronize_rcu", ST_SYNCHRONIZE_RCU },
	{ "oops", ST_OOPS },
};

static int parse_statement(struct parser *p)
{
	const char *kw = p->tok[0];

	if (!p->block)
		return found(p, kw, "a block header (early:, cpu N [COMM]:, late:) before statements");
	if (!strcmp(kw, "alloc"))
		return parse_alloc(p);
	if (!strcmp(kw, "free"))
		return parse_free(p);
	if (!strcmp(kw, "page_ext_section"))
		return parse_page_ext_section(p);
	if (!strcmp(kw, "split"))
		return parse_split(p);
	if (!strcmp(kw, "lock"))
		return parse_lock(p, ST_LOCK);
	if (!strcmp(kw, "unlock"))
		return parse_lock(p, ST_UNLOCK);
	if (!strcmp(kw, "signal"))
		return parse_event(p, ST_SIGNAL);
	if (!strcmp(kw, "wait"))
		return parse_event(p, ST_WAIT);
	if (!strcmp(kw, "nmi"))
		return parse_nmi(p);
	for (size_t i = 0; i < ARRAY_SIZE(simple_statements); i++) {
		if (strcmp(kw, simple_statements[i].word))
			continue;
		if (expect_end(p, 1))
			return -1;
		if (simple_statements[i].kind == ST_PAGE_EXT_PREPARE)
			p->seen_prepare = true;
		if (!block_push(p, simple_statements[i].kind))
			return out_of_memory(p);
		return 0;
	}
	return found(p, kw, "a statement (alloc, free, page_ext_init, page_ext_prepare, "
		     "page_ext_section, page_ext_finish, clear, lock, unlock, rcu_read_lock, "
		     "rcu_read_unlock, synchronize_rcu, signal, wait, split, nmi)");
}

/* "early:", "late:" or "cpu N [COMM]:", the final ':' already removed. */
static int parse_block_header(struct parser *p, const char *header)
{
	struct scenario *sc = p->sc;
	const char *kw = p->tok[0];
	struct block *b;

	if (!sc->name)
		return found(p, header, "a 'scenario NAME' line before the first block");
	if (!strcmp(kw, "early") || !strcmp(kw, "late")) {
		if (expect_end(p, 1))
			return -1;
		b = kw[0] == 'e' ? &sc->early : &sc->late;
		if (b->present)
			return found(p, header, "one '%s:' block only", kw);
		snprintf(b->comm, sizeof(b->comm), "swapper/0");
	} else if (!strcmp(kw, "cpu")) {
		unsigned long long cpu;

		if (p->ntok < 2)
			return found(p, header, "cpu N [COMM]: with N below %d", SCENARIO_MAX_CPUS);
		if (parse_uint(p->tok[1], SCENARIO_MAX_CPUS - 1, &cpu))
			return found(p, p->tok[1], "a CPU number below %d", SCENARIO_MAX_CPUS);
		b = &sc->cpu[cpu];
		if (b->present)
			return found(p, header, "one 'cpu %llu' block only", cpu);
		if (p->ntok > 2) {
			if (strlen(p->tok[2]) >= sizeof(b->comm))
				return found(p, p->tok[2], "a COMM of at most %zu characters",
					     sizeof(b->comm) - 1);
			if (expect_end(p, 3))
				return -1;
			snprintf(b->comm, sizeof(b->comm), "%s", p->tok[2]);
		} else if (cpu == 0) {
			snprintf(b->comm, sizeof(b->comm), "swapper/0");
		} else {
			snprintf(b->comm, sizeof(b->comm), "kworker/%u:1", (unsigned int)cpu % 64);
		}
		if (cpu + 1 > sc->nr_cpus)
			sc->nr_cpus = (unsigned int)cpu + 1;
	} else {
		return found(p, header, "a block header (early:, cpu N [COMM]:, late:)");
	}
	b->present = true;
	p->block = b;
	return 0;
}

static int parse_header(struct parser *p, const char *kw, char *rest)
{
	struct scenario *sc = p->sc;

	if (p->block)
		return found(p, kw, "a statement (headers come before the first block)");
	if (!strcmp(kw, "description")) {
		if (p->seen_description)
			return found(p, kw, "one description line only");
		if (!*rest)
			return found_eol(p, "a one-line description");
		free(sc->description);
		sc->description = strdup(rest);
		if (!sc->description)
			return out_of_memory(p);
		p->seen_description = true;
		return 0;
	}
	if (!strcmp(kw, "compressed")) {
		if (p->compressed_line)
			return found(p, kw, "one compressed line only");
		if (expect_end(p, 1))
			return -1;
		sc->compressed = true;
		p->compressed_line = p->line;
		return 0;
	}
	if (p->ntok < 2)
		return found_eol(p, "a value after '%s'", kw);
	if (!strcmp(kw, "scenario")) {
		if (sc->name)
			return found(p, kw, "one scenario line only");
		if (!is_scenario_name(p->tok[1]))
			return found(p, p->tok[1], "a scenario name ([a-z0-9-]+)");
		if (expect_end(p, 2))
			return -1;
		sc->name = strdup(p->tok[1]);
		if (!sc->name)
			return out_of_memory(p);
		return 0;
	}
	if (!strcmp(kw, "mem")) {
		unsigned long long bytes;

		if (p->seen_mem)
			return found(p, kw, "one mem line only");
		if (parse_size(p->tok[1], &bytes) || bytes < SCENARIO_MIN_MEM)
			return found(p, p->tok[1], "a size of at least 16M (e.g. 256M, 2G)");
		if (expect_end(p, 2))
			return -1;
		sc->mem_bytes = bytes;
		p->seen_mem = true;
		p->mem_line = p->line;
		snprintf(p->mem_text, sizeof(p->mem_text), "%s", p->tok[1]);
		return 0;
	}
	if (!strcmp(kw, "bits")) {
		if (p->bits_line)
			return found(p, kw, "one bits line only");
		if (strcmp(p->tok[1], "32") && strcmp(p->tok[1], "64"))
			return found(p, p->tok[1], "32 or 64");
		if (expect_end(p, 2))
			return -1;
		sc->bits_per_long = p->tok[1][0] == '3' ? 32 : 64;
		p->bits_line = p->line;
		return 0;
	}
	if (!strcmp(kw, "movable")) {
		unsigned long long bytes;

		if (p->movable_line)
			return found(p, kw, "one movable line only");
		if (parse_size(p->tok[1], &bytes))
			return found(p, p->tok[1], "a ZONE_MOVABLE size (e.g. 64M, 1G; 0 for none)");
		if (expect_end(p, 2))
			return -1;
		sc->movable_bytes = bytes;
		p->movable_line = p->line;
		snprintf(p->movable_text, sizeof(p->movable_text), "%s", p->tok[1]);
		return 0;
	}
	/* publish */
	if (p->seen_publish)
		return found(p, kw, "one publish line only");
	if (!strcmp(p->tok[1], "progressive"))
		sc->publish = PAGE_EXT_PROGRESSIVE;
	else if (!strcmp(p->tok[1], "flat"))
		sc->publish = PAGE_EXT_FLAT;
	else
		return found(p, p->tok[1], "progressive or flat");
	p->seen_publish = true;
	return expect_end(p, 2);
}

static void tokenize(struct parser *p, char *s)
{
	p->ntok = 0;
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			return;
		p->tok[p->ntok++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
}

static bool is_header_word(const char *w, size_t n)
{
	static const char *const words[] = {
		"scenario", "description", "mem", "publish", "bits", "movable", "compressed",
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strlen(words[i]) == n && !strncmp(w, words[i], n))
			return true;
	return false;
}

static int parse_line(struct parser *p, const char *line, size_t len)
{
	char *s = p->buf, *end, *hash, *rest;
	char header[SCENARIO_MAX_LINE + 1];
	size_t wlen;

	memcpy(s, line, len);
	s[len] = '\0';
	hash = strchr(s, '#');
	if (hash)
		*hash = '\0';
	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (!*s)
		return 0;

	wlen = strcspn(s, " \t\v\f\r");
	if (is_header_word(s, wlen)) {
		rest = s + wlen;
		if (*rest) {
			*rest++ = '\0';	/* ends the keyword */
			while (isspace((unsigned char)*rest))
				rest++;
		}
		if (!strcmp(s, "description"))
			return parse_header(p, s, rest);
		tokenize(p, rest);
		memmove(&p->tok[1], &p->tok[0], p->ntok * sizeof(p->tok[0]));
		p->tok[0] = s;
		p->ntok++;
		return parse_header(p, s, rest);
	}
	if (end[-1] == ':') {
		snprintf(header, sizeof(header), "%s", s);
		end[-1] = '\0';
		tokenize(p, s);
		if (!p->ntok)
			return found(p, header, "a block header (early:, cpu N [COMM]:, late:)");
		return parse_block_header(p, header);
	}
	tokenize(p, s);
	return parse_statement(p);
}

/*
 * The machine directives together: what mem_setup() would refuse, and a
 * compressed-mode tag index space too small for one tag per alloc line.
 */
static int check_machine(struct parser *p)
{
	struct scenario *sc = p->sc;
	struct machine_config cfg;
	struct mem_params mp;
	enum mem_params_fault fault;
	uint32_t room;

	machine_config_defaults(&cfg);
	scenario_machine_config(sc, &cfg);
	machine_mem_params(&cfg, &mp);
	fault = mem_check_params(&mp);
	switch (fault) {
	case MEM_PARAMS_OK:
		break;
	case MEM_PARAMS_OVER_4G_32BIT:
		p->line = p->mem_line;
		return found(p, p->mem_text, "at most 4G with 'bits 32' (a 32-bit machine "
			     "addresses 4 GiB)");
	case MEM_PARAMS_MOVABLE_TOO_BIG:
		p->line = p->movable_line;
		return found(p, p->movable_text, "a movable size that leaves at least 16M of "
			     "mem to the other zones");
	default:
		p->line = p->mem_line ? p->mem_line : p->line;
		return found(p, p->mem_line ? p->mem_text : "mem",
			     "a memory size the allocator accepts (%s)",
			     mem_params_fault_text(fault));
	}
	room = PGALLOC_TAG_COMPRESSED_MAX_TAGS - min(codetag_count(),
						     PGALLOC_TAG_COMPRESSED_MAX_TAGS);
	if (sc->compressed && sc->nr_allocs > room) {
		char count[48];

		p->line = p->compressed_line;
		snprintf(count, sizeof(count), "%u alloc lines", sc->nr_allocs);
		return found(p, count, "at most %u with 'compressed' (%d page-flag bits "
			     "index the tags, one per alloc line)", room, PG_TAG_BITS);
	}
	return 0;
}

/* Whole-file checks: what no single line can tell. */
static int check_scenario(struct parser *p)
{
	struct scenario *sc = p->sc;

	if (!sc->name)
		return parse_error(p, "found end of file; expected a 'scenario NAME' line");
	if (!sc->nr_cpus)
		return parse_error(p, "found end of file; expected at least one 'cpu N [COMM]:' block");
	if (check_machine(p))
		return -1;
	for (unsigned int i = 0; i < sc->locks.n; i++) {
		const struct symbol *l = &sc->locks.v[i];

		if (!l->locked) {
			p->line = l->first_unlock_line;
			return found(p, l->name, "a lock that some 'lock %s' line takes", l->name);
		}
	}
	/* A wait nothing can satisfy hangs the free backend: refuse it here. */
	for (int b = -2; b < SCENARIO_MAX_CPUS; b++) {
		const struct block *blk = b == -2 ? &sc->early : b == -1 ? &sc->late : &sc->cpu[b];

		for (size_t i = 0; i < blk->n; i++) {
			const struct stmt *st = &blk->v[i];
			const struct symbol *e;
			char count[24];

			if (st->kind != ST_WAIT)
				continue;
			e = &sc->events.v[st->ref];
			if (st->at_least <= e->uses)
				continue;
			p->line = st->line;
			if (!e->uses)
				return found(p, e->name, "an event that some 'signal %s' line raises",
					     e->name);
			snprintf(count, sizeof(count), "%ld", st->at_least);
			return found(p, count, "at most %ld (the 'signal %s' lines in the file)",
				     e->uses, e->name);
		}
	}
	return 0;
}

struct scenario *scenario_parse(const char *text, const char *path,
				char *err, size_t errlen)
{
	struct parser *p = calloc(1, sizeof(*p));
	struct scenario *sc = calloc(1, sizeof(*sc));
	const char *line = text;
	int ret = 0;

	if (!p || !sc) {
		snprintf(err, errlen, "%s: out of host memory", path);
		free(p);
		free(sc);
		return NULL;
	}
	sc->mem_bytes = SCENARIO_DEFAULT_MEM;
	sc->publish = PAGE_EXT_PROGRESSIVE;
	sc->bits_per_long = 64;
	p->sc = sc;
	p->path = path;
	p->err = err;
	p->errlen = errlen;

	while (*line && !ret) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		p->line++;
		if (len > SCENARIO_MAX_LINE) {
			ret = parse_error(p, "found a line of %zu characters; expected at most %d",
					  len, SCENARIO_MAX_LINE);
			break;
		}
		ret = parse_line(p, line, len);
		line = nl ? nl + 1 : line + len;
	}
	if (!ret) {
		if (!p->line)
			p->line = 1;
		ret = check_scenario(p);
	}
	if (!ret) {
		size_t n = strlen(sc->name) + sizeof(".scn");

		sc->tag_filename = malloc(n);
		if (sc->tag_filename)
			snprintf(sc->tag_filename, n, "%s.scn", sc->name);
		else
			ret = out_of_memory(p);
	}
	free(p);
	if (ret) {
		scenario_free(sc);
		return NULL;
	}
	return sc;
}

struct scenario *scenario_load(const char *path, char *err, size_t errlen)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	size_t len = 0, cap = 0;
	struct scenario *sc = NULL;
	char *buf = NULL;
	const char *shown = is_stdin ? "<stdin>" : path;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t got;

		if (cap - len < 4096) {
			char *nb;

			cap = cap ? cap * 2 : 16384;
			if (cap > SCENARIO_MAX_FILE + 4096) {
				snprintf(err, errlen, "%s: found a file over %lu bytes; expected a "
					 "small scenario", shown, SCENARIO_MAX_FILE);
				goto out;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "%s: out of host memory", shown);
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", shown, strerror(errno));
		goto out;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		const char *nul = memchr(buf, '\0', len);
		unsigned int line = 1;

		for (const char *c = buf; c < nul; c++)
			line += *c == '\n';
		snprintf(err, errlen, "%s:%u: found a NUL byte; expected text", shown, line);
		goto out;
	}
	sc = scenario_parse(buf, shown, err, errlen);
out:
	free(buf);
	if (!is_stdin)
		fclose(f);
	return sc;
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	free(sc->early.v);
	free(sc->late.v);
	for (unsigned int i = 0; i < SCENARIO_MAX_CPUS; i++)
		free(sc->cpu[i].v);
	symbol_table_free(&sc->groups);
	symbol_table_free(&sc->locks);
	symbol_table_free(&sc->events);
	free(sc->name);
	free(sc->description);
	free(sc->tag_filename);
	free(sc);
}

const char *scenario_name(const struct scenario *sc)
{
	return sc->name;
}

const char *scenario_description(const struct scenario *sc)
{
	return sc->description ? sc->description : "";
}

unsigned int scenario_cpus(const struct scenario *sc)
{
	return sc->nr_cpus;
}

void scenario_machine_config(const struct scenario *sc, struct machine_config *cfg)
{
	cfg->cpus = sc->nr_cpus;
	cfg->mem_bytes = sc->mem_bytes;
	cfg->publish = sc->publish;
	cfg->bits_per_long = sc->bits_per_long;
	cfg->movable_bytes = sc->movable_bytes;
	cfg->compressed = sc->compressed;
}

/* ------------------------------------------------------------------ */
/* The built-in catalogue */


const struct scenario_builtin *scenario_builtin_lookup(const char *name)
{
	for (unsigned int i = 0; i < scenario_nr_builtins; i++)
		if (!strcmp(scenario_builtins[i].name, name))
			return &scenario_builtins[i];
	return NULL;
}

struct scenario *scenario_open(const char *name_or_path, char *err, size_t errlen)
{
	const struct scenario_builtin *b = scenario_builtin_lookup(name_or_path);
	char path[64];

	if (!b)
		return scenario_load(name_or_path, err, errlen);
	snprintf(path, sizeof(path), "%s.scn", b->name);
	return scenario_parse(b->text, path, err, errlen);
}

/* ------------------------------------------------------------------ */
/* Running */

struct held_block {
	unsigned long pfn;
	unsigned int order;
	bool early;			/* allocated in early: */
};

/* The blocks a NAME holds; room for every block its allocs could bind. */
struct group_state {
	struct held_block *v;
	size_t n, cap;
	unsigned long first_pfn;	/* the first block ever bound (pfn=@NAME) */
	bool bound;
};

struct scenario_run;

struct cpu_run {
	struct scenario_run *run;
	int cpu;
	bool *holds;			/* per scenario lock: held by this CPU */
	int rcu_depth;			/* scenario rcu_read_lock nesting */
	long allocs, frees, failures;
	bool in_early;			/* running the early: block */
	struct sim_nmi nmi;		/* the last nmi statement's NMI */
	const struct stmt *nmi_st;	/* that statement, NULL: none yet */
};

struct scenario_run {
	const struct scenario *sc;
	struct alloc_tag **tags;	/* per alloc statement */
	struct group_state *groups;
	pthread_mutex_t groups_lock;	/* bookkeeping only, never across a point */
	spinlock_t *locks;
	struct sim_event *events;
	struct sim_event smp_go;		/* early: done, the others may start */
	struct sim_event secondaries_done;	/* CPU blocks other than CPU 0's */
	unsigned int nr_secondaries;
	struct cpu_run cpus[SCENARIO_MAX_CPUS];
	bool *holds;			/* nr_cpus * nr_locks */
	struct unstamped_count unstamped;
	int aborted;			/* a CPU thread failed to start */
};

static bool run_aborted(struct scenario_run *run)
{
	return __atomic_load_n(&run->aborted, __ATOMIC_ACQUIRE);
}

static void group_add(struct scenario_run *run, unsigned int g, struct page *page,
		      unsigned int order, bool early)
{
	struct group_state *gs = &run->groups[g];

	pthread_mutex_lock(&run->groups_lock);
	/* cap starts at the fixed counts; capacity/all counts and splits grow it */
	if (!array_reserve(&gs->v, &gs->cap, gs->n, sizeof(*gs->v), 64))
		abort();	/* host out of memory: internal error */
	gs->v[gs->n++] = (struct held_block){ page_to_pfn(page), order, early };
	if (!gs->bound) {
		gs->first_pfn = page_to_pfn(page);
		gs->bound = true;
	}
	pthread_mutex_unlock(&run->groups_lock);
}

static bool group_first_pfn(struct scenario_run *run, unsigned int g, unsigned long *pfn)
{
	bool bound;

	pthread_mutex_lock(&run->groups_lock);
	bound = run->groups[g].bound;
	*pfn = run->groups[g].first_pfn;
	pthread_mutex_unlock(&run->groups_lock);
	return bound;
}

/*
 * Take one block out of group @g (only an early one if @early_only), so that
 * exactly one CPU frees it even when two free the same NAME at once.
 */
static bool group_take(struct scenario_run *run, unsigned int g, bool early_only,
		       struct held_block *out)
{
	struct group_state *gs = &run->groups[g];
	bool taken = false;

	pthread_mutex_lock(&run->groups_lock);
	for (size_t i = gs->n; i-- > 0;) {
		if (early_only && !gs->v[i].early)
			continue;
		*out = gs->v[i];
		gs->v[i] = gs->v[--gs->n];
		taken = true;
		break;
	}
	pthread_mutex_unlock(&run->groups_lock);
	return taken;
}

static void free_group(struct cpu_run *cr, unsigned int g, bool early_only)
{
	struct held_block b;

	while (group_take(cr->run, g, early_only, &b)) {
		__free_pages(pfn_to_page(b.pfn), b.order);
		cr->frees++;
	}
}

static unsigned long alloc_count(const struct stmt *st)
{
	const struct early_pfn_variant *v = early_pfn_selected();
	long n;

	switch (st->count_kind) {
	case COUNT_CAPACITY:
		n = (v->capacity ? (long)v->capacity(v) : 0) + st->count_delta;
		return n > 0 ? (unsigned long)n : 0;
	case COUNT_ALL:
		return max_pfn;
	default:
		return st->count;
	}
}

static void run_alloc(struct cpu_run *cr, const struct stmt *st, bool early)
{
	struct scenario_run *run = cr->run;
	struct alloc_tag *tag = run->tags[st->tag_index];
	unsigned long base = st->pfn;
	bool have_base = st->pfn_source == PFN_FIXED;

	unsigned long count = alloc_count(st);

	if (st->pfn_source == PFN_OF_NAME)
		have_base = group_first_pfn(run, st->pfn_group, &base);

	for (unsigned long i = 0; i < count; i++) {
		struct page *page = NULL;

		if (st->pfn_source == PFN_ANY) {
			page = alloc_hooks_tag(tag, alloc_pages_noprof(st->gfp, st->order));
		} else if (have_base) {
			/* count > 1 claims consecutive blocks from the base */
			unsigned long pfn = base + ((unsigned long)i << st->order);
			const char *why;

			page = alloc_hooks_tag(tag, mem_claim_block(pfn, st->order,
								    st->gfp, &why));
		}
		if (!page) {
			cr->failures++;
			if (st->count_kind == COUNT_ALL)
				break;
			continue;
		}
		cr->allocs++;
		group_add(run, st->ref, page, st->order, early);
	}
}

/* split_page() every block of @g: each becomes 2^order order-0 blocks (D17). */
static void split_group(struct cpu_run *cr, unsigned int g)
{
	struct scenario_run *run = cr->run;
	struct group_state *gs = &run->groups[g];
	size_t n;

	pthread_mutex_lock(&run->groups_lock);
	n = gs->n;
	pthread_mutex_unlock(&run->groups_lock);
	for (size_t i = 0; i < n; i++) {
		struct held_block b;

		pthread_mutex_lock(&run->groups_lock);
		b = gs->v[i];
		if (b.order)
			gs->v[i].order = 0;
		pthread_mutex_unlock(&run->groups_lock);
		if (!b.order)
			continue;
		split_page(pfn_to_page(b.pfn), b.order);
		for (unsigned long t = 1; t < (1UL << b.order); t++)
			group_add(run, g, pfn_to_page(b.pfn + t), 0, b.early);
	}
}

/* The handler of an nmi statement's NMI: alloc_pages_nolock() under its tag. */
static void scenario_nmi_handler(void *arg)
{
	struct cpu_run *cr = arg;
	const struct stmt *st = cr->nmi_st;
	struct alloc_tag *tag = cr->run->tags[st->tag_index];
	struct page *page;

	sim_note("NMI handler: alloc_pages_nolock(order %u) for %s", st->order,
		 cr->run->sc->groups.v[st->ref].name);
	page = alloc_hooks_tag(tag, alloc_pages_nolock_noprof(st->gfp, NUMA_NO_NODE,
							      st->order));
	if (!page) {
		cr->failures++;
		return;
	}
	cr->allocs++;
	group_add(cr->run, st->ref, page, st->order, cr->in_early);
}

/* nmi NAME: arm this CPU's NMI; it fires inside a later RECORD (nmi.h). */
static void run_nmi(struct cpu_run *cr, const struct stmt *st)
{
	const char *name = cr->run->sc->groups.v[st->ref].name;
	const struct stmt *prev = cr->nmi_st;

	if (prev && !cr->nmi.fired && current->nmi == &cr->nmi)
		sim_note("nmi %s replaces the NMI of line %u, which never fired", name,
			 prev->line);
	cr->nmi_st = st;
	cr->nmi = (struct sim_nmi){
		.handler = scenario_nmi_handler,
		.arg = cr,
		.at = st->nmi_at,
	};
	if (sim_nmi_arm(&cr->nmi)) {
		cr->nmi_st = NULL;
		pr_info("bootsim: %s.scn:%u: nmi %s not armed: NMIs are modelled under the "
			"controlled backend only (bootsim explore)\n", cr->run->sc->name,
			st->line, name);
		return;
	}
	sim_note("nmi %s armed: fires at scheduling point %lu inside RECORD", name,
		 st->nmi_at);
}

static void run_page_ext_section(const struct stmt *st)
{
	unsigned long first = st->section, last = st->section;

	if (st->section == SECTION_ALL) {
		first = 0;
		last = page_ext_nr_sections() - 1;
		if (!page_ext_nr_sections())
			return;
	}
	for (unsigned long nr = first; nr <= last; nr++) {
		if (page_ext_init_section(nr)) {
			/* as page_ext_init() reports a failed table allocation */
			sim_report_bug("Kernel panic - not syncing: Out of memory\n");
			return;
		}
	}
}

static void run_lock(struct cpu_run *cr, const struct stmt *st)
{
	const struct scenario *sc = cr->run->sc;
	const char *name = sc->locks.v[st->ref].name;

	if (cr->holds[st->ref] && sim_get_backend() == SIM_BACKEND_FREE) {
		/* a pthread mutex would hang the host thread forever */
		sim_report_bug("BUG: spinlock recursion on CPU#%d, %s/%d (scenario lock %s)\n",
			       cr->cpu, current->comm, current->pid, name);
		return;
	}
	spin_lock(&cr->run->locks[st->ref]);
	cr->holds[st->ref] = true;
	sim_note("lock %s", name);
}

static void run_unlock(struct cpu_run *cr, unsigned int lock)
{
	const char *name = cr->run->sc->locks.v[lock].name;

	if (!cr->holds[lock]) {
		sim_report_bug("BUG: scenario: CPU#%d unlocks %s, which it does not hold\n",
			       cr->cpu, name);
		return;
	}
	sim_note("unlock %s", name);
	cr->holds[lock] = false;
	spin_unlock(&cr->run->locks[lock]);
}

static void run_statement(struct cpu_run *cr, const struct stmt *st, bool early)
{
	struct scenario_run *run = cr->run;
	const struct scenario *sc = run->sc;

	switch (st->kind) {
	case ST_ALLOC:
		run_alloc(cr, st, early);
		break;
	case ST_FREE:
		free_group(cr, st->ref, false);
		break;
	case ST_FREE_EARLY:
	case ST_FREE_ALL:
		for (unsigned int g = 0; g < sc->groups.n; g++)
			free_group(cr, g, st->kind == ST_FREE_EARLY);
		break;
	case ST_PAGE_EXT_INIT:
		page_ext_init();
		break;
	case ST_PAGE_EXT_PREPARE:
		page_ext_prepare();
		break;
	case ST_PAGE_EXT_SECTION:
		run_page_ext_section(st);
		break;
	case ST_PAGE_EXT_FINISH:
		page_ext_finish();
		break;
	case ST_CLEAR:
		clear_early_alloc_pfn_tag_refs();
		break;
	case ST_LOCK:
		run_lock(cr, st);
		break;
	case ST_UNLOCK:
		run_unlock(cr, st->ref);
		break;
	case ST_RCU_READ_LOCK:
		rcu_read_lock();
		cr->rcu_depth++;
		break;
	case ST_RCU_READ_UNLOCK:
		if (!cr->rcu_depth) {
			sim_report_bug("BUG: scenario: CPU#%d rcu_read_unlock() outside a reader\n",
				       cr->cpu);
			break;
		}
		cr->rcu_depth--;
		rcu_read_unlock();
		break;
	case ST_SYNCHRONIZE_RCU:
		if (cr->rcu_depth && sim_get_backend() == SIM_BACKEND_FREE) {
			/* liburcu would wait for this very reader forever */
			sim_report_bug("BUG: scenario: CPU#%d synchronize_rcu() inside an RCU "
				       "read-side critical section never returns\n", cr->cpu);
			break;
		}
		synchronize_rcu();
		break;
	case ST_OOPS: {
		/*
		 * A NULL dereference at a member offset, as kernel oopses usually
		 * are (address 0x8); not a C-level NULL store, so UBSan lets the
		 * fault happen and bootsim's oops isolation is what gets tested.
		 */
		static volatile uintptr_t oops_address = 0x8;
		volatile unsigned long *bad = (volatile unsigned long *)oops_address;

		SIM_POINT("oops", NULL);
		sim_note("oops: NULL pointer dereference, address 0x8");
		*bad = 0;
		break;
	}
	case ST_SIGNAL:
		sim_note("signal %s", sc->events.v[st->ref].name);
		sim_event_add(&run->events[st->ref], 1);
		break;
	case ST_SPLIT:
		split_group(cr, st->ref);
		break;
	case ST_WAIT:
		sim_event_wait(&run->events[st->ref], st->at_least);
		sim_note("wait %s done", sc->events.v[st->ref].name);
		break;
	case ST_NMI:
		run_nmi(cr, st);
		break;
	}
}

static void run_block(struct cpu_run *cr, const struct block *b, bool early)
{
	cr->in_early = early;
	for (size_t i = 0; i < b->n && !run_aborted(cr->run); i++)
		run_statement(cr, &b->v[i], early);
}

/* A CPU's program is over: undo what it left held, so others cannot hang. */
static void cpu_finish(struct cpu_run *cr)
{
	const struct scenario *sc = cr->run->sc;

	if (sim_nmi_disarm())
		pr_info("bootsim: %s.scn:%u: nmi %s never fired: CPU %d passed %lu of %lu "
			"scheduling points inside RECORD\n", sc->name, cr->nmi_st->line,
			sc->groups.v[cr->nmi_st->ref].name, cr->cpu, cr->nmi.seen,
			cr->nmi.at);

	for (unsigned int l = 0; l < sc->locks.n; l++) {
		if (!cr->holds[l])
			continue;
		sim_report_bug("BUG: scenario: CPU#%d finished holding lock %s\n",
			       cr->cpu, sc->locks.v[l].name);
		run_unlock(cr, l);
	}
	if (cr->rcu_depth) {
		sim_report_bug("BUG: scenario: CPU#%d finished inside an RCU read-side "
			       "critical section\n", cr->cpu);
		while (cr->rcu_depth) {
			cr->rcu_depth--;
			rcu_read_unlock();
		}
	}
}

static void boot_cpu_main(void *arg)
{
	struct cpu_run *cr = arg;
	struct scenario_run *run = cr->run;
	const struct scenario *sc = run->sc;

	run_block(cr, &sc->early, true);
	sim_event_add(&run->smp_go, 1);			/* smp_init() */
	run_block(cr, &sc->cpu[0], false);
	sim_event_wait(&run->secondaries_done, run->nr_secondaries);
	/* bookkeeping, not kernel code: no scheduling decisions inside */
	sim_points_off();
	oracle_count_unstamped(&run->unstamped);
	sim_points_on();
	run_block(cr, &sc->late, false);
	cpu_finish(cr);
}

static void secondary_cpu_main(void *arg)
{
	struct cpu_run *cr = arg;
	struct scenario_run *run = cr->run;

	sim_event_wait(&run->smp_go, 1);
	run_block(cr, &run->sc->cpu[cr->cpu], false);
	cpu_finish(cr);
	sim_event_add(&run->secondaries_done, 1);
}

static void run_free(struct scenario_run *run)
{
	const struct scenario *sc;

	if (!run)
		return;
	sc = run->sc;
	if (run->groups)
		for (unsigned int g = 0; g < sc->groups.n; g++)
			free(run->groups[g].v);
	if (run->events)
		for (unsigned int e = 0; e < sc->events.n; e++)
			sim_event_destroy(&run->events[e]);
	sim_event_destroy(&run->smp_go);
	sim_event_destroy(&run->secondaries_done);
	pthread_mutex_destroy(&run->groups_lock);
	free(run->groups);
	free(run->events);
	free(run->locks);
	free(run->holds);
	free(run->tags);
	free(run);
}

/* Host state of one run; every allocation happens here, before any CPU. */
static struct scenario_run *run_new(const struct scenario *sc)
{
	struct scenario_run *run = calloc(1, sizeof(*run));
	unsigned int nr_locks = sc->locks.n;

	if (!run)
		return NULL;
	run->sc = sc;
	pthread_mutex_init(&run->groups_lock, NULL);
	sim_event_init(&run->smp_go, "smp_go");
	sim_event_init(&run->secondaries_done, "cpu blocks done");
	run->tags = calloc(sc->nr_allocs ? sc->nr_allocs : 1, sizeof(*run->tags));
	run->groups = calloc(sc->groups.n ? sc->groups.n : 1, sizeof(*run->groups));
	run->events = calloc(sc->events.n ? sc->events.n : 1, sizeof(*run->events));
	run->locks = calloc(nr_locks ? nr_locks : 1, sizeof(*run->locks));
	run->holds = calloc((size_t)sc->nr_cpus * (nr_locks ? nr_locks : 1),
			    sizeof(*run->holds));
	if (!run->tags || !run->groups || !run->events || !run->locks || !run->holds) {
		/* run_free() needs initialised events and locks only where allocated */
		free(run->events);
		run->events = NULL;
		free(run->locks);
		run->locks = NULL;
		run_free(run);
		return NULL;
	}
	for (unsigned int e = 0; e < sc->events.n; e++)
		sim_event_init(&run->events[e], sc->events.v[e].name);
	for (unsigned int l = 0; l < nr_locks; l++) {
		spin_lock_init(&run->locks[l]);
		run->locks[l].name = sc->locks.v[l].name;
	}
	for (unsigned int g = 0; g < sc->groups.n; g++) {
		struct group_state *gs = &run->groups[g];

		gs->cap = (size_t)sc->groups.v[g].uses + 1;
		gs->v = calloc(gs->cap, sizeof(*gs->v));
		if (!gs->v) {
			run_free(run);
			return NULL;
		}
	}
	for (unsigned int cpu = 0; cpu < sc->nr_cpus; cpu++) {
		run->cpus[cpu].run = run;
		run->cpus[cpu].cpu = (int)cpu;
		run->cpus[cpu].holds = run->holds + (size_t)cpu * nr_locks;
		if (cpu && sc->cpu[cpu].present)
			run->nr_secondaries++;
	}
	return run;
}

/* One dynamic tag per alloc line: "<scenario>.scn:<line> func:<NAME>". */
static int create_tags(struct scenario_run *run, char *err, size_t errlen)
{
	const struct scenario *sc = run->sc;

	for (int b = -2; b < SCENARIO_MAX_CPUS; b++) {
		const struct block *blk = b == -2 ? &sc->early : b == -1 ? &sc->late : &sc->cpu[b];

		for (size_t i = 0; i < blk->n; i++) {
			const struct stmt *st = &blk->v[i];
			struct alloc_tag *tag;

			if (st->kind != ST_ALLOC && st->kind != ST_NMI)
				continue;
			tag = codetag_new_dynamic(sc->tag_filename, st->line,
						  sc->groups.v[st->ref].name, NULL);
			if (!tag || alloc_tag_counters_attach(tag)) {
				snprintf(err, errlen, "out of host memory for allocation tags");
				return -ENOMEM;
			}
			run->tags[st->tag_index] = tag;
		}
	}
	return 0;
}

static int start_cpus(struct scenario_run *run, char *err, size_t errlen)
{
	const struct scenario *sc = run->sc;

	for (unsigned int cpu = 0; cpu < sc->nr_cpus; cpu++) {
		const char *comm = sc->cpu[cpu].present ? sc->cpu[cpu].comm : "swapper/0";
		int ret;

		if (cpu && !sc->cpu[cpu].present)
			continue;
		ret = sim_cpu_start((int)cpu, comm, cpu ? 1000 + (int)cpu : 0,
				    cpu ? secondary_cpu_main : boot_cpu_main,
				    &run->cpus[cpu]);
		if (ret) {
			snprintf(err, errlen, "cannot start thread for CPU %u: %s",
				 cpu, strerror(ret));
			return -ret;
		}
	}
	return 0;
}

/* Let the CPUs that did start run to their end without doing anything. */
static void abort_run(struct scenario_run *run)
{
	__atomic_store_n(&run->aborted, 1, __ATOMIC_RELEASE);
	sim_event_add(&run->smp_go, 1);
	sim_event_add(&run->secondaries_done, run->nr_secondaries);
	for (unsigned int e = 0; e < run->sc->events.n; e++)
		sim_event_add(&run->events[e], SCENARIO_MAX_WAIT);
}

int scenario_run(const struct scenario *sc, const struct machine_config *cfg,
		 struct scenario_result *res, char *err, size_t errlen)
{
	struct machine_config mc = *cfg;
	struct scenario_run *run;
	int ret;

	memset(res, 0, sizeof(*res));
	scenario_machine_config(sc, &mc);
	run = run_new(sc);
	if (!run) {
		snprintf(err, errlen, "out of host memory for scenario %s", sc->name);
		return -ENOMEM;
	}
	ret = machine_setup(&mc, err, errlen);
	if (ret) {
		run_free(run);
		return ret;
	}
	ret = create_tags(run, err, errlen);
	/* The parser checked this; the tags of a machine built meanwhile count too. */
	if (!ret && mc.compressed && codetag_count() > PGALLOC_TAG_COMPRESSED_MAX_TAGS) {
		snprintf(err, errlen, "compressed mode: %u allocation tags cannot be referenced "
			 "using %d available page flag bits", codetag_count(), PG_TAG_BITS);
		ret = -EINVAL;
	}
	if (!ret) {
		ret = start_cpus(run, err, errlen);
		if (ret)
			abort_run(run);
		sim_cpu_join_all();
	}
	if (ret) {
		machine_teardown();
		run_free(run);
		return ret;
	}

	for (unsigned int cpu = 0; cpu < sc->nr_cpus; cpu++) {
		res->allocs += run->cpus[cpu].allocs;
		res->frees += run->cpus[cpu].frees;
		res->alloc_failures += run->cpus[cpu].failures;
	}
	early_pfn_stats_read(&res->early);
	oracle_evaluate(&res->oracles, &run->unstamped);
	run_free(run);
	/* The report reads tags and counters: teardown is scenario_result_free's. */
	return 0;
}

void scenario_result_free(struct scenario_result *res)
{
	oracle_results_free(&res->oracles);
	machine_teardown();
}
