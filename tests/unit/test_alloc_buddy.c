// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the buddy allocator (alloc/page_alloc.c): setup, split/merge,
 * zone and migratetype selection, watermarks, bad frees, hooks (§2.5),
 * might_alloc (D11), trace-replay claims, the invariant checker, and the
 * per-CPU page lists (mem_params.pcp): off by default, batches, LIFO reuse,
 * the busy-lock fallback, the drain before a blocking allocation fails.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "alloc/mm.h"
#include "sim/core/printk.h"
#include "sim/core/random.h"
#include "sim/core/rcu.h"
#include "sim/core/sched.h"
#include "sim/core/spinlock.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

/* 32 MiB: DMA [0, 4096) with 256 reserved pages, DMA32 [4096, 8192), no NORMAL. */
#define SMALL_MEM	(32 * MiB)
/* All three zones; NORMAL is [1M, 1M + 16K) pages. */
#define THREE_ZONE_MEM	(4 * GiB + 64 * MiB)

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

static void boot(unsigned long long bytes)
{
	boot_cpus(bytes, false, 1);
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

/* Free pages: the buddy allocator's, and those on per-CPU lists. */
static unsigned long total_free(void)
{
	struct mem_zone_stats st[MAX_NR_ZONES];
	int nz = mem_zone_stats(st, MAX_NR_ZONES);
	unsigned long n = 0;

	for (int i = 0; i < MAX_NR_ZONES; i++)
		n += zone(i)->free_pages;
	for (int i = 0; i < nz; i++)
		n += st[i].pcp_pages;
	return n;
}

static unsigned int block_order(const struct page *page)
{
	return (page->flags & PG_ORDER_MASK) >> PG_ORDER_SHIFT;
}

static bool is_free_head(unsigned long pfn, unsigned int order)
{
	const struct page *p = pfn_to_page(pfn);

	return (p->flags & PG_buddy) && block_order(p) == order;
}

static enum zone_type zone_idx_of(struct page *page)
{
	return page_zone(page)->idx;
}

static void assert_clean(void)
{
	assert_int_equal(mem_check_invariants(stderr), 0);
}

/* Walk a free list from its head: the number of blocks, each above the last. */
static unsigned long assert_list_ascending(enum zone_type idx, unsigned int order, int mt)
{
	uint32_t pfn = zone(idx)->free_area[order].free_list[mt], prev = NO_PFN;
	unsigned long n = 0;

	for (; pfn != NO_PFN; prev = pfn, pfn = pfn_to_page(pfn)->buddy_next, n++)
		assert_true(prev == NO_PFN || pfn > prev);
	return n;
}

/* ------------------------------------------------------------------ */

static void test_setup_builds_dma_dma32_normal_zones_and_reserves_low_1mib(void **state)
{
	struct mem_zone_stats st[MAX_NR_ZONES];
	int n;

	(void)state;
	boot(THREE_ZONE_MEM);
	assert_int_equal(max_pfn, 1064960);
	n = mem_zone_stats(st, MAX_NR_ZONES);
	assert_int_equal(n, 3);

	assert_string_equal(st[0].name, "DMA");
	assert_int_equal(st[0].start_pfn, 0);
	assert_int_equal(st[0].spanned, 4096);
	assert_int_equal(st[0].present, 4096 - 256);
	assert_int_equal(st[0].free_pages, 4096 - 256);

	assert_string_equal(st[1].name, "DMA32");
	assert_int_equal(st[1].start_pfn, 4096);
	assert_int_equal(st[1].spanned, 1048576 - 4096);
	assert_int_equal(st[1].present, 1048576 - 4096);

	assert_string_equal(st[2].name, "Normal");
	assert_int_equal(st[2].start_pfn, 1048576);
	assert_int_equal(st[2].spanned, 16384);
	assert_int_equal(st[2].free_pages, 16384);

	/* min_free_kbytes = int_sqrt(4258816 * 16) = 8254 → 2063 pages, shared by size. */
	assert_int_equal(st[0].min_wmark, 2063UL * 3840 / 1064704);
	assert_int_equal(st[1].min_wmark, 2063UL * 1044480 / 1064704);
	assert_int_equal(st[2].min_wmark, 2063UL * 16384 / 1064704);
	assert_int_equal(zone(ZONE_NORMAL)->watermark[WMARK_LOW], 31 + 16);
	assert_int_equal(zone(ZONE_NORMAL)->watermark[WMARK_HIGH], 31 + 32);
	/* DMA32's step is its size share (1044), not min/4. */
	assert_int_equal(zone(ZONE_DMA32)->watermark[WMARK_LOW], 2023 + 1044);

	for (unsigned long pfn = 0; pfn < 256; pfn++)
		assert_int_equal(pfn_to_page(pfn)->flags, PG_reserved);
	/* Maximal aligned blocks above the reserved MiB. */
	assert_true(is_free_head(256, 8));
	assert_true(is_free_head(512, 9));
	assert_true(is_free_head(1024, 10));
	assert_true(is_free_head(4096, 10));
	assert_int_equal(get_pageblock_migratetype(pfn_to_page(4096)), MIGRATE_MOVABLE);
	/*
	 * Freed lowest first to the list tails (FPI_TO_TAIL): the lowest block
	 * of each zone heads its list and every list ascends from there.
	 */
	assert_int_equal(zone(ZONE_DMA)->free_area[10].free_list[MIGRATE_MOVABLE], 1024);
	assert_int_equal(zone(ZONE_DMA32)->free_area[10].free_list[MIGRATE_MOVABLE], 4096);
	assert_int_equal(zone(ZONE_NORMAL)->free_area[10].free_list[MIGRATE_MOVABLE],
			 1048576);
	assert_int_equal(zone(ZONE_NORMAL)->free_area[10].nr_free, 16);
	for (int i = ZONE_DMA; i <= ZONE_NORMAL; i++)
		for (unsigned int o = 0; o <= MAX_PAGE_ORDER; o++)
			assert_int_equal(assert_list_ascending(i, o, MIGRATE_MOVABLE),
					 zone(i)->free_area[o].nr_free);
	assert_int_equal(assert_list_ascending(ZONE_DMA32, 10, MIGRATE_MOVABLE), 1020);
	assert_clean();
}

static void test_setup_rejects_bad_params_and_repeats_cleanly(void **state)
{
	struct mem_params p = { .mem_bytes = 8 * MiB, .bits_per_long = 64,
				.reserved_low_pages = 256 };

	(void)state;
	assert_int_equal(mem_setup(&p), -EINVAL);
	p.mem_bytes = 64 * MiB;
	p.bits_per_long = 16;
	assert_int_equal(mem_setup(&p), -EINVAL);
	assert_int_equal(mem_check_params(&p), MEM_PARAMS_BAD_BITS);
	p.bits_per_long = 64;
	p.reserved_low_pages = 64 * MiB / PAGE_SIZE;
	assert_int_equal(mem_setup(&p), -EINVAL);
	assert_int_equal(mem_setup(NULL), -EINVAL);
	p.reserved_low_pages = 256;

	for (int i = 0; i < 20; i++) {
		struct page *page;

		assert_int_equal(mem_setup(&p), 0);
		assert_int_equal(mem_setup(&p), -EBUSY);
		page = alloc_pages_noprof(GFP_KERNEL, 3);
		assert_non_null(page);
		memset(page_address(page), 0x5a, 8 * PAGE_SIZE);
		mem_teardown();
	}
	/* A mem size not a multiple of a pageblock is rounded down. */
	p.mem_bytes = 64 * MiB + 12345;
	assert_int_equal(mem_setup(&p), 0);
	assert_int_equal(max_pfn, 64 * MiB / PAGE_SIZE);
	assert_clean();
}

static void test_setup_handles_zone_ends_not_aligned_to_max_order(void **state)
{
	static const unsigned long long sizes[] = {
		18 * MiB, 16 * MiB + 2 * MiB + 4096, 4 * GiB + 2 * MiB, 4 * GiB + 6 * MiB,
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct page *p;

		boot(sizes[i]);
		assert_int_equal(max_pfn, (sizes[i] >> PAGE_SHIFT) & ~511UL);
		assert_int_equal(total_free(), max_pfn - 256);
		assert_clean();
		/* The top of memory is an order-9 block, alone on its list. */
		assert_true(is_free_head(max_pfn - 512, 9));
		assert_int_equal(page_zone(pfn_to_page(max_pfn - 1))->free_area[9]
				 .free_list[MIGRATE_MOVABLE], max_pfn - 512);
		assert_int_equal(pfn_to_page(max_pfn - 512)->buddy_next, NO_PFN);
		p = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 0);
		assert_non_null(p);
		__free_page(p);
		assert_clean();
		mem_teardown();
	}
}

