// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the machine configurations beyond the 64-bit default: the
 * 32-bit x86 layout with ZONE_HIGHMEM and its unmapped pages (D14's oops),
 * ZONE_MOVABLE (movablecore=) with the kernel's GFP_ZONE_TABLE and the
 * mobility-violation test page_in_movable_placement() (D14), and the
 * __GFP_MEMALLOC reserve (ALLOC_NO_WATERMARKS) that lets a scenario exhaust
 * memory below every watermark (D18).
 */
#include <errno.h>
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

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

#define LOWMEM_END_PFN	((896 * MiB) >> PAGE_SHIFT)	/* 229376 */

static void boot_with(unsigned long long bytes, int bits, unsigned long long movable)
{
	struct mem_params p = {
		.mem_bytes = bytes,
		.bits_per_long = bits,
		.reserved_low_pages = 256,
		.movable_bytes = movable,
	};

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
	sim_log_set_echo(false);
	sim_warn_reset();
	return 0;
}

static struct zone *zone(enum zone_type idx)
{
	return &contig_page_data.node_zones[idx];
}

static enum zone_type zone_idx_of(const struct page *page)
{
	return page_zone(page)->idx;
}

static unsigned long total_free(void)
{
	unsigned long n = 0;

	for (int i = 0; i < MAX_NR_ZONES; i++)
		n += zone(i)->free_pages;
	return n;
}

static void assert_clean(void)
{
	assert_int_equal(mem_check_invariants(stderr), 0);
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

/* ------------------------------------------------------------------ */
/* 32-bit */

static void test_32bit_setup_builds_dma_normal_and_highmem_without_dma32(void **state)
{
	struct mem_zone_stats st[MAX_NR_ZONES];
	int n;

	(void)state;
	assert_int_equal(mem_bits_per_long(), 64);
	boot_with(4 * GiB, 32, 0);
	assert_int_equal(mem_bits_per_long(), 32);
	assert_int_equal(max_pfn, 1048576);
	n = mem_zone_stats(st, MAX_NR_ZONES);
	assert_int_equal(n, 3);

	assert_string_equal(st[0].name, "DMA");
	assert_int_equal(st[0].start_pfn, 0);
	assert_int_equal(st[0].spanned, 4096);
	assert_int_equal(st[0].present, 4096 - 256);

	assert_string_equal(st[1].name, "Normal");
	assert_int_equal(st[1].start_pfn, 4096);
	assert_int_equal(st[1].spanned, LOWMEM_END_PFN - 4096);
	assert_int_equal(st[1].free_pages, LOWMEM_END_PFN - 4096);

	assert_string_equal(st[2].name, "HighMem");
	assert_int_equal(st[2].start_pfn, LOWMEM_END_PFN);
	assert_int_equal(st[2].spanned, 1048576 - LOWMEM_END_PFN);
	assert_int_equal(st[2].free_pages, 1048576 - LOWMEM_END_PFN);

	/* No CONFIG_ZONE_DMA32 on 32-bit x86. */
	assert_int_equal(zone(ZONE_DMA32)->spanned_pages, 0);
	assert_int_equal(zone(ZONE_MOVABLE)->spanned_pages, 0);
	/*
	 * min_free_kbytes comes from lowmem only: int_sqrt(229120 * 4 * 16) =
	 * 3829 KiB → 957 pages, shared by DMA and Normal.  HighMem's min is
	 * 819200 / 1024 clamped to 128; its step is still its size share.
	 */
	assert_int_equal(st[0].min_wmark, 957UL * 3840 / 229120);
	assert_int_equal(st[1].min_wmark, 957UL * 225280 / 229120);
	assert_int_equal(st[2].min_wmark, 128);
	assert_int_equal(zone(ZONE_HIGHMEM)->watermark[WMARK_LOW],
			 128 + 957UL * 819200 / 229120 / 4);
	assert_clean();

	mem_teardown();
	assert_int_equal(mem_bits_per_long(), 64);
}

static void test_32bit_page_address_is_null_exactly_for_highmem_pages(void **state)
{
	struct page *last_low, *first_high, *top;

	(void)state;
	boot_with(1 * GiB, 32, 0);
	last_low = pfn_to_page(LOWMEM_END_PFN - 1);
	first_high = pfn_to_page(LOWMEM_END_PFN);
	top = pfn_to_page(max_pfn - 1);

	assert_non_null(page_address(pfn_to_page(256)));
	assert_non_null(page_address(last_low));
	assert_ptr_equal(virt_to_page(page_address(last_low)), last_low);
	assert_ptr_equal(page_address(last_low), kmap_local_page(last_low));
	assert_null(page_address(first_high));
	assert_null(page_address(top));
	/* The allocator's own mapping reaches every body. */
	assert_non_null(kmap_local_page(first_high));
	assert_ptr_equal((char *)kmap_local_page(first_high) - (char *)kmap_local_page(last_low),
			 PAGE_SIZE);
	mem_teardown();

	/* 64-bit maps everything. */
	boot_with(1 * GiB, 64, 0);
	assert_non_null(page_address(pfn_to_page(max_pfn - 1)));
}

static void test_32bit_gfp_zone_sends_dma32_to_normal_and_highmem_to_highmem(void **state)
{
	(void)state;
	boot_with(1 * GiB, 32, 0);
	assert_int_equal(gfp_zone(GFP_KERNEL), ZONE_NORMAL);
	assert_int_equal(gfp_zone(GFP_DMA), ZONE_DMA);
	assert_int_equal(gfp_zone(GFP_DMA32), ZONE_NORMAL);
	assert_int_equal(gfp_zone(__GFP_MOVABLE | __GFP_DMA32), ZONE_NORMAL);
	assert_int_equal(gfp_zone(GFP_HIGHUSER), ZONE_HIGHMEM);
	assert_int_equal(gfp_zone(GFP_HIGHUSER_MOVABLE), ZONE_MOVABLE);
	assert_int_equal(gfp_zone(__GFP_MOVABLE), ZONE_NORMAL);
}

static void test_32bit_highmem_allocations_land_in_highmem_and_fall_back_when_it_is_full(void **state)
{
	struct page_stack s = { 0 };
	struct page *k, *d32, *h, *p;
	int in_highmem = 0;

	(void)state;
	boot_with(1 * GiB, 32, 0);
	k = alloc_pages_noprof(GFP_KERNEL, 0);
	d32 = alloc_pages_noprof(GFP_KERNEL | __GFP_DMA32, 0);
	h = alloc_pages_noprof(GFP_HIGHUSER, 0);
	assert_int_equal(zone_idx_of(k), ZONE_NORMAL);
	assert_int_equal(page_to_pfn(k), 4096);
	assert_int_equal(zone_idx_of(d32), ZONE_NORMAL);
	assert_int_equal(zone_idx_of(h), ZONE_HIGHMEM);
	assert_int_equal(page_to_pfn(h), LOWMEM_END_PFN);
	assert_null(page_address(h));
	assert_non_null(page_address(k));

	/* HighMem → Normal: once HighMem is down to its watermark. */
	while ((p = alloc_pages_noprof(GFP_HIGHUSER | __GFP_NOWARN, 10))) {
		push(&s, p, 10);
		if (zone_idx_of(p) != ZONE_HIGHMEM)
			break;
		in_highmem++;
	}
	assert_non_null(p);
	assert_int_equal(zone_idx_of(p), ZONE_NORMAL);
	assert_non_null(page_address(p));
	assert_true(in_highmem >= 30);
	assert_true(zone(ZONE_HIGHMEM)->free_pages < zone(ZONE_HIGHMEM)->watermark[WMARK_LOW] + 1024);
	/* A lowmem request never takes HighMem. */
	drain(&s);
	fill(&s, GFP_KERNEL | __GFP_NOWARN, 10);
	for (int i = 0; i < s.n; i++)
		assert_int_not_equal(zone_idx_of(s.p[i]), ZONE_HIGHMEM);
	drain(&s);
	__free_page(h);
	__free_page(d32);
	__free_page(k);
	assert_clean();
}

static void test_32bit_below_896mib_highmem_requests_use_normal(void **state)
{
	struct mem_zone_stats st[MAX_NR_ZONES];
	struct page *h;

	(void)state;
	boot_with(512 * MiB, 32, 0);
	assert_int_equal(mem_zone_stats(st, MAX_NR_ZONES), 2);
	assert_string_equal(st[1].name, "Normal");
	h = alloc_pages_noprof(GFP_HIGHUSER, 0);
	assert_int_equal(zone_idx_of(h), ZONE_NORMAL);
	assert_non_null(page_address(pfn_to_page(max_pfn - 1)));
	__free_page(h);
	assert_clean();
}

static void test_gfp_zero_zeroes_a_highmem_page_through_kmap(void **state)
{
	unsigned char *body;
	struct page *p;

	(void)state;
	boot_with(1 * GiB, 32, 0);
	p = alloc_pages_noprof(GFP_HIGHUSER, 0);
	assert_null(page_address(p));
	memset(kmap_local_page(p), 0xaa, PAGE_SIZE);
	__free_page(p);
	p = alloc_pages_noprof(GFP_HIGHUSER | __GFP_ZERO, 0);
	assert_int_equal(page_to_pfn(p), LOWMEM_END_PFN);
	body = kmap_local_page(p);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(body[i], 0);
	__free_page(p);
	assert_clean();
}

static void test_32bit_machine_over_4gib_is_rejected(void **state)
{
	struct mem_params p = { .mem_bytes = 4 * GiB + 2 * MiB, .bits_per_long = 32,
				.reserved_low_pages = 256 };

	(void)state;
	assert_int_equal(mem_check_params(&p), MEM_PARAMS_OVER_4G_32BIT);
	assert_non_null(strstr(mem_params_fault_text(MEM_PARAMS_OVER_4G_32BIT), "32-bit"));
	assert_int_equal(mem_setup(&p), -EINVAL);
	assert_int_equal(mem_bits_per_long(), 64);
	/* The same size is fine on 64-bit, and 4 GiB on 32-bit. */
	p.bits_per_long = 64;
	assert_int_equal(mem_check_params(&p), MEM_PARAMS_OK);
	p.bits_per_long = 32;
	p.mem_bytes = 4 * GiB;
	assert_int_equal(mem_setup(&p), 0);
	assert_int_equal(max_pfn, 1048576);
}

/* ------------------------------------------------------------------ */
/* ZONE_MOVABLE */

static void test_movable_zone_is_the_top_of_memory_rounded_up_to_pageblocks(void **state)
{
	struct mem_zone_stats st[MAX_NR_ZONES];
	unsigned long mstart = 131072 - 33280;	/* 128 MiB + 1 byte → 65 pageblocks */

	(void)state;
	assert_int_equal(mem_movable_pages(128 * MiB + 1), 33280);
	assert_int_equal(mem_movable_pages(0), 0);
	boot_with(512 * MiB, 64, 128 * MiB + 1);
	assert_int_equal(mem_zone_stats(st, MAX_NR_ZONES), 4);
	assert_string_equal(st[1].name, "DMA32");
	assert_int_equal(st[1].start_pfn, 4096);
	assert_int_equal(st[1].spanned, mstart - 4096);
	assert_string_equal(st[2].name, "Normal");
	assert_int_equal(st[2].spanned, 0);
	assert_string_equal(st[3].name, "Movable");
	assert_int_equal(st[3].start_pfn, mstart);
	assert_int_equal(st[3].spanned, 33280);
	assert_int_equal(st[3].free_pages, 33280);
	/* No kernel reserve in ZONE_MOVABLE: 33280 / 1024 clamped to [32, 128]. */
	assert_int_equal(st[3].min_wmark, 32);
	for (unsigned long pfn = mstart; pfn < max_pfn; pfn += pageblock_nr_pages)
		assert_int_equal(get_pageblock_migratetype(pfn_to_page(pfn)), MIGRATE_MOVABLE);
	assert_ptr_equal(page_zone(pfn_to_page(mstart - 1)), zone(ZONE_DMA32));
	assert_ptr_equal(page_zone(pfn_to_page(mstart)), zone(ZONE_MOVABLE));
	assert_clean();
}

static void test_movable_zone_on_32bit_comes_out_of_highmem(void **state)
{
	(void)state;
	boot_with(1 * GiB, 32, 64 * MiB);
	assert_int_equal(zone(ZONE_HIGHMEM)->zone_start_pfn, LOWMEM_END_PFN);
	assert_int_equal(zone(ZONE_HIGHMEM)->spanned_pages, 262144 - 16384 - LOWMEM_END_PFN);
	assert_int_equal(zone(ZONE_MOVABLE)->zone_start_pfn, 262144 - 16384);
	/* Above 896 MiB: unmapped, Movable or not. */
	assert_null(page_address(pfn_to_page(262144 - 16384)));
	assert_int_equal(zone_idx_of(alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 0)), ZONE_MOVABLE);
	assert_clean();
}

static void test_movable_leaving_less_than_16mib_to_the_other_zones_is_rejected(void **state)
{
	struct mem_params p = { .mem_bytes = 64 * MiB, .bits_per_long = 64,
				.reserved_low_pages = 256, .movable_bytes = 48 * MiB + 1 };

	(void)state;
	assert_int_equal(mem_check_params(&p), MEM_PARAMS_MOVABLE_TOO_BIG);
	assert_int_equal(mem_setup(&p), -EINVAL);
	p.movable_bytes = ~0ULL;
	assert_int_equal(mem_check_params(&p), MEM_PARAMS_MOVABLE_TOO_BIG);
	p.movable_bytes = 48 * MiB;
	assert_int_equal(mem_setup(&p), 0);
	assert_int_equal(zone(ZONE_MOVABLE)->zone_start_pfn, 4096);
	assert_int_equal(zone(ZONE_DMA32)->spanned_pages, 0);
	assert_clean();
}

static void test_gfp_zone_table_puts_only_movable_highmem_in_zone_movable(void **state)
{
	struct page *m, *mn, *md, *md32, *hi;

	(void)state;
	boot_with(4 * GiB + 64 * MiB, 64, 32 * MiB);
	assert_int_equal(gfp_zone(__GFP_MOVABLE), ZONE_NORMAL);
	assert_int_equal(gfp_zone(__GFP_MOVABLE | __GFP_HIGHMEM), ZONE_MOVABLE);
	assert_int_equal(gfp_zone(__GFP_MOVABLE | __GFP_DMA), ZONE_DMA);
	assert_int_equal(gfp_zone(__GFP_MOVABLE | __GFP_DMA32), ZONE_DMA32);
	assert_int_equal(gfp_zone(GFP_HIGHUSER), ZONE_NORMAL);

	m = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 0);
	mn = alloc_pages_noprof(GFP_KERNEL | __GFP_MOVABLE, 0);
	md = alloc_pages_noprof(GFP_KERNEL | __GFP_MOVABLE | __GFP_DMA, 0);
	md32 = alloc_pages_noprof(GFP_KERNEL | __GFP_MOVABLE | __GFP_DMA32, 0);
	hi = alloc_pages_noprof(GFP_HIGHUSER, 0);
	assert_int_equal(zone_idx_of(m), ZONE_MOVABLE);
	assert_int_equal(page_to_pfn(m), zone(ZONE_MOVABLE)->zone_start_pfn);
	assert_int_equal(zone_idx_of(mn), ZONE_NORMAL);
	assert_int_equal(get_pageblock_migratetype(mn), MIGRATE_MOVABLE);
	assert_int_equal(zone_idx_of(md), ZONE_DMA);
	assert_int_equal(zone_idx_of(md32), ZONE_DMA32);
	assert_int_equal(zone_idx_of(hi), ZONE_NORMAL);
	__free_page(hi);
	__free_page(md32);
	__free_page(md);
	__free_page(mn);
	__free_page(m);
	assert_clean();
}

