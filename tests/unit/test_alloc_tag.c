// SPDX-License-Identifier: GPL-2.0
/*
 * alloc_tag add/sub checks with their exact WARN texts (§2.3), page slot
 * access and the allocator hooks (§2.4, §2.5).
 */
#include <errno.h>

#include "test_util.h"
#include "alloc/alloc_pages.h"
#include "page_ext/page_ext.h"
#include "sim/boot.h"

static struct alloc_tag *tag_a, *tag_b;

static int setup(void **state)
{
	(void)state;
	test_machine_up(512ULL << 20, 2);
	tag_a = codetag_new_dynamic("mm/a.c", 10, "a_alloc", NULL);
	tag_b = codetag_new_dynamic("mm/b.c", 20, "b_alloc", NULL);
	assert_int_equal(alloc_tag_counters_attach(tag_a), 0);
	assert_int_equal(alloc_tag_counters_attach(tag_b), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mem_profiling.debug = true;
	test_machine_down();
	return 0;
}

/* setup() on a machine in compressed mode (§2.2): slots in page->flags. */
static int setup_compressed(void **state)
{
	struct machine_config cfg;
	char err[256];

	(void)state;
	machine_config_defaults(&cfg);
	cfg.mem_bytes = 512ULL << 20;
	cfg.cpus = 2;
	cfg.kmemleak = false;
	cfg.compressed = true;
	sim_log_set_stream(NULL);
	sim_log_set_echo(true);
	assert_int_equal(machine_setup(&cfg, err, sizeof(err)), 0);
	assert_true(mem_profiling.compressed);
	tag_a = codetag_new_dynamic("mm/a.c", 10, "a_alloc", NULL);
	tag_b = codetag_new_dynamic("mm/b.c", 20, "b_alloc", NULL);
	assert_int_equal(alloc_tag_counters_attach(tag_a), 0);
	assert_int_equal(alloc_tag_counters_attach(tag_b), 0);
	return 0;
}

/* CODETAG_EMPTY through an opaque copy, so the compiler cannot fold the
 * pointer value 1 into branches that only run without DEBUG. */
static union codetag_ref empty_ref(void)
{
	struct codetag *ct = CODETAG_EMPTY;

	__asm__ volatile("" : "+r"(ct));
	return (union codetag_ref){ ct };
}

static void page_ext_everywhere(void)
{
	page_ext_init();
}

static void test_add_points_the_slot_at_the_tag_and_counts_bytes_and_one_call(void **state)
{
	union codetag_ref ref = { NULL };
	struct alloc_tag_counters c;

	(void)state;
	alloc_tag_add(&ref, tag_a, 8192);
	assert_ptr_equal(ref.ct, &tag_a->ct);
	c = alloc_tag_read(tag_a);
	assert_int_equal(c.bytes, 8192);
	assert_int_equal(c.calls, 1);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
}

static void test_add_over_a_live_tag_warns_not_cleared_naming_the_old_tag(void **state)
{
	union codetag_ref ref = { NULL };

	(void)state;
	alloc_tag_add(&ref, tag_a, 4096);
	alloc_tag_add(&ref, tag_b, 4096);
	assert_int_equal(sim_warn_count_fmt("alloc_tag was not cleared (got tag for %s:%u)\n"), 1);
	assert_non_null(strstr(sim_log_buffer(), "alloc_tag was not cleared (got tag for mm/a.c:10)"));
	/* The old tag is overwritten and not decremented (§2.3). */
	assert_ptr_equal(ref.ct, &tag_b->ct);
	assert_int_equal(alloc_tag_read(tag_a).calls, 1);
}

static void test_add_over_empty_is_silent(void **state)
{
	union codetag_ref ref = empty_ref();

	(void)state;
	alloc_tag_add(&ref, tag_a, 4096);
	assert_ptr_equal(ref.ct, &tag_a->ct);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
}

static void test_add_without_a_current_tag_warns_and_records_nothing(void **state)
{
	union codetag_ref ref = { NULL };

	(void)state;
	alloc_tag_add(&ref, NULL, 4096);
	assert_int_equal(sim_warn_count_fmt("current->alloc_tag not set\n"), 1);
	assert_null(ref.ct);
}

static void test_sub_of_a_null_slot_warns_alloc_tag_was_not_set_and_changes_nothing(void **state)
{
	union codetag_ref ref = { NULL };

	(void)state;
	alloc_tag_sub(&ref, 4096);
	alloc_tag_sub(&ref, 4096);
	assert_int_equal(sim_warn_count_fmt("alloc_tag was not set\n"), 2);
	/* WARN_ONCE: one report block, two hits counted */
	assert_non_null(strstr(sim_log_buffer(), "alloc_tag was not set"));
	assert_null(strstr(strstr(sim_log_buffer(), "alloc_tag was not set") + 1,
			   "alloc_tag was not set"));
}

static void test_sub_of_empty_clears_the_slot_without_subtracting(void **state)
{
	union codetag_ref ref = empty_ref();

	(void)state;
	alloc_tag_add(&(union codetag_ref){ NULL }, tag_a, 4096);
	alloc_tag_sub(&ref, 4096);
	assert_null(ref.ct);
	assert_int_equal(alloc_tag_read(tag_a).bytes, 4096);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
}

static void test_sub_undoes_add_and_clears_the_slot(void **state)
{
	union codetag_ref ref = { NULL };
	struct alloc_tag_counters c;

	(void)state;
	alloc_tag_add(&ref, tag_a, 16384);
	alloc_tag_sub(&ref, 16384);
	c = alloc_tag_read(tag_a);
	assert_int_equal(c.bytes, 0);
	assert_int_equal(c.calls, 0);
	assert_null(ref.ct);
}

static void test_without_debug_there_is_no_empty_and_no_check(void **state)
{
	union codetag_ref ref = { NULL };

	(void)state;
	mem_profiling.debug = false;
	set_codetag_empty(&ref);
	assert_null(ref.ct);
	alloc_tag_sub(&ref, 4096);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
}

static void test_allocation_after_page_ext_is_accounted_to_its_call_site(void **state)
{
	struct alloc_tag *site;
	struct page *page;

	(void)state;
	page_ext_everywhere();
	page = alloc_pages(GFP_KERNEL, 1);
	assert_int_equal(slot_of(page), SLOT_TAG);
	site = find_tag_by_func("test_allocation_after_page_ext_is_accounted_to_its_call_site");
	assert_non_null(site);
	assert_int_equal(alloc_tag_read(site).bytes, 8192);
	assert_int_equal(alloc_tag_read(site).calls, 1);
	__free_pages(page, 1);
	assert_int_equal(alloc_tag_read(site).bytes, 0);
	assert_int_equal(alloc_tag_read(site).calls, 0);
	assert_int_equal(slot_of(page), SLOT_NULL);
}

static void test_split_gives_every_tail_the_head_tag_and_a_call(void **state)
{
	struct alloc_tag *site;
	struct page *page;

	(void)state;
	page_ext_everywhere();
	page = alloc_pages(GFP_KERNEL, 3);
	split_page(page, 3);
	site = find_tag_by_func("test_split_gives_every_tail_the_head_tag_and_a_call");
	assert_int_equal(alloc_tag_read(site).calls, 8);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(slot_of(page + i), SLOT_TAG);
		__free_pages(page + i, 0);
	}
	/* bytes were 8 pages at the head; each free subtracts one page */
	assert_int_equal(alloc_tag_read(site).bytes, 0);
	assert_int_equal(alloc_tag_read(site).calls, 0);
}