static void test_order3_alloc_splits_order10_block_and_free_merges_back(void **state)
{
	unsigned long before;
	struct page *page;
	unsigned long pfn;

	(void)state;
	boot(SMALL_MEM);
	before = total_free();
	page = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 3);
	assert_non_null(page);
	pfn = page_to_pfn(page);
	/* The lower part of the lowest DMA32 block is kept, the upper halves listed. */
	assert_int_equal(pfn, 4096);
	assert_int_equal(mem_allocated_order(page), 3);
	assert_int_equal(page_ref_count(page), 1);
	assert_false(PageCompound(page));
	for (unsigned int o = 3; o < 10; o++)
		assert_true(is_free_head(pfn + (1UL << o), o));
	assert_int_equal(total_free(), before - 8);
	assert_clean();

	__free_pages(page, 3);
	assert_int_equal(total_free(), before);
	assert_true(is_free_head(4096, 10));
	for (unsigned int o = 3; o < 10; o++)
		assert_int_equal(pfn_to_page(pfn + (1UL << o))->flags, 0);
	assert_int_equal(mem_bad_free_count(), 0);
	assert_clean();
}

static void test_allocations_come_from_the_low_end_of_a_zone_first(void **state)
{
	struct page *a, *b, *c, *d;

	(void)state;
	boot(SMALL_MEM);
	a = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 10);
	b = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 10);
	c = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 0);
	assert_int_equal(page_to_pfn(a), 4096);
	assert_int_equal(page_to_pfn(b), 5120);
	assert_int_equal(page_to_pfn(c), 6144);
	/* A run-time free goes to the list head: 5120 comes back before 7168. */
	__free_pages(b, 10);
	d = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 10);
	assert_ptr_equal(d, b);
	__free_page(c);
	__free_pages(d, 10);
	__free_pages(a, 10);
	assert_clean();
}

static void test_gfp_zone_modifiers_select_dma_dma32_and_normal(void **state)
{
	struct page *n, *d32, *d, *hi;

	(void)state;
	boot(THREE_ZONE_MEM);
	n = alloc_pages_noprof(GFP_KERNEL, 0);
	d32 = alloc_pages_noprof(GFP_KERNEL | __GFP_DMA32, 0);
	d = alloc_pages_noprof(GFP_KERNEL | __GFP_DMA, 0);
	hi = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 0);
	assert_int_equal(zone_idx_of(n), ZONE_NORMAL);
	assert_int_equal(page_to_pfn(n), 1048576);
	assert_int_equal(zone_idx_of(d32), ZONE_DMA32);
	assert_int_equal(page_to_pfn(d32), 4096);
	assert_int_equal(zone_idx_of(d), ZONE_DMA);
	/* Unmovable steals the largest movable block: the first order-10 one. */
	assert_int_equal(page_to_pfn(d), 1024);
	/* No highmem/movable zone on 64-bit: NORMAL. */
	assert_int_equal(zone_idx_of(hi), ZONE_NORMAL);
	__free_page(n);
	__free_page(d32);
	__free_page(d);
	__free_page(hi);
	assert_clean();
}

static void test_exhausted_zone_falls_back_to_the_next_lower_zone(void **state)
{
	struct page *p[8];
	unsigned long before;

	(void)state;
	boot(SMALL_MEM);
	before = total_free();
	/* NORMAL is empty; DMA32 holds 4 order-10 blocks and a low watermark of 113. */
	for (int i = 0; i < 4; i++) {
		p[i] = alloc_pages_noprof(GFP_KERNEL, 10);
		assert_non_null(p[i]);
	}
	assert_int_equal(page_to_pfn(p[0]), 4096);
	assert_int_equal(page_to_pfn(p[1]), 5120);
	assert_int_equal(page_to_pfn(p[2]), 6144);
	assert_int_equal(zone_idx_of(p[3]), ZONE_DMA);
	assert_int_equal(page_to_pfn(p[3]), 1024);
	assert_int_equal(zone(ZONE_DMA32)->free_pages, 1024);
	/* A request for DMA never goes up to DMA32. */
	p[4] = alloc_pages_noprof(GFP_KERNEL | __GFP_DMA, 10);
	assert_int_equal(zone_idx_of(p[4]), ZONE_DMA);
	for (int i = 4; i >= 0; i--)
		__free_pages(p[i], 10);
	assert_int_equal(total_free(), before);
	assert_clean();
}

static void test_unmovable_request_steals_and_claims_a_movable_pageblock(void **state)
{
	struct page *a, *b, *m, *r;

	(void)state;
	boot(SMALL_MEM);
	assert_int_equal(gfp_migratetype(GFP_KERNEL), MIGRATE_UNMOVABLE);
	a = alloc_pages_noprof(GFP_KERNEL, 0);
	assert_int_equal(page_to_pfn(a), 4096);
	/* An order-10 block was stolen: both its pageblocks changed type. */
	assert_int_equal(get_pageblock_migratetype(pfn_to_page(4096)), MIGRATE_UNMOVABLE);
	assert_int_equal(get_pageblock_migratetype(pfn_to_page(4608)), MIGRATE_UNMOVABLE);
	assert_int_equal(zone(ZONE_DMA32)->free_area[9].free_list[MIGRATE_UNMOVABLE], 4608);
	assert_int_equal(zone(ZONE_DMA32)->free_area[0].free_list[MIGRATE_UNMOVABLE], 4097);
	assert_int_equal((pfn_to_page(4097)->flags & PG_MT_MASK) >> PG_MT_SHIFT,
			 MIGRATE_UNMOVABLE);
	assert_int_equal(get_pageblock_migratetype(pfn_to_page(5120)), MIGRATE_MOVABLE);

	b = alloc_pages_noprof(GFP_KERNEL, 0);
	assert_int_equal(page_to_pfn(b), 4097);
	m = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 0);
	assert_int_equal(page_to_pfn(m), 5120);
	assert_int_equal(get_pageblock_migratetype(m), MIGRATE_MOVABLE);
	/* Reclaimable falls back to unmovable first, then movable (an order-10 block). */
	r = alloc_pages_noprof(GFP_KERNEL | __GFP_RECLAIMABLE, 0);
	assert_int_equal(page_to_pfn(r), 6144);
	assert_int_equal(get_pageblock_migratetype(r), MIGRATE_RECLAIMABLE);
	assert_int_equal(get_pageblock_migratetype(pfn_to_page(6656)), MIGRATE_RECLAIMABLE);
	assert_clean();

	__free_page(r);
	__free_page(m);
	__free_page(b);
	__free_page(a);
	/* The claimed pageblocks keep their new type; the merged block lists under it. */
	assert_true(is_free_head(4096, 10));
	assert_int_equal(zone(ZONE_DMA32)->free_area[10].free_list[MIGRATE_UNMOVABLE], 4096);
	assert_clean();
}