static void test_zone_movable_stays_untouched_when_every_other_zone_is_full(void **state)
{
	struct page_stack s = { 0 };
	unsigned long movable_free;
	struct page *m;

	(void)state;
	boot_with(64 * MiB, 64, 16 * MiB);
	movable_free = zone(ZONE_MOVABLE)->free_pages;
	assert_int_equal(movable_free, 4096);
	assert_true(fill(&s, GFP_KERNEL | __GFP_NOWARN, 0) > 7000);
	fill(&s, GFP_KERNEL | __GFP_MOVABLE | __GFP_NOWARN, 0);
	assert_true(fill(&s, GFP_ATOMIC | __GFP_HIGHMEM | __GFP_NOWARN, 0) > 0);
	assert_int_equal(zone(ZONE_MOVABLE)->free_pages, movable_free);
	m = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 0);
	assert_non_null(m);
	assert_int_equal(zone_idx_of(m), ZONE_MOVABLE);
	__free_page(m);
	drain(&s);
	assert_clean();
}

static void test_page_in_movable_placement_flags_zone_movable_and_movable_pageblocks(void **state)
{
	struct page *k, *mn, *m, *r;

	(void)state;
	boot_with(512 * MiB, 64, 64 * MiB);
	k = alloc_pages_noprof(GFP_KERNEL, 0);
	r = alloc_pages_noprof(GFP_KERNEL | __GFP_RECLAIMABLE, 0);
	mn = alloc_pages_noprof(GFP_KERNEL | __GFP_MOVABLE, 0);
	m = alloc_pages_noprof(GFP_HIGHUSER_MOVABLE, 0);
	/* Unmovable/reclaimable requests claim their pageblocks. */
	assert_false(page_in_movable_placement(k));
	assert_false(page_in_movable_placement(r));
	/* A movable pageblock outside ZONE_MOVABLE. */
	assert_int_equal(zone_idx_of(mn), ZONE_DMA32);
	assert_true(page_in_movable_placement(mn));
	assert_int_equal(zone_idx_of(m), ZONE_MOVABLE);
	assert_true(page_in_movable_placement(m));
	/* ZONE_MOVABLE alone is enough, whatever its pageblock says. */
	assert_true(page_in_movable_placement(pfn_to_page(max_pfn - 1)));
	__free_page(m);
	__free_page(mn);
	__free_page(r);
	__free_page(k);
	assert_clean();
}

