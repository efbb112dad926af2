// SPDX-License-Identifier: GPL-2.0
/*
 * End-of-run oracles.  The accounting oracle rebuilds what every tag should
 * hold from the live blocks' slots and compares with the per-CPU counters.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/core/array.h"
#include "sim/core/printk.h"
#include "alloc/mm.h"
#include "alloc_tag/alloc_tag.h"
#include "alloc_tag/pgalloc_tag.h"
#include "alloc_tag/early_pfn.h"
#include "oracles.h"

struct tag_sum {
	struct alloc_tag *tag;
	int64_t bytes, calls;
};

struct tag_table {
	struct tag_sum *v;
	size_t n, cap;
};

static void collect_tag(struct alloc_tag *tag, void *arg)
{
	struct tag_table *t = arg;

	if (!array_reserve(&t->v, &t->cap, t->n, sizeof(*t->v), 256))
		return;
	t->v[t->n++] = (struct tag_sum){ tag, 0, 0 };
}

static int cmp_tag(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct tag_sum *)a)->tag;
	uintptr_t y = (uintptr_t)((const struct tag_sum *)b)->tag;

	return x < y ? -1 : x > y;
}

static struct tag_sum *find_tag(struct tag_table *t, struct alloc_tag *tag)
{
	struct tag_sum key = { .tag = tag };

	return bsearch(&key, t->v, t->n, sizeof(key), cmp_tag);
}

static void sum_live_block(struct page *head, unsigned int order, void *arg)
{
	struct tag_table *t = arg;
	struct alloc_tag *tag;
	struct tag_sum *s;

	if (pgalloc_tag_peek(head, &tag) != SLOT_TAG)
		return;
	s = find_tag(t, tag);
	if (s) {
		s->bytes += (int64_t)(PAGE_SIZE << order);
		s->calls += 1;
	}
}

static void count_unstamped(struct page *head, unsigned int order, void *arg)
{
	struct unstamped_count *u = arg;
	struct alloc_tag *tag;

	if (pgalloc_tag_peek(head, &tag) != SLOT_NULL)
		return;
	if (PageSplitTail(head)) {
		u->split_tails++;
		return;
	}
	u->pages++;
	u->bytes += (long)(PAGE_SIZE << order);
}

void oracle_count_unstamped(struct unstamped_count *out)
{
	memset(out, 0, sizeof(*out));
	mem_for_each_allocated_block(count_unstamped, out);
}

static bool is_tracking_tag(const struct alloc_tag *tag)
{
	return !strcmp(tag->ct.function, "__alloc_tag_add_early_pfn");
}

static void check_accounting(struct oracle_results *res)
{
	struct tag_table t = { 0 };
	struct early_pfn_stats st;

	codetag_iterate(collect_tag, &t);
	qsort(t.v, t.n, sizeof(*t.v), cmp_tag);
	mem_for_each_allocated_block(sum_live_block, &t);
	early_pfn_stats_read(&st);

	for (size_t i = 0; i < t.n; i++) {
		struct alloc_tag_counters c = alloc_tag_read(t.v[i].tag);
		int64_t db = c.bytes - t.v[i].bytes, dc = c.calls - t.v[i].calls;
		struct tag_leak *l;

		if (!db && !dc)
			continue;
		l = realloc(res->leaks, (res->nr_leaks + 1) * sizeof(*l));
		if (!l)
			break;
		res->leaks = l;
		l += res->nr_leaks++;
		l->tag = t.v[i].tag;
		l->bytes = db;
		l->calls = dc;
		/* D13: k accounted tracking pages freed as EMPTY keep k pages, k calls */
		l->d13 = is_tracking_tag(t.v[i].tag) &&
			 st.tracking_pages_accounted_freed > 0 &&
			 dc == st.tracking_pages_accounted_freed &&
			 db == dc * (int64_t)PAGE_SIZE;
	}
	free(t.v);
}

void oracle_evaluate(struct oracle_results *res, const struct unstamped_count *unstamped)
{
	struct early_pfn_stats st;
	long freed, reachable = 0;

	memset(res, 0, sizeof(*res));
	res->warnings = sim_warn_total(SIM_REPORT_WARN) + sim_warn_total(SIM_REPORT_PR_WARN);
	res->bugs = sim_warn_total(SIM_REPORT_BUG);
	check_accounting(res);
	res->unstamped = *unstamped;

	early_pfn_stats_read(&st);
	if (early_pfn_selected()->reachable_pages)
		reachable = early_pfn_selected()->reachable_pages();
	freed = st.tracking_pages_lost_race + st.tracking_pages_freed_clear;
	res->tracking_pages_unreachable = st.tracking_pages_alloc - freed - reachable;
	res->mobility_violations = st.tracking_pages_movable;

	res->invariant_violations = mem_check_invariants(NULL);
	res->bad_frees = (long)mem_bad_free_count();
	res->fired = res->warnings || res->bugs || res->nr_leaks ||
		     res->unstamped.pages || res->tracking_pages_unreachable ||
		     res->mobility_violations ||
		     res->invariant_violations || res->bad_frees;
}

void oracle_results_free(struct oracle_results *res)
{
	free(res->leaks);
	res->leaks = NULL;
	res->nr_leaks = 0;
}
