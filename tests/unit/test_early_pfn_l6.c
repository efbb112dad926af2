// SPDX-License-Identifier: GPL-2.0
/*
 * L6 (§3.10), the merged list version: RECORD into pfn_pool pages and CLEAR,
 * single-threaded, plus one concurrent RECORD stress on real CPU threads.
 */
#include "test_util.h"
#include "alloc/alloc_pages.h"
#include "page_ext/page_ext.h"
#include "sim/core/rcu.h"
#include "sim/core/sched.h"

#define MEM_512M (512ULL << 20)	/* 4 sections; no ZONE_NORMAL */

static int setup(void **state)
{
	(void)state;
	test_machine_up(MEM_512M, 8);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_machine_down();
	return 0;
}

static void publish_all_and_clear(void)
{
	assert_true(page_ext_prepare());
	for (unsigned long nr = 0; nr < page_ext_nr_sections(); nr++)
		assert_int_equal(page_ext_init_section(nr), 0);
	page_ext_finish();
}

/* The section holding section @nr's page_ext table (its first entry is its base). */
static unsigned long table_section(unsigned long nr)
{
	struct page_ext *base;

	rcu_read_lock();
	base = lookup_page_ext(pfn_to_page(section_nr_to_pfn(nr)));
	rcu_read_unlock();
	assert_non_null(base);
	return pfn_to_section_nr(page_to_pfn(virt_to_page(base)));
}

/*
 * How many tables of a walk in section order were early allocations (§1.5):
 * section nr's table was one if it lies in section nr or above, which the
 * walk had not published when it allocated the table.  Where the tables lie
 * is up to the allocator.
 */
static long early_walk_tables(void)
{
	long n = 0;

	for (unsigned long nr = 0; nr < page_ext_nr_sections(); nr++)
		n += table_section(nr) >= nr;
	return n;
}

static void test_l6_is_default_variant(void **state)
{
	(void)state;
	assert_ptr_equal(early_pfn_selected(), &early_pfn_l6);
	assert_ptr_equal(early_pfn_lookup("l6"), &early_pfn_l6);
	assert_null(early_pfn_lookup("L99"));
}

static void test_pool_page_holds_510_pfns_then_a_second_page_is_pushed(void **state)
{
	struct early_pfn_stats st;

	(void)state;
	for (unsigned long i = 0; i < 510; i++)
		alloc_tag_add_early_pfn(1000 + i, GFP_KERNEL, 0);
	early_pfn_stats_read(&st);
	assert_int_equal(st.tracking_pages_published, 1);
	assert_int_equal(st.pfns_recorded, 510);

	alloc_tag_add_early_pfn(5000, GFP_KERNEL, 0);
	early_pfn_stats_read(&st);
	assert_int_equal(st.tracking_pages_published, 2);
	assert_int_equal(st.pfns_recorded, 511);
	assert_int_equal(early_pfn_l6.reachable_pages(), 2);
}

static void test_early_allocation_is_recorded_and_stamped_empty_by_clear(void **state)
{
	struct early_pfn_stats st;
	struct page *page;
	long tables;

	(void)state;
	page = alloc_pages(GFP_KERNEL, 2);
	assert_non_null(page);
	assert_int_equal(slot_of(page), SLOT_MISSING);

	publish_all_and_clear();
	assert_int_equal(slot_of(page), SLOT_EMPTY);
	/* the walk's own tables are early too, at least section 0's (§1.5) */
	tables = early_walk_tables();
	assert_true(tables >= 1);
	early_pfn_stats_read(&st);
	assert_int_equal(st.pfns_recorded, 1 + tables);
	assert_int_equal(st.pfns_skipped_marker, 1);	/* the tracking page */
	assert_int_equal(st.slot_missing_allocs, 2 + tables);
	assert_int_equal(st.clear_stamped, st.pfns_recorded);
	assert_int_equal(st.tracking_pages_freed_clear, 1);

	__free_pages(page, 2);
	assert_int_equal(sim_warn_count_fmt("alloc_tag was not set"), 0);
}

static void test_only_the_head_pfn_of_a_high_order_allocation_is_recorded(void **state)
{
	struct page *page;

	(void)state;
	page = alloc_pages(GFP_KERNEL, 3);
	assert_non_null(page);
	publish_all_and_clear();
	assert_int_equal(slot_of(page), SLOT_EMPTY);
	assert_int_equal(slot_of(page + 1), SLOT_NULL);
	__free_pages(page, 3);
}

static void test_early_allocation_marks_its_tag_inaccurate(void **state)
{
	struct page *page;

	(void)state;
	page = alloc_pages(GFP_KERNEL, 0);
	assert_non_null(page);
	publish_all_and_clear();
	assert_true(alloc_tag_is_inaccurate(find_tag_by_func(
		"test_early_allocation_marks_its_tag_inaccurate")));
	__free_pages(page, 0);
}