/* ------------------------------------------------------------------ */
/* __GFP_MEMALLOC */

static unsigned int last_alloc_flags;

static void h_post_alloc(struct page *page, unsigned int order, gfp_t gfp,
			 unsigned int alloc_flags)
{
	last_alloc_flags = alloc_flags;
}

static void test_memalloc_takes_the_last_page_where_gfp_atomic_stops_at_its_reserve(void **state)
{
	static const struct alloc_hooks h = { .post_alloc = h_post_alloc };
	struct page_stack s = { 0 };
	unsigned long before;
	struct page *p;

	(void)state;
	boot_with(32 * MiB, 64, 0);
	before = total_free();
	assert_true(fill(&s, GFP_ATOMIC | __GFP_NOWARN, 0) > 7000);
	/* GFP_ATOMIC keeps three eighths of the min watermark. */
	assert_true(total_free() > 0);
	/* __GFP_NOMEMALLOC vetoes the reserve. */
	assert_null(alloc_pages_noprof(GFP_ATOMIC | __GFP_MEMALLOC | __GFP_NOMEMALLOC |
				       __GFP_NOWARN, 0));

	mem_set_hooks(&h);
	p = __alloc_pages_noprof(GFP_ATOMIC | __GFP_MEMALLOC, 0, 0, NULL, ALLOC_NO_CODETAG);
	assert_non_null(p);
	push(&s, p, 0);
	/* The reserve flags replace the slow path's; the caller's flags stay. */
	assert_int_equal(last_alloc_flags, ALLOC_NO_WATERMARKS | ALLOC_NO_CODETAG);
	mem_set_hooks(NULL);

	assert_true(fill(&s, GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN, 0) > 0);
	assert_int_equal(total_free(), 0);
	for (int i = 0; i < MAX_NR_ZONES; i++)
		assert_int_equal(zone(i)->free_pages, 0);
	assert_null(alloc_pages_noprof(GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN, 0));
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
	assert_clean();
	drain(&s);
	assert_int_equal(total_free(), before);
	assert_clean();
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_32bit_setup_builds_dma_normal_and_highmem_without_dma32),
		T(test_32bit_page_address_is_null_exactly_for_highmem_pages),
		T(test_32bit_gfp_zone_sends_dma32_to_normal_and_highmem_to_highmem),
		T(test_32bit_highmem_allocations_land_in_highmem_and_fall_back_when_it_is_full),
		T(test_32bit_below_896mib_highmem_requests_use_normal),
		T(test_gfp_zero_zeroes_a_highmem_page_through_kmap),
		T(test_32bit_machine_over_4gib_is_rejected),
		T(test_movable_zone_is_the_top_of_memory_rounded_up_to_pageblocks),
		T(test_movable_zone_on_32bit_comes_out_of_highmem),
		T(test_movable_leaving_less_than_16mib_to_the_other_zones_is_rejected),
		T(test_gfp_zone_table_puts_only_movable_highmem_in_zone_movable),
		T(test_zone_movable_stays_untouched_when_every_other_zone_is_full),
		T(test_page_in_movable_placement_flags_zone_movable_and_movable_pageblocks),
		T(test_memalloc_takes_the_last_page_where_gfp_atomic_stops_at_its_reserve),
	};

	return cmocka_run_group_tests_name("alloc_zones", tests, NULL, NULL);
}
