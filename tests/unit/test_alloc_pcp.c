// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the per-CPU page lists (mem_params.pcp, the kernel's pcp;
 * alloc/mm.h): off by default, refills and drains in batches, LIFO reuse,
 * the busy-lock fallback, the drain before a blocking allocation fails, the
 * invariant checker's view of them, bad frees of listed pages, and
 * concurrent churn on real threads (free backend).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alloc/mm.h"
#include "sim/core/printk.h"
#include "sim/core/random.h"
#include "sim/core/sched.h"
#include "sim/core/spinlock.h"

#define MiB (1ULL << 20)

/* 256 MiB: DMA [0, 4096) with 256 reserved pages, DMA32 [4096, 65536). */
#define PCP_MEM		(256 * MiB)
#define DMA32_START	4096UL

static void boot_cpus(unsigned long long bytes, bool pcp, unsigned int cpus)
{
	struct mem_params p = {
		.mem_bytes = bytes,
		.bits_per_long = 64,
		.reserved_low_pages = 256,
		.pcp = pcp,
	};

	nr_cpu_ids = cpus;
	assert_int_equal(mem_setup(&p), 0);
}

static int fixture_setup(void **state)
{
	(void)state;
	sim_warn_reset();
	sim_log_set_echo(false);
	mem_set_hooks(NULL);
	mem_set_debug_level(0);
	return 0;
}

static int fixture_teardown(void **state)
{
	(void)state;
	mem_teardown();
	mem_set_hooks(NULL);
	mem_set_debug_level(0);
	sim_log_set_echo(false);
	sim_warn_reset();
	nr_cpu_ids = 1;
	return 0;
}

static struct zone *zone(enum zone_type idx)
{
	return &contig_page_data.node_zones[idx];
}

static struct per_cpu_pages *pcp_of(enum zone_type idx, int cpu)
{
	return &zone(idx)->per_cpu_pageset[cpu];
}

static unsigned int pindex(int mt, unsigned int order)
{
	return MIGRATE_PCPTYPES * order + (unsigned int)mt;
}

/* Pages the buddy allocator holds plus pages on per-CPU lists, all zones. */
static unsigned long total_free_and_pcp(void)
{
	struct mem_zone_stats st[MAX_NR_ZONES];
	int n = mem_zone_stats(st, MAX_NR_ZONES);
	unsigned long sum = 0;

	for (int i = 0; i < n; i++)
		sum += st[i].free_pages + st[i].pcp_pages;
	return sum;
}

static void assert_clean(void)
{
	assert_int_equal(mem_check_invariants(stderr), 0);
}

static long bad_page_reports(void)
{
	return sim_warn_count_fmt("BUG: Bad page state");
}

/* ------------------------------------------------------------------ */

static void test_pcp_lists_are_off_by_default(void **state)
{
	(void)state;
	boot_cpus(PCP_MEM, false, 2);
	for (int i = 0; i < MAX_NR_ZONES; i++)
		assert_null(zone(i)->per_cpu_pageset);
}

static void test_batch_and_high_follow_the_kernel_formulas(void **state)
{
	struct per_cpu_pages *pcp;

	(void)state;
	boot_cpus(PCP_MEM, true, 2);
	pcp = pcp_of(ZONE_DMA32, 1);
	/* 61440 pages: 60 / 4 = 15, rounddown_pow_of_two(15 + 7) - 1 = 15 */
	assert_int_equal(pcp->batch, 15);
	/* the low watermark split between 2 CPUs, at least 4 batches */
	assert_int_equal(pcp->high, (int)max(zone(ZONE_DMA32)->watermark[WMARK_LOW] / 2, 60UL));
	assert_int_equal(pcp->count, 0);
	/* empty zones get none */
	assert_null(zone(ZONE_NORMAL)->per_cpu_pageset);
	assert_clean();
}