struct claimed {
	struct page *page;
	unsigned int order;
};

static int claim_list(struct zone *z, int mt, unsigned int min_order,
		      struct claimed *out, int n)
{
	for (unsigned int o = min_order; o <= MAX_PAGE_ORDER; o++) {
		uint32_t pfn;

		while ((pfn = z->free_area[o].free_list[mt]) != NO_PFN) {
			const char *why = NULL;

			out[n].page = mem_claim_block(pfn, o, GFP_HIGHUSER_MOVABLE, &why);
			assert_non_null(out[n].page);
			assert_null(why);
			out[n++].order = o;
		}
	}
	return n;
}

static void test_movable_fallback_to_small_blocks_takes_smallest_without_claiming(void **state)
{
	struct claimed c[64];
	struct page *a, *m0, *m1;
	unsigned long before;
	int n = 0;

	(void)state;
	boot(SMALL_MEM);
	before = total_free();
	for (int i = 0; i < MAX_NR_ZONES; i++)
		memset(zone(i)->watermark, 0, sizeof(zone(i)->watermark));
	a = alloc_pages_noprof(GFP_KERNEL, 0);
	assert_int_equal(page_to_pfn(a), 4096);
	/* Leave DMA32 only the unmovable orders 0..3 split off that block. */
	n = claim_list(zone(ZONE_DMA32), MIGRATE_MOVABLE, 0, c, n);
	n = claim_list(zone(ZONE_DMA32), MIGRATE_UNMOVABLE, 4, c, n);
	assert_int_equal(zone(ZONE_DMA32)->free_pages, 15);

	m0 = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 0);
	assert_int_equal(page_to_pfn(m0), 4097);
	m1 = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 1);
	assert_int_equal(page_to_pfn(m1), 4098);
	/* Too small to claim for a movable request: the pageblock stays unmovable. */
	assert_int_equal(get_pageblock_migratetype(m0), MIGRATE_UNMOVABLE);
	assert_int_equal(zone(ZONE_DMA32)->free_area[3].free_list[MIGRATE_UNMOVABLE], 4104);
	assert_clean();

	__free_pages(m1, 1);
	__free_page(m0);
	__free_page(a);
	while (n--)
		__free_pages(c[n].page, c[n].order);
	assert_int_equal(total_free(), before);
	assert_clean();
}

static void test_gfp_zero_zeroes_a_dirtied_page_and_a_large_block(void **state)
{
	struct page *p;
	unsigned char *body;

	(void)state;
	boot(SMALL_MEM);
	p = alloc_pages_noprof(GFP_KERNEL, 0);
	memset(page_address(p), 0xaa, PAGE_SIZE);
	__free_page(p);
	p = alloc_pages_noprof(GFP_KERNEL | __GFP_ZERO, 0);
	body = page_address(p);
	assert_int_equal(page_to_pfn(p), 4096);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(body[i], 0);
	__free_page(p);

	/* 128 KiB: the body is dropped rather than written. */
	p = alloc_pages_noprof(GFP_KERNEL, 5);
	memset(page_address(p), 0x55, PAGE_SIZE << 5);
	__free_pages(p, 5);
	p = alloc_pages_noprof(GFP_KERNEL | __GFP_ZERO, 5);
	body = page_address(p);
	for (size_t i = 0; i < (PAGE_SIZE << 5); i++)
		assert_int_equal(body[i], 0);
	__free_pages(p, 5);
	assert_clean();
}

struct page_stack {
	struct page **p;
	unsigned int *order;
	int n, cap;
};

static void push(struct page_stack *s, struct page *page, unsigned int order)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->p = realloc(s->p, s->cap * sizeof(*s->p));
		s->order = realloc(s->order, s->cap * sizeof(*s->order));
		assert_non_null(s->p);
		assert_non_null(s->order);
	}
	s->p[s->n] = page;
	s->order[s->n++] = order;
}

static int fill(struct page_stack *s, gfp_t gfp, unsigned int order)
{
	struct page *page;
	int n = 0;

	while ((page = alloc_pages_noprof(gfp, order))) {
		push(s, page, order);
		n++;
	}
	return n;
}

static void drain(struct page_stack *s)
{
	while (s->n) {
		s->n--;
		__free_pages(s->p[s->n], s->order[s->n]);
	}
	free(s->p);
	free(s->order);
	memset(s, 0, sizeof(*s));
}

