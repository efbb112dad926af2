// SPDX-License-Identifier: GPL-2.0
/*
 * alloc_tag add/sub checks with their exact WARN texts (§2.3), page slot
 * access and the allocator hooks (§2.4, §2.5).
 */
#include "test_util.h"
#include "alloc/alloc_pages.h"
#include "page_ext/page_ext.h"

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
	};

	return cmocka_run_group_tests_name("alloc_tag", tests, NULL, NULL);
}