static void test_order0_alloc_refills_a_batch_and_hands_out_the_low_end_first(void **state)
{
	struct per_cpu_pages *pcp;
	unsigned long free_before;
	struct page *a, *b;
	int batch;

	(void)state;
	boot_cpus(PCP_MEM, true, 2);
	pcp = pcp_of(ZONE_DMA32, 0);
	batch = pcp->batch;
	free_before = zone(ZONE_DMA32)->free_pages;
	a = alloc_pages_noprof(GFP_KERNEL, 0);
	/* the refill takes blocks in __rmqueue() order: the zone's low end */
	assert_int_equal(page_to_pfn(a), DMA32_START);
	assert_int_equal(zone(ZONE_DMA32)->free_pages, free_before - (unsigned long)batch);
	assert_int_equal(pcp->count, batch - 1);
	assert_int_equal(mem_allocated_order(a), 0);
	b = alloc_pages_noprof(GFP_KERNEL, 0);
	assert_int_equal(page_to_pfn(b), DMA32_START + 1);
	assert_int_equal(pcp->count, batch - 2);
	assert_clean();
	__free_page(b);
	__free_page(a);
	assert_int_equal(pcp->count, batch);
	assert_int_equal(zone(ZONE_DMA32)->free_pages, free_before - (unsigned long)batch);
	assert_clean();
}

static void test_a_freed_page_goes_to_the_list_head_and_comes_back_first(void **state)
{
	struct per_cpu_pages *pcp;
	unsigned long free_before;
	struct page *a, *b, *c;

	(void)state;
	boot_cpus(PCP_MEM, true, 2);
	pcp = pcp_of(ZONE_DMA32, 0);
	a = alloc_pages_noprof(GFP_KERNEL, 0);
	b = alloc_pages_noprof(GFP_KERNEL, 0);
	free_before = zone(ZONE_DMA32)->free_pages;
	__free_page(a);
	assert_int_equal(pcp->head[pindex(MIGRATE_UNMOVABLE, 0)], page_to_pfn(a));
	assert_true(page_flags(a) & PG_pcp);
	assert_int_equal(page_ref_count(a), 0);
	c = alloc_pages_noprof(GFP_KERNEL, 0);
	assert_ptr_equal(c, a);
	/* no buddy work at all */
	assert_int_equal(zone(ZONE_DMA32)->free_pages, free_before);
	__free_page(b);
	__free_page(c);
	assert_clean();
}

static void test_reaching_high_sends_a_batch_back_to_the_buddy_allocator(void **state)
{
	struct per_cpu_pages *pcp;
	unsigned long before = 0;
	struct page **pages;
	int n, high, batch;

	(void)state;
	boot_cpus(PCP_MEM, true, 2);
	pcp = pcp_of(ZONE_DMA32, 0);
	high = pcp->high;
	batch = pcp->batch;
	n = high + 2 * batch;
	pages = calloc((size_t)n, sizeof(*pages));
	assert_non_null(pages);
	before = total_free_and_pcp();
	for (int i = 0; i < n; i++) {
		pages[i] = alloc_pages_noprof(GFP_KERNEL, 0);
		assert_non_null(pages[i]);
		assert_true(pcp->count < batch);
	}
	for (int i = 0; i < n; i++) {
		int count = pcp->count;

		__free_page(pages[i]);
		assert_true(pcp->count < high);
		/* a free either lists its page or, reaching high, sends a batch back */
		assert_true(pcp->count == count + 1 || pcp->count == count + 1 - batch);
	}
	assert_int_equal(total_free_and_pcp(), before);
	assert_int_equal(mem_bad_free_count(), 0);
	assert_clean();
	free(pages);
}