static void test_gfp_high_dips_below_min_watermark_where_plain_allocation_fails(void **state)
{
	struct page_stack s = { 0 };
	unsigned long before;

	(void)state;
	boot(SMALL_MEM);
	before = total_free();
	assert_true(fill(&s, GFP_KERNEL | __GFP_NOWARN, 0) > 7000);
	assert_null(alloc_pages_noprof(GFP_KERNEL | __GFP_NOWARN, 0));
	/* Plain allocations stop at the min watermark of every zone. */
	for (int i = ZONE_DMA; i <= ZONE_DMA32; i++)
		assert_true(zone(i)->free_pages >= zone(i)->watermark[WMARK_MIN]);
	/* Non-blocking without __GFP_HIGH gets no reserve either. */
	assert_null(alloc_pages_noprof(GFP_NOWAIT, 0));

	assert_true(fill(&s, GFP_KERNEL | __GFP_HIGH | __GFP_NOWARN, 0) > 0);
	for (int i = ZONE_DMA; i <= ZONE_DMA32; i++)
		assert_true(zone(i)->free_pages < zone(i)->watermark[WMARK_MIN]);
	/* GFP_ATOMIC (high and non-blocking) reaches a further quarter. */
	assert_true(fill(&s, GFP_ATOMIC | __GFP_NOWARN, 0) > 0);
	assert_true(total_free() > 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
	assert_clean();
	drain(&s);
	assert_int_equal(total_free(), before);
	assert_clean();
}

static void test_allocation_failure_is_logged_unless_nowarn(void **state)
{
	struct mem_zone_stats st[MAX_NR_ZONES];
	struct page_stack s = { 0 };
	unsigned long failed = 0;
	int n;

	(void)state;
	boot(SMALL_MEM);
	sim_log_set_echo(true);
	fill(&s, GFP_KERNEL | __GFP_NOWARN, 10);
	assert_null(strstr(sim_log_buffer(), "page allocation failure"));
	assert_null(alloc_pages_noprof(GFP_KERNEL, 10));
	assert_non_null(strstr(sim_log_buffer(),
			       "bootsim: page allocation failure: order:10, mode:0xcc0(GFP_KERNEL)"));
	n = mem_zone_stats(st, MAX_NR_ZONES);
	for (int i = 0; i < n; i++)
		failed += st[i].nr_alloc_failed;
	assert_int_equal(failed, 2);
	/* A plain log line, not a WARN. */
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
	drain(&s);
	assert_clean();
}

static void test_alloc_flags_outside_caller_mask_warn_and_return_null(void **state)
{
	struct page *p;

	(void)state;
	boot(SMALL_MEM);
	assert_null(__alloc_pages_noprof(GFP_KERNEL, 0, 0, NULL, ALLOC_MIN_RESERVE));
	assert_int_equal(sim_warn_count_fmt("WARN_ON(%s"), 1);
	assert_null(__alloc_pages_noprof(GFP_KERNEL, 0, 0, NULL, 0x1));
	assert_int_equal(sim_warn_count_fmt("WARN_ON(%s"), 2);

	p = __alloc_pages_noprof(__GFP_HIGH, 0, 0, NULL, ALLOC_NO_CODETAG | ALLOC_NOLOCK);
	assert_non_null(p);
	__free_page(p);
	assert_int_equal(sim_warn_count_fmt("WARN_ON(%s"), 2);

	/* Orders above MAX_PAGE_ORDER: NULL, with a WARN unless __GFP_NOWARN. */
	assert_null(alloc_pages_noprof(GFP_KERNEL, MAX_PAGE_ORDER + 1));
	assert_int_equal(sim_warn_count_fmt("WARN_ON_ONCE("), 1);
	assert_null(alloc_pages_noprof(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1));
	assert_int_equal(sim_warn_count_fmt("WARN_ON_ONCE("), 1);
	assert_clean();
}

static long bad_page_reports(void)
{
	return sim_warn_count_fmt("BUG: Bad page state");
}

static void test_double_free_is_reported_and_leaves_state_unchanged(void **state)
{
	unsigned long before;
	struct page *p;

	(void)state;
	boot(SMALL_MEM);
	before = total_free();
	sim_log_set_echo(true);
	p = alloc_pages_noprof(GFP_KERNEL, 0);
	__free_page(p);
	__free_page(p);
	assert_int_equal(bad_page_reports(), 1);
	assert_int_equal(mem_bad_free_count(), 1);
	assert_non_null(strstr(sim_log_buffer(),
			       "BUG: Bad page state in process bootsim  pfn:01000"));
	assert_non_null(strstr(sim_log_buffer(),
			       "page dumped because: double free (page already in the buddy allocator)"));
	/* An interior page of a merged free block is a double free too. */
	__free_page(p + 1);
	assert_int_equal(bad_page_reports(), 2);
	assert_int_equal(total_free(), before);
	assert_clean();
}

static void test_tail_page_free_is_reported_and_leaves_state_unchanged(void **state)
{
	unsigned long before;
	struct page *p;

	(void)state;
	boot(SMALL_MEM);
	before = total_free();
	sim_log_set_echo(true);
	p = alloc_pages_noprof(GFP_KERNEL, 2);
	__free_page(p + 1);
	assert_int_equal(bad_page_reports(), 1);
	assert_int_equal(mem_bad_free_count(), 1);
	assert_non_null(strstr(sim_log_buffer(), "page dumped because: free of a tail page"));
	assert_int_equal(mem_allocated_order(p), 2);
	assert_int_equal(total_free(), before - 4);
	assert_clean();
	__free_pages(p, 2);
	assert_int_equal(total_free(), before);
	assert_clean();
}

static void test_wrong_order_free_is_reported_and_leaves_state_unchanged(void **state)
{
	unsigned long before;
	struct page *p;

	(void)state;
	boot(SMALL_MEM);
	before = total_free();
	sim_log_set_echo(true);
	p = alloc_pages_noprof(GFP_KERNEL, 2);
	__free_pages(p, 1);
	assert_int_equal(bad_page_reports(), 1);
	assert_non_null(strstr(sim_log_buffer(),
			       "page dumped because: free with order 1 of an order-2 allocation"));
	assert_int_equal(mem_allocated_order(p), 2);
	assert_int_equal(page_ref_count(p), 1);
	assert_clean();
	__free_pages(p, 2);
	assert_int_equal(total_free(), before);
	assert_int_equal(mem_bad_free_count(), 1);
	assert_clean();
}

static void test_reserved_and_invalid_pfn_frees_are_reported(void **state)
{
	unsigned long before;

	(void)state;
	boot(SMALL_MEM);
	before = total_free();
	sim_log_set_echo(true);
	__free_page(pfn_to_page(16));
	assert_non_null(strstr(sim_log_buffer(), "page dumped because: free of a reserved page"));
	__free_page(pfn_to_page(max_pfn));
	assert_non_null(strstr(sim_log_buffer(), "page dumped because: invalid pfn"));
	assert_int_equal(bad_page_reports(), 2);
	assert_int_equal(mem_bad_free_count(), 2);
	assert_int_equal(pfn_to_page(16)->flags, PG_reserved);
	assert_int_equal(total_free(), before);
	assert_clean();
}

static void test_split_page_then_freeing_each_page_merges_back(void **state)
{
	unsigned long before;
	struct page *p;

	(void)state;
	boot(SMALL_MEM);
	before = total_free();
	p = alloc_pages_noprof(GFP_KERNEL, 3);
	split_page(p, 3);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(mem_allocated_order(p + i), 0);
		assert_int_equal(page_ref_count(p + i), 1);
	}
	assert_clean();
	for (int i = 7; i >= 0; i--) {
		__free_page(p + i);
		assert_clean();
	}
	assert_int_equal(total_free(), before);
	assert_true(is_free_head(page_to_pfn(p), 10));
	assert_int_equal(mem_bad_free_count(), 0);
}

static void test_claim_block_takes_exact_block_and_refuses_non_free_ones(void **state)
{
	const char *why = NULL;
	unsigned long before;
	struct page *p, *q;

	(void)state;
	boot(SMALL_MEM);
	before = total_free();
	p = mem_claim_block(5000, 2, GFP_KERNEL | __GFP_COMP, &why);
	assert_non_null(p);
	assert_null(why);
	assert_int_equal(page_to_pfn(p), 5000);
	assert_int_equal(mem_allocated_order(p), 2);
	assert_true(PageCompound(p));
	assert_int_equal(page_ref_count(p), 1);
	assert_int_equal(total_free(), before - 4);
	/* The rest of the order-10 block at 4096 is back on the free lists. */
	assert_true(is_free_head(4096, 9));
	assert_true(is_free_head(5004, 2));
	assert_clean();

	assert_null(mem_claim_block(5000, 2, GFP_KERNEL, &why));
	assert_string_equal(why, "not free");
	assert_null(mem_claim_block(5001, 0, GFP_KERNEL, &why));
	assert_string_equal(why, "not free");
	assert_null(mem_claim_block(4992, 4, GFP_KERNEL, &why));
	assert_string_equal(why, "not free");
	assert_null(mem_claim_block(5002, 2, GFP_KERNEL, &why));
	assert_string_equal(why, "misaligned");
	assert_null(mem_claim_block(100, 0, GFP_KERNEL, &why));
	assert_string_equal(why, "reserved");
	assert_null(mem_claim_block(max_pfn, 0, GFP_KERNEL, &why));
	assert_string_equal(why, "beyond memory");
	assert_null(mem_claim_block(max_pfn - 512, 10, GFP_KERNEL, &why));
	assert_string_equal(why, "misaligned");

	/* A whole free block, and a page at the very top. */
	q = mem_claim_block(8191, 0, GFP_KERNEL, &why);
	assert_non_null(q);
	assert_clean();
	__free_page(q);
	__free_pages(p, 2);
	assert_int_equal(total_free(), before);
	assert_true(is_free_head(4096, 10));
	assert_clean();
}