static void test_split_of_an_empty_head_leaves_tails_null_and_their_free_warns_d17(void **state)
{
	struct page *page;

	(void)state;
	page = alloc_pages(GFP_KERNEL, 2);	/* early: recorded, head only */
	page_ext_everywhere();			/* CLEAR stamps the head EMPTY */
	assert_int_equal(slot_of(page), SLOT_EMPTY);
	split_page(page, 2);
	assert_int_equal(slot_of(page + 1), SLOT_NULL);
	__free_pages(page, 0);
	assert_int_equal(sim_warn_count_fmt("alloc_tag was not set"), 0);
	__free_pages(page + 1, 0);
	assert_int_equal(sim_warn_count_fmt("alloc_tag was not set"), 1);
	__free_pages(page + 2, 0);
	__free_pages(page + 3, 0);
}

static void test_pgalloc_tag_get_returns_null_for_an_empty_slot_d16(void **state)
{
	struct page *page;

	(void)state;
	page = alloc_pages(GFP_KERNEL, 0);
	page_ext_everywhere();
	assert_int_equal(slot_of(page), SLOT_EMPTY);
	assert_null(__pgalloc_tag_get(page));
	__free_pages(page, 0);
}

static void test_free_of_a_referenced_non_compound_block_subtracts_tail_bytes_and_stamps_tails(void **state)
{
	struct alloc_tag *site;
	struct page *page;

	(void)state;
	page_ext_everywhere();
	page = alloc_pages(GFP_KERNEL, 2);
	site = find_tag_by_func(
		"test_free_of_a_referenced_non_compound_block_subtracts_tail_bytes_and_stamps_tails");
	get_page(page);
	__free_pages(page, 2);		/* 7.2 form (§2.5): the head stays */
	assert_int_equal(alloc_tag_read(site).bytes, 4096);
	assert_int_equal(alloc_tag_read(site).calls, 1);
	assert_int_equal(slot_of(page), SLOT_TAG);
	__free_pages(page, 0);
	assert_int_equal(alloc_tag_read(site).bytes, 0);
	assert_int_equal(alloc_tag_read(site).calls, 0);
	assert_int_equal(mem_check_invariants(NULL), 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
}

static void test_clear_page_tag_ref_without_a_slot_does_nothing(void **state)
{
	struct page *page;

	(void)state;
	page = alloc_pages(GFP_KERNEL | __GFP_NO_OBJ_EXT, 0);
	clear_page_tag_ref(page);
	assert_int_equal(slot_of(page), SLOT_MISSING);
	__free_pages(page, 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
}

static void test_hooked_call_restores_current_alloc_tag(void **state)
{
	struct page *page;

	(void)state;
	assert_null(current->alloc_tag);
	page = alloc_pages(GFP_KERNEL, 0);
	assert_null(current->alloc_tag);
	__free_pages(page, 0);
	assert_int_equal(sim_warn_count_fmt("current->alloc_tag was changed"), 0);
}

/* ------------------------------------------------------------------ */
/* Compressed mode (§2.1, §2.2, §2.4)                                  */

static struct page *alloc_tagged(struct alloc_tag *tag, unsigned int order)
{
	return alloc_hooks_tag(tag, alloc_pages_noprof(GFP_KERNEL, order));
}

static void test_tags_are_indexed_statics_in_link_order_then_run_time_tags(void **state)
{
	struct alloc_tag *first = codetag_section_start();
	uint32_t nstatic = (uint32_t)(codetag_section_stop() - first);
	struct alloc_tag local = { .ct = { .function = "local" } };

	(void)state;
	assert_true(nstatic > 10);
	assert_int_equal(codetag_index(first), 0);
	assert_ptr_equal(codetag_from_index(0), first);
	assert_int_equal(codetag_index(first + nstatic - 1), nstatic - 1);
	assert_int_equal(codetag_index(tag_a), nstatic);
	assert_int_equal(codetag_index(tag_b), nstatic + 1);
	assert_ptr_equal(codetag_from_index(nstatic + 1), tag_b);
	assert_int_equal(codetag_count(), nstatic + 2);
	assert_null(codetag_from_index(nstatic + 2));
	assert_int_equal(codetag_index(&local), CODETAG_NO_INDEX);
	/* Indexes restart with the next machine's run-time tags. */
	alloc_tag_counters_free();
	codetag_free_dynamic();
	assert_int_equal(codetag_count(), nstatic);
	assert_null(codetag_from_index(nstatic));
	tag_a = codetag_new_dynamic("mm/c.c", 30, "c_alloc", NULL);
	assert_int_equal(codetag_index(tag_a), nstatic);
	assert_ptr_equal(codetag_from_index(nstatic), tag_a);
}

static void test_compressed_slot_is_the_tag_index_plus_2_in_the_spare_flag_bits(void **state)
{
	union pgtag_ref_handle handle;
	union codetag_ref ref;
	struct alloc_tag *tag;
	struct page *page;

	(void)state;
	page = alloc_tagged(tag_b, 2);
	assert_int_equal(pgalloc_tag_flags_idx(page), CODETAG_ID_FIRST + codetag_index(tag_b));
	assert_int_equal(page_flags(page) & PG_TAG_MASK,
			 (CODETAG_ID_FIRST + codetag_index(tag_b)) << PG_TAG_SHIFT);
	/* The allocator's bits are intact around the index. */
	assert_int_equal(mem_allocated_order(page), 2);
	assert_true(PageHead(page));
	assert_int_equal(pgalloc_tag_peek(page, &tag), SLOT_TAG);
	assert_ptr_equal(tag, tag_b);
	assert_int_equal(alloc_tag_read(tag_b).bytes, 4 * 4096);
	assert_int_equal(alloc_tag_read(tag_b).calls, 1);

	assert_true(get_page_tag_ref(page, &ref, &handle));
	assert_ptr_equal(ref.ct, &tag_b->ct);
	assert_ptr_equal(handle.page, page);
	ref.ct = &tag_a->ct;
	update_page_tag_ref(handle, &ref);
	put_page_tag_ref(handle);
	assert_int_equal(pgalloc_tag_flags_idx(page), CODETAG_ID_FIRST + codetag_index(tag_a));
	assert_true(get_page_tag_ref(page, &ref, &handle));
	assert_ptr_equal(ref.ct, &tag_a->ct);
	ref.ct = &tag_b->ct;
	update_page_tag_ref(handle, &ref);
	put_page_tag_ref(handle);

	__free_pages(page, 2);
	assert_int_equal(pgalloc_tag_flags_idx(page), CODETAG_ID_NULL);
	assert_int_equal(alloc_tag_read(tag_b).bytes, 0);
	assert_int_equal(alloc_tag_read(tag_b).calls, 0);
	assert_false(get_page_tag_ref(NULL, &ref, &handle));
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
	assert_int_equal(mem_check_invariants(NULL), 0);
}

static void test_compressed_empty_is_index_1_and_its_free_neither_warns_nor_subtracts(void **state)
{
	struct page *page;

	(void)state;
	page = alloc_tagged(tag_a, 0);
	clear_page_tag_ref(page);
	assert_int_equal(pgalloc_tag_flags_idx(page), CODETAG_ID_EMPTY);
	assert_int_equal(slot_of(page), SLOT_EMPTY);
	assert_null(__pgalloc_tag_get(page));		/* D16 */
	__free_pages(page, 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
	assert_int_equal(alloc_tag_read(tag_a).calls, 1);	/* EMPTY: nothing subtracted */
	assert_int_equal(pgalloc_tag_flags_idx(page), CODETAG_ID_NULL);

	/* Without DEBUG there is no EMPTY: the stamp stores NULL (index 0). */
	mem_profiling.debug = false;
	page = alloc_tagged(tag_a, 0);
	clear_page_tag_ref(page);
	assert_int_equal(pgalloc_tag_flags_idx(page), CODETAG_ID_NULL);
	__free_pages(page, 0);
}

static void test_compressed_null_slot_free_warns_alloc_tag_was_not_set(void **state)
{
	struct alloc_tag unregistered = { .ct = { .filename = "x.c", .function = "x" } };
	struct page *page;

	(void)state;
	/* A tag with no index cannot be referenced: the slot stays NULL. */
	assert_int_equal(alloc_tag_counters_attach(&unregistered), 0);
	page = alloc_hooks_tag(&unregistered, alloc_pages_noprof(GFP_KERNEL, 0));
	assert_int_equal(pgalloc_tag_flags_idx(page), CODETAG_ID_NULL);
	assert_int_equal(slot_of(page), SLOT_NULL);
	__free_pages(page, 0);
	assert_int_equal(sim_warn_count_fmt("alloc_tag was not set\n"), 1);
	free_percpu(unregistered.counters);
}

static void test_compressed_split_keeps_the_head_tag_and_tags_every_tail(void **state)
{
	struct page *page;

	(void)state;
	page = alloc_tagged(tag_a, 3);
	split_page(page, 3);
	assert_int_equal(alloc_tag_read(tag_a).calls, 8);
	for (int i = 0; i < 8; i++) {
		struct alloc_tag *tag;

		assert_int_equal(pgalloc_tag_peek(page + i, &tag), SLOT_TAG);
		assert_ptr_equal(tag, tag_a);
		assert_int_equal(mem_allocated_order(page + i), 0);
		assert_int_equal(PageSplitTail(page + i), i > 0);
		__free_pages(page + i, 0);
	}
	assert_int_equal(alloc_tag_read(tag_a).bytes, 0);
	assert_int_equal(alloc_tag_read(tag_a).calls, 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
	assert_int_equal(mem_check_invariants(NULL), 0);
}

static void test_compressed_partial_free_keeps_the_head_tag_and_stamps_tails_empty(void **state)
{
	struct page *page;

	(void)state;
	page = alloc_tagged(tag_a, 2);
	get_page(page);
	__free_pages(page, 2);		/* 7.2 form (§2.5): the head stays */
	assert_int_equal(slot_of(page), SLOT_TAG);
	assert_int_equal(alloc_tag_read(tag_a).bytes, 4096);
	__free_pages(page, 0);
	assert_int_equal(alloc_tag_read(tag_a).bytes, 0);
	assert_int_equal(alloc_tag_read(tag_a).calls, 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
	assert_int_equal(mem_check_invariants(NULL), 0);
}

static void test_compressed_allocation_before_page_ext_init_has_a_slot_and_no_record(void **state)
{
	struct early_pfn_stats st;
	struct page *page;

	(void)state;
	page = alloc_tagged(tag_a, 0);		/* no page_ext anywhere yet */
	assert_int_equal(slot_of(page), SLOT_TAG);
	early_pfn_stats_read(&st);
	assert_int_equal(st.slot_missing_allocs, 0);
	assert_int_equal(st.pfns_recorded, 0);
	assert_false(alloc_tag_is_inaccurate(tag_a));
	__free_pages(page, 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
}

static void test_compressed_boot_records_no_early_pfn_and_fires_no_oracle(void **state)
{
	struct boot_options opt;
	struct boot_result res;
	char err[256];

	(void)state;
	test_machine_down();		/* boot_run() builds its own */
	boot_options_defaults(&opt);
	opt.machine.cpus = 4;
	opt.machine.mem_bytes = 1ULL << 30;
	opt.machine.compressed = true;
	opt.log = NULL;
	assert_int_equal(boot_run(&opt, &res, err, sizeof(err)), 0);
	/* The whole workload, none of it without a slot. */
	assert_int_equal(res.allocs_before_page_ext_init,
			 opt.wl.base_early + (long)(opt.wl.per_cpu_early * 4) +
			 (long)opt.wl.stacks_per_cpu * opt.wl.stack_pages * 4);
	assert_true(res.allocs >= res.allocs_before_page_ext_init);
	assert_int_equal(res.alloc_failures, 0);
	assert_int_equal(res.early.slot_missing_allocs, 0);
	assert_int_equal(res.early.pfns_recorded, 0);
	assert_int_equal(res.early.tracking_pages_alloc, 0);
	assert_int_equal(res.early.clear_runs, 0);
	assert_int_equal(res.page_ext.sections_published, 0);
	assert_false(res.page_ext.done);
	assert_int_equal(res.oracles.unstamped.pages, 0);
	assert_int_equal(res.oracles.nr_leaks, 0);
	assert_int_equal(res.oracles.warnings, 0);
	assert_false(res.oracles.fired);
	boot_result_free(&res);
	test_machine_up(512ULL << 20, 2);	/* for teardown() */
}

static int teardown_tags(void **state)
{
	(void)state;
	codetag_free_dynamic();
	return 0;
}

static void test_compressed_setup_refuses_more_tags_than_the_flag_bits_index(void **state)
{
	struct machine_config cfg;
	char err[256];
	uint32_t room = PGALLOC_TAG_COMPRESSED_MAX_TAGS - codetag_count();

	(void)state;
	assert_int_equal(PGALLOC_TAG_COMPRESSED_MAX_TAGS, (1u << 18) - 2);
	for (uint32_t i = 0; i < room; i++)
		assert_non_null(codetag_new_dynamic("mm/many.c", i, "many", NULL));
	machine_config_defaults(&cfg);
	cfg.mem_bytes = 64ULL << 20;
	cfg.kmemleak = false;
	cfg.compressed = true;
	sim_log_set_stream(NULL);
	assert_int_equal(machine_setup(&cfg, err, sizeof(err)), 0);
	machine_teardown();		/* frees the run-time tags */

	for (uint32_t i = 0; i <= room; i++)
		assert_non_null(codetag_new_dynamic("mm/many.c", i, "many", NULL));
	assert_int_equal(machine_setup(&cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cannot be referenced using 18 available page flag bits"));
	/* page_ext mode has no such limit. */
	cfg.compressed = false;
	assert_int_equal(machine_setup(&cfg, err, sizeof(err)), 0);
	machine_teardown();
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_add_points_the_slot_at_the_tag_and_counts_bytes_and_one_call),
		T(test_add_over_a_live_tag_warns_not_cleared_naming_the_old_tag),
		T(test_add_over_empty_is_silent),
		T(test_add_without_a_current_tag_warns_and_records_nothing),
		T(test_sub_of_a_null_slot_warns_alloc_tag_was_not_set_and_changes_nothing),
		T(test_sub_of_empty_clears_the_slot_without_subtracting),
		T(test_sub_undoes_add_and_clears_the_slot),
		T(test_without_debug_there_is_no_empty_and_no_check),
		T(test_allocation_after_page_ext_is_accounted_to_its_call_site),
		T(test_split_gives_every_tail_the_head_tag_and_a_call),
		T(test_split_of_an_empty_head_leaves_tails_null_and_their_free_warns_d17),
		T(test_pgalloc_tag_get_returns_null_for_an_empty_slot_d16),
		T(test_free_of_a_referenced_non_compound_block_subtracts_tail_bytes_and_stamps_tails),
		T(test_clear_page_tag_ref_without_a_slot_does_nothing),
		T(test_hooked_call_restores_current_alloc_tag),
		T(test_tags_are_indexed_statics_in_link_order_then_run_time_tags),
#define TC(f) cmocka_unit_test_setup_teardown(f, setup_compressed, teardown)
		TC(test_compressed_slot_is_the_tag_index_plus_2_in_the_spare_flag_bits),
		TC(test_compressed_empty_is_index_1_and_its_free_neither_warns_nor_subtracts),
		TC(test_compressed_null_slot_free_warns_alloc_tag_was_not_set),
		TC(test_compressed_split_keeps_the_head_tag_and_tags_every_tail),
		TC(test_compressed_partial_free_keeps_the_head_tag_and_stamps_tails_empty),
		TC(test_compressed_allocation_before_page_ext_init_has_a_slot_and_no_record),
		TC(test_compressed_boot_records_no_early_pfn_and_fires_no_oracle),
		cmocka_unit_test_teardown(test_compressed_setup_refuses_more_tags_than_the_flag_bits_index,
					  teardown_tags),
	};

	return cmocka_run_group_tests_name("alloc_tag", tests, NULL, NULL);
}