static void test_each_order_and_migratetype_has_a_list_and_costly_orders_bypass_them(void **state)
{
	struct per_cpu_pages *pcp;
	unsigned long free_before;
	struct page *m1, *u0, *big;

	(void)state;
	boot_cpus(PCP_MEM, true, 2);
	pcp = pcp_of(ZONE_DMA32, 0);
	m1 = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 1);
	u0 = alloc_pages_noprof(GFP_KERNEL, 0);
	assert_int_equal(mem_allocated_order(m1), 1);
	assert_true(pcp->head[pindex(MIGRATE_MOVABLE, 1)] != NO_PFN);
	assert_true(pcp->head[pindex(MIGRATE_UNMOVABLE, 0)] != NO_PFN);
	/* an order-1 refill takes max(batch >> 1, 2) blocks */
	assert_int_equal(pcp->count, (max(pcp->batch >> 1, 2) - 1) * 2 + pcp->batch - 1);
	free_before = zone(ZONE_DMA32)->free_pages;
	big = alloc_pages_noprof(GFP_KERNEL, PAGE_ALLOC_COSTLY_ORDER + 1);
	assert_non_null(big);
	assert_int_equal(zone(ZONE_DMA32)->free_pages, free_before - 16);
	__free_pages(big, PAGE_ALLOC_COSTLY_ORDER + 1);
	assert_int_equal(zone(ZONE_DMA32)->free_pages, free_before);
	__free_pages(m1, 1);
	__free_page(u0);
	assert_clean();
}

static void test_invariant_checker_counts_listed_pages_and_catches_a_bad_count(void **state)
{
	struct per_cpu_pages *pcp;
	struct page *p;

	(void)state;
	boot_cpus(PCP_MEM, true, 2);
	pcp = pcp_of(ZONE_DMA32, 0);
	p = alloc_pages_noprof(GFP_KERNEL, 2);
	__free_pages(p, 2);
	assert_clean();
	pcp->count++;
	assert_true(mem_check_invariants(NULL) > 0);
	pcp->count--;
	set_page_flags(p, page_flags(p) & ~PG_pcp);
	assert_true(mem_check_invariants(NULL) > 0);
	set_page_flags(p, page_flags(p) | PG_pcp);
	assert_clean();
}

static void test_double_free_of_a_listed_page_is_reported_and_changes_nothing(void **state)
{
	unsigned long before;
	struct page *p, *q;

	(void)state;
	boot_cpus(PCP_MEM, true, 2);
	sim_log_set_echo(true);
	p = alloc_pages_noprof(GFP_KERNEL, 0);
	q = alloc_pages_noprof(GFP_KERNEL, 2);
	__free_page(p);
	__free_pages(q, 2);
	before = total_free_and_pcp();
	__free_page(p);
	assert_int_equal(bad_page_reports(), 1);
	assert_non_null(strstr(sim_log_buffer(),
			       "page dumped because: double free (page already in the buddy allocator)"));
	/* an interior page of a listed order-2 block is a double free too */
	__free_page(q + 1);
	assert_int_equal(bad_page_reports(), 2);
	assert_int_equal(mem_bad_free_count(), 2);
	assert_int_equal(total_free_and_pcp(), before);
	assert_clean();
}

static void test_busy_pcp_lock_sends_allocation_and_free_to_the_buddy_allocator(void **state)
{
	struct per_cpu_pages *pcp;
	unsigned long free_before;
	struct page *p;
	int count;

	(void)state;
	boot_cpus(PCP_MEM, true, 2);
	pcp = pcp_of(ZONE_DMA32, 0);
	__free_page(alloc_pages_noprof(GFP_KERNEL, 0));
	count = pcp->count;
	free_before = zone(ZONE_DMA32)->free_pages;
	/* the interrupted owner (an NMI's allocation) or a remote drain holds it */
	spin_lock(&pcp->lock);
	p = alloc_pages_nolock_noprof(0, NUMA_NO_NODE, 0);
	assert_non_null(p);
	assert_int_equal(pcp->count, count);
	assert_int_equal(zone(ZONE_DMA32)->free_pages, free_before - 1);
	__free_page(p);
	assert_int_equal(pcp->count, count);
	assert_int_equal(zone(ZONE_DMA32)->free_pages, free_before);
	spin_unlock(&pcp->lock);
	assert_clean();
}