/* ------------------------------------------------------------------ */
/* Hooks                                                               */

enum ev_kind { EV_POST_ALLOC, EV_FREE_PREPARE, EV_TAG_GET, EV_TAG_SUB, EV_CLEAR_REF,
	       EV_SPLIT, EV_TRACE_ALLOC, EV_TRACE_FREE };

struct ev {
	enum ev_kind kind;
	struct page *page;
	unsigned int order, order2;
	gfp_t gfp;
	unsigned int alloc_flags;
	int refcount, lock_depth, mt;
	struct alloc_tag *tag;
};

static struct ev evs[64];
static int nr_evs;
static int fake_tag_storage;
#define FAKE_TAG ((struct alloc_tag *)&fake_tag_storage)

static struct ev *record(enum ev_kind kind, struct page *page)
{
	struct ev *e = &evs[nr_evs < 63 ? nr_evs++ : 63];

	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->page = page;
	e->lock_depth = current->lock_depth;
	if (page)
		e->refcount = page_ref_count(page);
	return e;
}

static void h_post_alloc(struct page *page, unsigned int order, gfp_t gfp,
			 unsigned int alloc_flags)
{
	struct ev *e = record(EV_POST_ALLOC, page);

	e->order = order;
	e->gfp = gfp;
	e->alloc_flags = alloc_flags;
}

static void h_free_prepare(struct page *page, unsigned int order)
{
	record(EV_FREE_PREPARE, page)->order = order;
}

static struct alloc_tag *h_tag_get(struct page *page)
{
	record(EV_TAG_GET, page);
	return FAKE_TAG;
}

static void h_tag_sub_pages(struct alloc_tag *tag, unsigned int nr)
{
	struct ev *e = record(EV_TAG_SUB, NULL);

	e->tag = tag;
	e->order = nr;
}

static void h_clear_tag_ref(struct page *page)
{
	record(EV_CLEAR_REF, page);
}

static void h_split(struct page *page, unsigned int old_order, unsigned int new_order)
{
	struct ev *e = record(EV_SPLIT, page);

	e->order = old_order;
	e->order2 = new_order;
}

static void h_trace_alloc(struct page *page, unsigned int order, gfp_t gfp, int mt)
{
	struct ev *e = record(EV_TRACE_ALLOC, page);

	e->order = order;
	e->gfp = gfp;
	e->mt = mt;
}

static void h_trace_free(struct page *page, unsigned int order)
{
	record(EV_TRACE_FREE, page)->order = order;
}

static const struct alloc_hooks recording_hooks = {
	.post_alloc = h_post_alloc,
	.free_prepare = h_free_prepare,
	.tag_get = h_tag_get,
	.tag_sub_pages = h_tag_sub_pages,
	.clear_tag_ref = h_clear_tag_ref,
	.split = h_split,
	.trace_alloc = h_trace_alloc,
	.trace_free = h_trace_free,
};

static void test_hooks_get_gfp_alloc_flags_and_order_without_a_zone_lock(void **state)
{
	struct page *p;

	(void)state;
	boot(SMALL_MEM);
	mem_set_hooks(&recording_hooks);
	nr_evs = 0;
	p = __alloc_pages_noprof(GFP_KERNEL | __GFP_COMP, 2, 0, NULL, ALLOC_NO_CODETAG);
	assert_non_null(p);
	assert_int_equal(nr_evs, 2);
	assert_int_equal(evs[0].kind, EV_POST_ALLOC);
	assert_ptr_equal(evs[0].page, p);
	assert_int_equal(evs[0].order, 2);
	assert_int_equal(evs[0].gfp, GFP_KERNEL | __GFP_COMP);
	assert_int_equal(evs[0].alloc_flags, ALLOC_NO_CODETAG);
	assert_int_equal(evs[0].refcount, 1);
	assert_int_equal(evs[0].lock_depth, 0);
	assert_int_equal(evs[1].kind, EV_TRACE_ALLOC);
	assert_int_equal(evs[1].mt, MIGRATE_UNMOVABLE);
	assert_int_equal(evs[1].order, 2);

	nr_evs = 0;
	__free_pages(p, 2);
	/* Compound: no tag capture, no chunking. */
	assert_int_equal(nr_evs, 2);
	assert_int_equal(evs[0].kind, EV_TRACE_FREE);
	assert_int_equal(evs[1].kind, EV_FREE_PREPARE);
	assert_ptr_equal(evs[1].page, p);
	assert_int_equal(evs[1].order, 2);
	assert_int_equal(evs[1].lock_depth, 0);
	assert_clean();
}

static void test_slow_path_reserves_show_in_post_alloc_flags(void **state)
{
	struct page_stack s = { 0 };
	struct page *p;

	(void)state;
	boot(SMALL_MEM);
	fill(&s, GFP_KERNEL | __GFP_NOWARN, 0);
	mem_set_hooks(&recording_hooks);
	nr_evs = 0;
	p = __alloc_pages_noprof(__GFP_HIGH, 0, 0, NULL, ALLOC_NO_CODETAG);
	assert_non_null(p);
	assert_int_equal(evs[0].kind, EV_POST_ALLOC);
	assert_int_equal(evs[0].alloc_flags,
			 ALLOC_NO_CODETAG | ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK);
	mem_set_hooks(NULL);
	__free_page(p);
	drain(&s);
	assert_clean();
}

static struct page *nested_page;

static void h_post_alloc_allocating(struct page *page, unsigned int order, gfp_t gfp,
				    unsigned int alloc_flags)
{
	/* The early-PFN pool allocates from here (§3.7): must not deadlock. */
	if (!(alloc_flags & ALLOC_NO_CODETAG))
		nested_page = __alloc_pages_noprof(__GFP_HIGH, 0, 0, NULL, ALLOC_NO_CODETAG);
}

static void test_post_alloc_hook_may_allocate_pages_itself(void **state)
{
	static const struct alloc_hooks h = { .post_alloc = h_post_alloc_allocating };
	struct page *p;

	(void)state;
	boot(SMALL_MEM);
	mem_set_hooks(&h);
	mem_set_debug_level(1);
	nested_page = NULL;
	p = alloc_pages_noprof(GFP_KERNEL, 0);
	assert_non_null(p);
	assert_non_null(nested_page);
	assert_ptr_not_equal(p, nested_page);
	__free_page(nested_page);
	__free_page(p);
	assert_clean();
}