static void test_unrecorded_early_page_warns_alloc_tag_was_not_set_when_freed(void **state)
{
	struct early_pfn_stats st;
	struct page *page;

	(void)state;
	/* The recursion marker hides the PFN from RECORD: D1 for this page. */
	page = alloc_pages(GFP_KERNEL | __GFP_NO_CODETAG, 0);
	assert_non_null(page);
	early_pfn_stats_read(&st);
	assert_int_equal(st.pfns_skipped_marker, 1);
	assert_int_equal(st.pfns_recorded, 0);

	publish_all_and_clear();
	assert_int_equal(slot_of(page), SLOT_NULL);
	__free_pages(page, 0);
	assert_int_equal(sim_warn_count_fmt("alloc_tag was not set"), 1);
	assert_non_null(strstr(sim_log_buffer(), "alloc_tag was not set"));
}

static void test_clear_keeps_the_tag_of_a_pfn_reallocated_after_its_section_got_page_ext(void **state)
{
	struct early_pfn_stats st;
	struct page *page, *again;
	unsigned long pfn;

	(void)state;
	/* ZONE_DMA: the walk takes its tables from a higher zone */
	page = alloc_pages(GFP_DMA, 0);
	assert_int_equal(page_zone(page)->idx, ZONE_DMA);
	pfn = page_to_pfn(page);
	__free_pages(page, 0);			/* silent: no slot yet */

	assert_true(page_ext_prepare());
	for (unsigned long nr = 0; nr < page_ext_nr_sections(); nr++)
		assert_int_equal(page_ext_init_section(nr), 0);
	/* still free: no table took it */
	again = alloc_hooks(mem_claim_block(pfn, 0, GFP_KERNEL, NULL));
	assert_ptr_equal(again, page);
	page_ext_finish();			/* CLEAR */

	early_pfn_stats_read(&st);
	assert_int_equal(st.clear_kept, 1);
	assert_int_equal(st.clear_stamped, st.pfns_recorded - 1);	/* early tables */
	assert_int_equal(slot_of(again), SLOT_TAG);
	__free_pages(again, 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
}

static void test_tracking_page_from_a_published_section_keeps_its_tag_after_clear_d13(void **state)
{
	struct alloc_tag_counters c;
	struct early_pfn_stats st;
	struct page *probe, *early;
	unsigned long home, other;

	(void)state;
	/*
	 * Tracking pages come from wherever a page of their gfp goes: a probe
	 * finds that section, home (the recursion marker keeps the probe out
	 * of the pool; it is given back).  Then publish home only.
	 */
	probe = alloc_page(__GFP_HIGH | __GFP_NO_CODETAG);
	assert_non_null(probe);
	home = pfn_to_section_nr(page_to_pfn(probe));
	__free_page(probe);
	assert_true(page_ext_prepare());
	/* home's own table is early: it gets the first pool page, unaccounted */
	assert_int_equal(page_ext_init_section(home), 0);
	assert_int_equal(table_section(home), home);
	for (unsigned long i = 1; i < 510; i++)
		alloc_tag_add_early_pfn(300 + i, GFP_KERNEL, 0);
	/*
	 * pool full: the next early PFN, here the last page of another
	 * section (free, not reserved), needs a page from published home
	 */
	other = (home + 1) % page_ext_nr_sections();
	early = alloc_hooks(mem_claim_block(section_nr_to_pfn(other + 1) - 1, 0,
					    GFP_KERNEL, NULL));
	assert_non_null(early);
	assert_int_equal(slot_of(early), SLOT_MISSING);	/* other: no page_ext yet */

	for (unsigned long nr = 0; nr < page_ext_nr_sections(); nr++)
		if (nr != home)
			assert_int_equal(page_ext_init_section(nr), 0);
	page_ext_finish();

	early_pfn_stats_read(&st);
	assert_int_equal(st.tracking_pages_published, 2);
	assert_int_equal(st.tracking_pages_accounted_freed, 1);
	assert_non_null(find_tag_by_func("__alloc_tag_add_early_pfn"));
	c = sum_tags_by_func("__alloc_tag_add_early_pfn");
	assert_int_equal(c.bytes, 4096);	/* §4 D13: 4096 bytes + 1 call forever */
	assert_int_equal(c.calls, 1);
	__free_pages(early, 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
}

static void test_free_between_publication_and_clear_warns_alloc_tag_was_not_set_d8(void **state)
{
	struct page *page;

	(void)state;
	page = alloc_pages(GFP_KERNEL, 0);
	assert_true(page_ext_prepare());
	assert_int_equal(page_ext_init_section(pfn_to_section_nr(page_to_pfn(page))), 0);
	assert_int_equal(slot_of(page), SLOT_NULL);
	__free_pages(page, 0);			/* recorded, but CLEAR has not run */
	assert_int_equal(sim_warn_count_fmt("alloc_tag was not set"), 1);
	for (unsigned long nr = 0; nr < page_ext_nr_sections(); nr++)
		assert_int_equal(page_ext_init_section(nr), 0);
	page_ext_finish();
	/* CLEAR then stamps the free page EMPTY: harmless (§4 D7 variant 2) */
	assert_int_equal(slot_of(page), SLOT_EMPTY);
}

/*
 * Not in §4: __pgalloc_tag_add() looks the slot up in one RCU reader and
 * RECORD enters another.  A CPU whose lookup failed before its section was
 * published, and that reaches RECORD only after CLEAR retired the worker, is
 * not waited for by synchronize_rcu(): its PFN is dropped and the page keeps
 * a NULL slot.  Step by step, as CPU B then CPU A then CPU B:
 */
static void test_lookup_before_publication_and_record_after_clear_loses_the_pfn(void **state)
{
	union pgtag_ref_handle handle;
	union codetag_ref ref;
	struct early_pfn_stats st;
	struct page *page;

	(void)state;
	publish_all_and_clear();		/* A: walk + CLEAR, both done */
	page = pfn_to_page(300);		/* B's page; its lookup failed */
	alloc_tag_add_early_pfn(300, GFP_KERNEL, 0);	/* B: RECORD, too late */
	early_pfn_stats_read(&st);
	assert_int_equal(st.pfns_after_clear, 1);
	assert_true(get_page_tag_ref(page, &ref, &handle));
	assert_null(ref.ct);			/* never stamped */
	put_page_tag_ref(handle);
}

static void test_record_after_clear_is_a_no_op(void **state)
{
	struct early_pfn_stats st;

	(void)state;
	{
	long before;

	publish_all_and_clear();
	early_pfn_stats_read(&st);
	before = st.pfns_recorded;
	alloc_tag_add_early_pfn(1234, GFP_KERNEL, 0);
	early_pfn_stats_read(&st);
	assert_int_equal(st.pfns_after_clear, 1);
	assert_int_equal(st.pfns_recorded, before);
	}
}

static void test_tracking_page_allocation_failure_warns_once_and_drops_the_pfn_d18(void **state)
{
	struct early_pfn_stats st;
	long n = 0;

	(void)state;
	/* Drain memory, reserves included, without recording anything. */
	while (alloc_pages(GFP_ATOMIC | __GFP_NOWARN | __GFP_NO_CODETAG, 0))
		n++;
	assert_true(n > 0);
	alloc_tag_add_early_pfn(300, GFP_KERNEL, 0);
	alloc_tag_add_early_pfn(301, GFP_KERNEL, 0);
	early_pfn_stats_read(&st);
	assert_int_equal(st.pfns_dropped, 2);
	assert_int_equal(sim_warn_count_fmt("early PFN tracking page allocation failed"), 2);
	assert_int_equal(strstr(sim_log_buffer(), "early PFN tracking page allocation failed") !=
			 NULL, 1);
}

/* Concurrent RECORD: every PFN lands in exactly one pool slot. */
#define RECORDERS 8
#define PER_RECORDER 3000

static void recorder(void *arg)
{
	unsigned long base = (unsigned long)(uintptr_t)arg;

	for (unsigned long i = 0; i < PER_RECORDER; i++)
		alloc_tag_add_early_pfn(base + i, GFP_KERNEL, 0);
}

static void test_concurrent_record_loses_no_pfn_and_fills_pools_before_pushing(void **state)
{
	struct early_pfn_stats st;
	long total = RECORDERS * PER_RECORDER;

	(void)state;
	for (int cpu = 0; cpu < RECORDERS; cpu++)
		assert_int_equal(sim_cpu_start(cpu, "recorder", 100 + cpu, recorder,
					       (void *)(uintptr_t)(4096 + cpu * PER_RECORDER)), 0);
	sim_cpu_join_all();

	early_pfn_stats_read(&st);
	assert_int_equal(st.pfns_recorded, total);
	assert_int_equal(st.tracking_pages_published, (total + 509) / 510);
	assert_int_equal(st.tracking_pages_alloc,
			 st.tracking_pages_published + st.tracking_pages_lost_race);
	assert_int_equal(early_pfn_l6.reachable_pages(), st.tracking_pages_published);

	publish_all_and_clear();
	early_pfn_stats_read(&st);
	assert_int_equal(st.pfns_recorded, total + early_walk_tables());
	assert_int_equal(st.clear_stamped + st.clear_kept + st.clear_no_slot, st.pfns_recorded);
	assert_int_equal(st.tracking_pages_freed_clear, st.tracking_pages_published);
	assert_int_equal(mem_check_invariants(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_l6_is_default_variant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_page_holds_510_pfns_then_a_second_page_is_pushed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_early_allocation_is_recorded_and_stamped_empty_by_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_the_head_pfn_of_a_high_order_allocation_is_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_early_allocation_marks_its_tag_inaccurate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unrecorded_early_page_warns_alloc_tag_was_not_set_when_freed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear_keeps_the_tag_of_a_pfn_reallocated_after_its_section_got_page_ext, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tracking_page_from_a_published_section_keeps_its_tag_after_clear_d13, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_between_publication_and_clear_warns_alloc_tag_was_not_set_d8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_before_publication_and_record_after_clear_loses_the_pfn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_after_clear_is_a_no_op, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tracking_page_allocation_failure_warns_once_and_drops_the_pfn_d18, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_record_loses_no_pfn_and_fills_pools_before_pushing, setup, teardown),
	};

	return cmocka_run_group_tests_name("early_pfn_l6", tests, NULL, NULL);
}