/* Take every page the allocator holds, with no watermark in the way. */
static struct page **exhaust(unsigned long *n)
{
	unsigned long cap = 1UL << 16;
	struct page **pages = calloc(cap, sizeof(*pages));
	struct page *p;

	assert_non_null(pages);
	*n = 0;
	while ((p = alloc_pages_noprof(GFP_ATOMIC | __GFP_MEMALLOC | __GFP_NOWARN, 0))) {
		assert_true(*n < cap);
		pages[(*n)++] = p;
	}
	return pages;
}

struct free_some {
	struct page **pages;
	unsigned long n;
};

static void free_on_this_cpu(void *arg)
{
	struct free_some *f = arg;

	for (unsigned long i = 0; i < f->n; i++)
		__free_page(f->pages[i]);
}

static void test_blocking_allocation_drains_other_cpus_lists_before_failing(void **state)
{
	struct free_some f;
	struct page **pages, *p;
	unsigned long n;

	(void)state;
	boot_cpus(64 * MiB, true, 2);
	pages = exhaust(&n);
	assert_true(n > 15000);
	/* CPU 1 frees the first four (DMA32) pages: they stay on its list */
	f = (struct free_some){ .pages = pages, .n = 4 };
	sim_run_as_cpu(1, "cpu1", 2, free_on_this_cpu, &f);
	pages[0] = pages[1] = pages[2] = pages[3] = NULL;
	assert_int_equal(pcp_of(ZONE_DMA32, 1)->count, 4);
	/* CPU 0 cannot reach them without a drain, which only a blocking caller does */
	assert_null(alloc_pages_noprof(GFP_ATOMIC | __GFP_MEMALLOC | __GFP_NOWARN, 0));
	assert_int_equal(pcp_of(ZONE_DMA32, 1)->count, 4);
	p = alloc_pages_noprof(GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN, 0);
	assert_non_null(p);
	assert_int_equal(pcp_of(ZONE_DMA32, 1)->count, 0);
	pages[0] = p;
	assert_clean();
	for (unsigned long i = 0; i < n; i++)
		if (pages[i])
			__free_page(pages[i]);
	assert_int_equal(mem_bad_free_count(), 0);
	assert_clean();
	free(pages);
}

static void test_claim_block_drains_a_block_off_a_list(void **state)
{
	const char *why = NULL;
	struct page *p, *q;

	(void)state;
	boot_cpus(PCP_MEM, true, 2);
	p = alloc_pages_noprof(GFP_KERNEL, 0);
	__free_page(p);
	assert_true(page_flags(p) & PG_pcp);
	q = mem_claim_block(page_to_pfn(p), 0, GFP_KERNEL, &why);
	assert_ptr_equal(q, p);
	assert_null(why);
	assert_int_equal(pcp_of(ZONE_DMA32, 0)->count, 0);
	assert_clean();
	__free_page(q);
	assert_clean();
}

static void test_zone_stats_count_listed_pages_and_per_cpu_calls(void **state)
{
	struct mem_zone_stats st[MAX_NR_ZONES];
	struct page *p;
	int n;

	(void)state;
	boot_cpus(PCP_MEM, true, 2);
	p = alloc_pages_noprof(GFP_KERNEL, 0);
	__free_page(p);
	n = mem_zone_stats(st, MAX_NR_ZONES);
	for (int i = 0; i < n; i++) {
		if (strcmp(st[i].name, "DMA32"))
			continue;
		assert_int_equal(st[i].pcp_pages, pcp_of(ZONE_DMA32, 0)->batch);
		assert_int_equal(st[i].nr_alloc_calls, 1);
		assert_int_equal(st[i].nr_free_calls, 1);
		assert_int_equal(st[i].free_pages + st[i].pcp_pages, st[i].present);
	}
}

/* ------------------------------------------------------------------ */
/* Real threads                                                        */

struct churn {
	int cpu;
	int ops;
	unsigned long failures;
};