static void test_free_of_referenced_noncompound_order2_frees_tail_chunks(void **state)
{
	unsigned long before;
	struct page *p;

	(void)state;
	boot(SMALL_MEM);
	before = total_free();
	mem_set_hooks(&recording_hooks);
	p = alloc_pages_noprof(GFP_KERNEL, 2);
	get_page(p);
	nr_evs = 0;
	__free_pages(p, 2);

	/* §2.5 (7.2 form): tag read before the drop, 3 pages' bytes subtracted once. */
	assert_int_equal(evs[0].kind, EV_TAG_GET);
	assert_ptr_equal(evs[0].page, p);
	assert_int_equal(evs[0].refcount, 2);
	assert_int_equal(evs[1].kind, EV_TAG_SUB);
	assert_ptr_equal(evs[1].tag, FAKE_TAG);
	assert_int_equal(evs[1].order, 3);
	/* Then chunk p+2 (order 1), then p+1 (order 0), each stamped first. */
	assert_int_equal(evs[2].kind, EV_CLEAR_REF);
	assert_ptr_equal(evs[2].page, p + 2);
	assert_int_equal(evs[3].kind, EV_TRACE_FREE);
	assert_int_equal(evs[4].kind, EV_FREE_PREPARE);
	assert_ptr_equal(evs[4].page, p + 2);
	assert_int_equal(evs[4].order, 1);
	assert_int_equal(evs[5].kind, EV_CLEAR_REF);
	assert_ptr_equal(evs[5].page, p + 1);
	assert_int_equal(evs[7].kind, EV_FREE_PREPARE);
	assert_ptr_equal(evs[7].page, p + 1);
	assert_int_equal(evs[7].order, 0);
	assert_int_equal(nr_evs, 8);

	/* The other holder keeps the head as an order-0 page. */
	assert_int_equal(mem_allocated_order(p), 0);
	assert_int_equal(page_ref_count(p), 1);
	assert_int_equal(total_free(), before - 1);
	assert_clean();
	nr_evs = 0;
	__free_page(p);
	assert_int_equal(evs[0].kind, EV_TRACE_FREE);
	assert_int_equal(total_free(), before);
	assert_int_equal(mem_bad_free_count(), 0);
	assert_clean();
}

static void test_free_of_referenced_compound_page_only_drops_a_reference(void **state)
{
	struct page *p;

	(void)state;
	boot(SMALL_MEM);
	mem_set_hooks(&recording_hooks);
	p = alloc_pages_noprof(GFP_KERNEL | __GFP_COMP, 2);
	get_page(p);
	nr_evs = 0;
	__free_pages(p, 2);
	assert_int_equal(nr_evs, 0);
	assert_int_equal(mem_allocated_order(p), 2);
	assert_int_equal(page_ref_count(p), 1);
	__free_pages(p, 2);
	assert_int_equal(nr_evs, 2);
	assert_int_equal(mem_allocated_order(p), -1);
	assert_clean();
}

static void test_bulk_alloc_fills_empty_slots_through_post_alloc_without_trace(void **state)
{
	struct page *arr[8] = { 0 };
	struct page *pre;
	int post = 0, trace = 0;

	(void)state;
	boot(SMALL_MEM);
	pre = alloc_pages_noprof(GFP_KERNEL, 0);
	arr[2] = pre;
	arr[5] = pre;
	mem_set_hooks(&recording_hooks);
	nr_evs = 0;
	assert_int_equal(alloc_pages_bulk_noprof(GFP_KERNEL, NUMA_NO_NODE, NULL, 8, arr), 8);
	for (int i = 0; i < nr_evs; i++) {
		post += evs[i].kind == EV_POST_ALLOC;
		trace += evs[i].kind == EV_TRACE_ALLOC;
	}
	assert_int_equal(post, 6);
	assert_int_equal(trace, 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(mem_allocated_order(arr[i]), 0);
		if (i != 2 && i != 5)
			__free_page(arr[i]);
	}
	__free_page(pre);
	assert_clean();
}

static void test_alloc_pages_exact_splits_and_frees_the_unused_tail(void **state)
{
	unsigned long before;
	struct page *p;
	void *v;
	int splits = 0, frees = 0;

	(void)state;
	boot(SMALL_MEM);
	before = total_free();
	mem_set_hooks(&recording_hooks);
	nr_evs = 0;
	v = alloc_pages_exact_nid_noprof(0, 5 * PAGE_SIZE - 100, GFP_KERNEL | __GFP_ZERO);
	assert_non_null(v);
	p = virt_to_page(v);
	assert_ptr_equal(page_address(p), v);
	for (int i = 0; i < nr_evs; i++) {
		if (evs[i].kind == EV_SPLIT) {
			splits++;
			assert_ptr_equal(evs[i].page, p);
			assert_int_equal(evs[i].order, 3);
			assert_int_equal(evs[i].order2, 0);
		}
		frees += evs[i].kind == EV_FREE_PREPARE;
	}
	assert_int_equal(splits, 1);
	assert_int_equal(frees, 3);
	for (int i = 0; i < 5; i++)
		assert_int_equal(mem_allocated_order(p + i), 0);
	assert_int_equal(total_free(), before - 5);
	assert_clean();
	free_pages_exact(v, 5 * PAGE_SIZE - 100);
	assert_int_equal(total_free(), before);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
	assert_clean();
}

/* ------------------------------------------------------------------ */
/* might_alloc (D11)                                                   */

struct ctx_result {
	struct page *page;
};

static void alloc_inside_rcu(void *arg)
{
	struct ctx_result *r = arg;

	rcu_read_lock();
	r->page = alloc_pages_noprof(GFP_KERNEL, 0);
	rcu_read_unlock();
}

static void atomic_alloc_inside_rcu(void *arg)
{
	struct ctx_result *r = arg;

	rcu_read_lock();
	r->page = alloc_pages_noprof(GFP_ATOMIC, 0);
	rcu_read_unlock();
}

static DEFINE_SPINLOCK(test_lock);

static void alloc_under_spinlock(void *arg)
{
	struct ctx_result *r = arg;

	spin_lock(&test_lock);
	r->page = alloc_pages_noprof(GFP_KERNEL, 0);
	spin_unlock(&test_lock);
}

static void test_gfp_kernel_inside_rcu_reader_reports_sleeping_function(void **state)
{
	static const char bug[] = "BUG: sleeping function called from invalid context";
	struct ctx_result r = { 0 };
	const char *log;

	(void)state;
	boot(SMALL_MEM);
	sim_log_set_echo(true);
	sim_run_as_cpu(1, "swapper/1", 7, atomic_alloc_inside_rcu, &r);
	assert_non_null(r.page);
	__free_page(r.page);
	assert_int_equal(sim_warn_count_fmt(bug), 0);

	sim_run_as_cpu(1, "swapper/1", 7, alloc_inside_rcu, &r);
	/* Reported, and the allocation still goes ahead. */
	assert_non_null(r.page);
	__free_page(r.page);
	assert_int_equal(sim_warn_count_fmt(bug), 1);
	log = sim_log_buffer();
	assert_non_null(strstr(log, "BUG: sleeping function called from invalid context at mm/page_alloc.c:"));
	assert_non_null(strstr(log, "in_atomic(): 0, irqs_disabled(): 0, non_block: 0, pid: 7, name: swapper/1"));
	assert_non_null(strstr(log, "RCU nest depth: 1, expected: 0"));

	sim_run_as_cpu(2, "kworker/2:1", 9, alloc_under_spinlock, &r);
	assert_non_null(r.page);
	__free_page(r.page);
	assert_int_equal(sim_warn_count_fmt(bug), 2);
	assert_non_null(strstr(sim_log_buffer(), "in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 9, name: kworker/2:1"));
	assert_int_equal(sim_warn_total(SIM_REPORT_BUG), 2);
	assert_clean();
}