/* Blocking and atomic allocations of orders 0..5 on a machine they can fill. */
static void cpu_churn(void *arg)
{
	static const gfp_t gfps[] = {
		GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE,
		GFP_ATOMIC, GFP_KERNEL | __GFP_COMP | __GFP_ZERO,
	};
	struct churn *w = arg;
	struct page *live[256] = { 0 };
	unsigned int lorder[256] = { 0 };
	struct sim_rng rng;

	sim_rng_seed(&rng, 7, (uint64_t)w->cpu);
	for (int i = 0; i < w->ops; i++) {
		int slot = (int)sim_rng_below(&rng, 256);

		if (live[slot]) {
			struct page *p = live[slot];
			unsigned int o = lorder[slot];

			if (o && !PageCompound(p) && sim_rng_below(&rng, 2)) {
				split_page(p, o);
				for (unsigned long j = 0; j < (1UL << o); j++)
					__free_page(p + j);
			} else {
				__free_pages(p, o);
			}
			live[slot] = NULL;
		} else {
			gfp_t gfp = gfps[sim_rng_below(&rng, ARRAY_SIZE(gfps))] | __GFP_NOWARN;
			unsigned int o = (unsigned int)sim_rng_below(&rng, 6);

			live[slot] = alloc_pages_noprof(gfp, o);
			lorder[slot] = o;
			if (!live[slot])
				w->failures++;
			else
				memset(page_address(live[slot]), w->cpu, PAGE_SIZE);
		}
	}
	for (int i = 0; i < 256; i++)
		if (live[i])
			__free_pages(live[i], lorder[i]);
}

static unsigned long run_churn(int ncpus, int ops)
{
	struct churn w[8];
	unsigned long before = total_free_and_pcp(), failures = 0;

	for (int i = 0; i < ncpus; i++) {
		w[i] = (struct churn){ .cpu = i, .ops = ops };
		assert_int_equal(sim_cpu_start(i, "churn", 100 + i, cpu_churn, &w[i]), 0);
	}
	sim_cpu_join_all();
	for (int i = 0; i < ncpus; i++)
		failures += w[i].failures;
	assert_int_equal(total_free_and_pcp(), before);
	assert_int_equal(mem_bad_free_count(), 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_BUG), 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
	assert_clean();
	return failures;
}

/*
 * 15 MiB of ZONE_DMA for 4 CPUs holding up to 256 blocks of up to 32 pages
 * each: allocations fail, blocking ones drain the other CPUs' lists while
 * those CPUs use them (the TSan build checks the locking).
 */
static void test_concurrent_churn_that_exhausts_memory_drains_and_keeps_invariants(void **state)
{
	(void)state;
	boot_cpus(16 * MiB, true, 4);
	assert_true(run_churn(4, 6000) > 0);
}

static void test_concurrent_churn_with_debug_checks_finds_no_violation(void **state)
{
	(void)state;
	boot_cpus(32 * MiB, true, 3);
	mem_set_debug_level(1);
	run_churn(3, 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
		T(test_pcp_lists_are_off_by_default),
		T(test_batch_and_high_follow_the_kernel_formulas),
		T(test_order0_alloc_refills_a_batch_and_hands_out_the_low_end_first),
		T(test_a_freed_page_goes_to_the_list_head_and_comes_back_first),
		T(test_reaching_high_sends_a_batch_back_to_the_buddy_allocator),
		T(test_each_order_and_migratetype_has_a_list_and_costly_orders_bypass_them),
		T(test_invariant_checker_counts_listed_pages_and_catches_a_bad_count),
		T(test_double_free_of_a_listed_page_is_reported_and_changes_nothing),
		T(test_busy_pcp_lock_sends_allocation_and_free_to_the_buddy_allocator),
		T(test_blocking_allocation_drains_other_cpus_lists_before_failing),
		T(test_claim_block_drains_a_block_off_a_list),
		T(test_zone_stats_count_listed_pages_and_per_cpu_calls),
		T(test_concurrent_churn_that_exhausts_memory_drains_and_keeps_invariants),
		T(test_concurrent_churn_with_debug_checks_finds_no_violation),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