/* ------------------------------------------------------------------ */
/* Large machines                                                      */

struct block_list {
	unsigned long pfn[64];
	unsigned int order[64];
	int n;
};

static void collect_block(struct page *head, unsigned int order, void *arg)
{
	struct block_list *l = arg;

	assert_true(l->n < 64);
	l->pfn[l->n] = page_to_pfn(head);
	l->order[l->n++] = order;
}

static bool listed(const struct block_list *l, unsigned long pfn, unsigned int order)
{
	for (int i = 0; i < l->n; i++)
		if (l->pfn[i] == pfn && l->order[i] == order)
			return true;
	return false;
}

static void test_1tib_setup_and_for_each_allocated_block_visits_exactly_live_blocks(void **state)
{
	struct block_list want = { 0 }, got = { 0 };
	struct page *p[6];
	unsigned int order[6] = { 0, 3, 10, 5, 1, 4 };
	const char *why;

	(void)state;
	boot(1 * TiB);
	assert_int_equal(max_pfn, 1UL << 28);
	assert_int_equal(zone(ZONE_NORMAL)->free_area[10].nr_free, ((1UL << 28) - (1UL << 20)) >> 10);
	p[0] = alloc_pages_noprof(GFP_KERNEL, 0);
	p[1] = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 3);
	p[2] = alloc_pages_noprof(GFP_KERNEL, 10);
	p[3] = alloc_pages_noprof(GFP_DMA32, 5);
	p[4] = alloc_pages_noprof(GFP_DMA | GFP_KERNEL, 1);
	p[5] = mem_claim_block(0x4000000, 4, GFP_KERNEL, &why);
	/* The lowest NORMAL block, one of the eagerly written ones. */
	assert_int_equal(page_to_pfn(p[0]), 1UL << 20);
	for (int i = 0; i < 6; i++) {
		assert_non_null(p[i]);
		want.pfn[want.n] = page_to_pfn(p[i]);
		want.order[want.n++] = order[i];
	}
	__free_pages(p[1], 3);
	mem_for_each_allocated_block(collect_block, &got);
	assert_int_equal(got.n, 5);
	for (int i = 0; i < 6; i++)
		assert_true(listed(&got, want.pfn[i], want.order[i]) == (i != 1));
	assert_clean();
	for (int i = 0; i < 6; i++)
		if (i != 1)
			__free_pages(p[i], order[i]);
	got.n = 0;
	mem_for_each_allocated_block(collect_block, &got);
	assert_int_equal(got.n, 0);
	assert_clean();
}

/*
 * 24 GiB: NORMAL is [1M, 6M) pages, 5120 order-10 blocks; all but the lowest
 * 4096, the top 1024 ([5M, 6M)), stay implicit until reached.
 */
static void test_huge_zone_hands_out_deferred_blocks_in_the_eager_order(void **state)
{
	const unsigned long claimed_pfn = 5632UL * 1024 + 3, claimed_block = 5632UL * 1024;
	struct page_stack s = { 0 };
	unsigned long before, next = 1UL << 20;
	struct page *c, *p;
	const char *why;

	(void)state;
	boot(24 * GiB);
	before = total_free();
	assert_int_equal(zone(ZONE_NORMAL)->free_area[10].nr_free, 5120);
	assert_int_equal(zone(ZONE_NORMAL)->free_pages, 5UL << 20);
	assert_clean();

	/* Claiming inside the implicit part, and a bad free there. */
	c = mem_claim_block(claimed_pfn, 0, GFP_KERNEL, &why);
	assert_non_null(c);
	assert_int_equal(total_free(), before - 1);
	assert_clean();
	__free_page(pfn_to_page(5120UL * 1024 + 5));
	assert_int_equal(mem_bad_free_count(), 1);
	assert_int_equal(bad_page_reports(), 1);

	/*
	 * Bottom up, block after block as eager setup would list them, through
	 * the eager blocks into the implicit ones; the claimed one is gone.
	 */
	while ((p = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, 10)) &&
	       zone_idx_of(p) == ZONE_NORMAL) {
		push(&s, p, 10);
		if (next == claimed_block)
			next += 1024;
		assert_int_equal(page_to_pfn(p), next);
		next += 1024;
	}
	assert_non_null(p);
	push(&s, p, 10);
	assert_true(next > claimed_block + 1024);
	assert_true(s.n > 5000);
	assert_clean();
	drain(&s);
	__free_page(c);
	assert_int_equal(total_free(), before);
	assert_clean();
}

/* ------------------------------------------------------------------ */
/* Invariant checker and debug level                                   */

static void test_invariant_checker_reports_corrupted_counts_and_links(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	uint32_t saved;

	(void)state;
	boot(SMALL_MEM);
	zone(ZONE_DMA32)->free_pages++;
	f = open_memstream(&text, &len);
	assert_true(mem_check_invariants(f) >= 2);
	fclose(f);
	assert_non_null(strstr(text, "DMA32"));
	free(text);
	zone(ZONE_DMA32)->free_pages--;
	assert_clean();

	saved = pfn_to_page(6144)->buddy_prev;
	pfn_to_page(6144)->buddy_prev = 4096;
	assert_true(mem_check_invariants(NULL) >= 1);
	pfn_to_page(6144)->buddy_prev = saved;

	/* A list entry that is a stale head inside another free block. */
	assert_int_equal(pfn_to_page(6144)->buddy_prev, 5120);
	assert_int_equal(pfn_to_page(6144)->buddy_next, 7168);
	pfn_to_page(6145)->flags = pfn_to_page(6144)->flags;
	pfn_to_page(6145)->buddy_next = pfn_to_page(6144)->buddy_next;
	pfn_to_page(6145)->buddy_prev = pfn_to_page(6144)->buddy_prev;
	pfn_to_page(5120)->buddy_next = 6145;
	pfn_to_page(7168)->buddy_prev = 6145;
	assert_int_equal(mem_check_invariants(NULL), 1);
	pfn_to_page(5120)->buddy_next = 6144;
	pfn_to_page(7168)->buddy_prev = 6144;
	pfn_to_page(6145)->flags = 0;
	assert_clean();
}

static void test_debug_level_1_checks_invariants_after_each_operation(void **state)
{
	char buf[4096] = "";
	FILE *tmp = tmpfile();
	int saved_fd = dup(STDERR_FILENO);
	struct page *p;
	size_t n;

	(void)state;
	boot(SMALL_MEM);
	mem_set_debug_level(1);
	p = alloc_pages_noprof(GFP_KERNEL, 0);
	__free_page(p);

	zone(ZONE_DMA)->free_pages += 3;
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	p = alloc_pages_noprof(GFP_KERNEL, 0);
	fflush(stderr);
	dup2(saved_fd, STDERR_FILENO);
	close(saved_fd);
	zone(ZONE_DMA)->free_pages -= 3;

	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	assert_non_null(strstr(buf, "mem_check_invariants: DMA:"));
	assert_non_null(strstr(buf, "allocator invariant violation"));
	__free_page(p);
	assert_clean();
}

/* ------------------------------------------------------------------ */
/* Per-CPU page lists                                                  */

/* 256 MiB: DMA [0, 4096) with 256 reserved pages, DMA32 [4096, 65536). */
#define PCP_MEM		(256 * MiB)
#define DMA32_START	4096UL

static struct per_cpu_pages *pcp_of(enum zone_type idx, int cpu)
{
	return &zone(idx)->per_cpu_pageset[cpu];
}

static unsigned int pindex(int mt, unsigned int order)
{
	return MIGRATE_PCPTYPES * order + (unsigned int)mt;
}

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
	before = total_free();
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
	assert_int_equal(total_free(), before);
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
	before = total_free();
	__free_page(p);
	assert_int_equal(bad_page_reports(), 1);
	assert_non_null(strstr(sim_log_buffer(),
			       "page dumped because: double free (page already in the buddy allocator)"));
	/* an interior page of a listed order-2 block is a double free too */
	__free_page(q + 1);
	assert_int_equal(bad_page_reports(), 2);
	assert_int_equal(mem_bad_free_count(), 2);
	assert_int_equal(total_free(), before);
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
/* Concurrency                                                         */

struct cpu_work {
	int cpu;
	int ops;
	int slots;		/* blocks live at once, at most MAX_SLOTS */
	unsigned long failures;
};

#define MAX_SLOTS	256

static void cpu_churn(void *arg)
{
	static const gfp_t gfps[] = {
		GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE,
		GFP_ATOMIC, GFP_KERNEL | __GFP_DMA32, GFP_KERNEL | __GFP_COMP | __GFP_ZERO,
		GFP_DMA,
	};
	struct cpu_work *w = arg;
	struct page *live[MAX_SLOTS] = { 0 };
	unsigned int lorder[MAX_SLOTS] = { 0 };
	struct sim_rng rng;

	sim_rng_seed(&rng, 42, (uint64_t)w->cpu);
	for (int i = 0; i < w->ops; i++) {
		int slot = (int)sim_rng_below(&rng, (uint64_t)w->slots);

		if (live[slot]) {
			struct page *p = live[slot];
			unsigned int o = lorder[slot];

			switch (sim_rng_below(&rng, 4)) {
			case 0:
				if (o && !PageCompound(p)) {
					split_page(p, o);
					for (unsigned long j = 0; j < (1UL << o); j++)
						__free_page(p + j);
					break;
				}
				/* fall through */
			case 1:
				if (o && !PageCompound(p)) {
					get_page(p);
					__free_pages(p, o);
					__free_page(p);
					break;
				}
				/* fall through */
			default:
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
	for (int i = 0; i < w->slots; i++)
		if (live[i])
			__free_pages(live[i], lorder[i]);
}

/* Returns the allocations that failed. */
static unsigned long run_churn_slots(int ncpus, int ops, int slots)
{
	struct cpu_work w[8];
	unsigned long before = total_free(), failures = 0;

	for (int i = 0; i < ncpus; i++) {
		w[i] = (struct cpu_work){ .cpu = i, .ops = ops, .slots = slots };
		assert_int_equal(sim_cpu_start(i, "churn", 100 + i, cpu_churn, &w[i]), 0);
	}
	sim_cpu_join_all();
	for (int i = 0; i < ncpus; i++)
		failures += w[i].failures;
	assert_int_equal(total_free(), before);
	assert_int_equal(mem_bad_free_count(), 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_BUG), 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
	assert_clean();
	return failures;
}

static void run_churn(int ncpus, int ops)
{
	run_churn_slots(ncpus, ops, 32);
}

static void test_concurrent_alloc_free_on_four_cpus_keeps_invariants(void **state)
{
	(void)state;
	boot(64 * MiB);
	run_churn(4, 4000);
}

static void test_concurrent_churn_with_debug_checks_finds_no_violation(void **state)
{
	(void)state;
	boot(SMALL_MEM);
	mem_set_debug_level(1);
	run_churn(3, 500);
}

/*
 * 15 MiB of ZONE_DMA for 4 CPUs holding up to 256 blocks of up to 32 pages
 * each: allocations fail, and blocking ones drain the other CPUs' lists
 * while those CPUs use them (the TSan build checks the locking).
 */
static void test_pcp_concurrent_churn_that_exhausts_memory_drains_and_keeps_invariants(void **state)
{
	(void)state;
	boot_cpus(16 * MiB, true, 4);
	assert_true(run_churn_slots(4, 6000, MAX_SLOTS) > 0);
}

/* The checker takes every CPU's list lock while those CPUs allocate. */
static void test_pcp_concurrent_churn_with_debug_checks_finds_no_violation(void **state)
{
	(void)state;
	boot_cpus(SMALL_MEM, true, 3);
	mem_set_debug_level(1);
	run_churn(3, 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
		T(test_setup_builds_dma_dma32_normal_zones_and_reserves_low_1mib),
		T(test_setup_rejects_bad_params_and_repeats_cleanly),
		T(test_setup_handles_zone_ends_not_aligned_to_max_order),
		T(test_order3_alloc_splits_order10_block_and_free_merges_back),
		T(test_allocations_come_from_the_low_end_of_a_zone_first),
		T(test_gfp_zone_modifiers_select_dma_dma32_and_normal),
		T(test_exhausted_zone_falls_back_to_the_next_lower_zone),
		T(test_unmovable_request_steals_and_claims_a_movable_pageblock),
		T(test_movable_fallback_to_small_blocks_takes_smallest_without_claiming),
		T(test_gfp_zero_zeroes_a_dirtied_page_and_a_large_block),
		T(test_gfp_high_dips_below_min_watermark_where_plain_allocation_fails),
		T(test_allocation_failure_is_logged_unless_nowarn),
		T(test_alloc_flags_outside_caller_mask_warn_and_return_null),
		T(test_double_free_is_reported_and_leaves_state_unchanged),
		T(test_tail_page_free_is_reported_and_leaves_state_unchanged),
		T(test_wrong_order_free_is_reported_and_leaves_state_unchanged),
		T(test_reserved_and_invalid_pfn_frees_are_reported),
		T(test_split_page_then_freeing_each_page_merges_back),
		T(test_claim_block_takes_exact_block_and_refuses_non_free_ones),
		T(test_hooks_get_gfp_alloc_flags_and_order_without_a_zone_lock),
		T(test_slow_path_reserves_show_in_post_alloc_flags),
		T(test_post_alloc_hook_may_allocate_pages_itself),
		T(test_free_of_referenced_noncompound_order2_frees_tail_chunks),
		T(test_free_of_referenced_compound_page_only_drops_a_reference),
		T(test_bulk_alloc_fills_empty_slots_through_post_alloc_without_trace),
		T(test_alloc_pages_exact_splits_and_frees_the_unused_tail),
		T(test_gfp_kernel_inside_rcu_reader_reports_sleeping_function),
		T(test_1tib_setup_and_for_each_allocated_block_visits_exactly_live_blocks),
		T(test_huge_zone_hands_out_deferred_blocks_in_the_eager_order),
		T(test_invariant_checker_reports_corrupted_counts_and_links),
		T(test_debug_level_1_checks_invariants_after_each_operation),
		T(test_concurrent_alloc_free_on_four_cpus_keeps_invariants),
		T(test_concurrent_churn_with_debug_checks_finds_no_violation),
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
		T(test_pcp_concurrent_churn_that_exhausts_memory_drains_and_keeps_invariants),
		T(test_pcp_concurrent_churn_with_debug_checks_finds_no_violation),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
