// SPDX-License-Identifier: GPL-2.0
/*
 * The array family (§3.1–§3.3: A1, A2, A3) and "none" (D1): RECORD into
 * early_pfns[], CLEAR, the capacity limits (D2, D6), stamping over a live tag
 * (D4), and the RECORD/CLEAR ordering (D5) driven step by step under the
 * controlled backend.
 */
#include "test_util.h"
#include "alloc/alloc_pages.h"
#include "page_ext/page_ext.h"
#include "sim/core/controlled.h"
#include "sim/core/rcu.h"
#include "sim/core/sched.h"

#define MEM_512M (512ULL << 20)

#define D6_TEXT "Early page allocations before page_ext init exceeded EARLY_ALLOC_PFN_MAX (8192)"

static const struct early_pfn_variant *const arrays[] = {
	&early_pfn_a1, &early_pfn_a2, &early_pfn_a3,
};

static bool machine_up;

static void variant_up(const struct early_pfn_variant *v)
{
	test_machine_up(MEM_512M, 4);
	machine_up = true;
	early_pfn_select(v);
}

static void variant_down(void)
{
	machine_up = false;
	test_machine_down();
}

/* A failed assertion leaves the machine up: take it down for the next test. */
static int teardown(void **state)
{
	(void)state;
	if (machine_up)
		variant_down();
	return 0;
}

static void publish_all(void)
{
	assert_true(page_ext_prepare());
	for (unsigned long nr = 0; nr < page_ext_nr_sections(); nr++)
		assert_int_equal(page_ext_init_section(nr), 0);
}

static void publish_all_and_clear(void)
{
	publish_all();
	page_ext_finish();
}

static struct early_pfn_stats stats(void)
{
	struct early_pfn_stats st;

	early_pfn_stats_read(&st);
	return st;
}

/* The first registered site whose text is @text, or NULL. */
struct site_ctx {
	const char *text;
	const struct sim_warn_site *found;
};

static void site_cb(const struct sim_warn_site *s, void *arg)
{
	struct site_ctx *c = arg;

	if (!c->found && !strcmp(s->text, c->text))
		c->found = s;
}

static const struct sim_warn_site *site_with_text(const char *text)
{
	struct site_ctx c = { text, NULL };

	sim_warn_for_each(site_cb, &c);
	return c.found;
}

static int occurrences(const char *haystack, const char *needle)
{
	int n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* ------------------------------------------------------------------ */

static void test_variants_are_registered_in_section_3_order_with_l6_the_default(void **state)
{
	static const char *const ids[] = { "none", "A1", "A2", "A3", "L1", "L2", "L3", "L4pre", "L4", "L5", "L6", "L7", "proposed" };
	struct machine_config cfg;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		assert_non_null(early_pfn_variants[i]);
		assert_string_equal(early_pfn_variants[i]->id, ids[i]);
	}
	assert_null(early_pfn_variants[ARRAY_SIZE(ids)]);
	assert_ptr_equal(early_pfn_lookup("a2"), &early_pfn_a2);
	assert_ptr_equal(early_pfn_lookup("NONE"), &early_pfn_none);
	machine_config_defaults(&cfg);
	assert_ptr_equal(cfg.variant, &early_pfn_l6);
}

static void test_every_array_variant_fills_the_whole_ops_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(arrays); i++) {
		const struct early_pfn_variant *v = arrays[i];

		assert_non_null(v->section);
		assert_true(!strncmp(v->section, "§3.", strlen("§3.")));
		assert_non_null(strstr(v->summary, "early_pfns["));
		assert_null(strchr(v->summary, '\n'));
		assert_true(strlen(v->details) > 100);
		assert_non_null(v->reset);
		assert_non_null(v->add);
		assert_non_null(v->clear);
		assert_null(v->reachable_pages);
	}
	assert_non_null(strstr(early_pfn_a1.details, "[REC]"));
	assert_non_null(strstr(early_pfn_a2.details, "[REC]"));
}

static void test_capacity_is_256_for_a1_and_8192_for_a2_a3_and_none_has_no_storage(void **state)
{
	(void)state;
	assert_int_equal(early_pfn_a1.capacity(&early_pfn_a1), 256);
	assert_int_equal(early_pfn_a2.capacity(&early_pfn_a2), 8192);
	assert_int_equal(early_pfn_a3.capacity(&early_pfn_a3), 8192);
	assert_null(early_pfn_none.capacity);
	assert_null(early_pfn_none.reachable_pages);
	assert_non_null(early_pfn_none.add);
	assert_non_null(early_pfn_none.clear);
}

static void test_early_allocation_is_recorded_and_its_null_slot_stamped_empty_by_clear(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(arrays); i++) {
		struct early_pfn_stats st;
		struct page *page;

		variant_up(arrays[i]);
		page = alloc_pages(GFP_KERNEL, 1);
		assert_non_null(page);
		assert_int_equal(slot_of(page), SLOT_MISSING);
		st = stats();
		assert_int_equal(st.pfns_recorded, 1);
		assert_int_equal(st.pfns_dropped, 0);

		publish_all_and_clear();
		assert_int_equal(slot_of(page), SLOT_EMPTY);
		st = stats();
		/* the walk's own early tables are recorded and stamped too */
		assert_true(st.pfns_recorded >= 2);
		assert_int_equal(st.clear_stamped, st.pfns_recorded);
		assert_int_equal(st.clear_overwrote, 0);
		assert_int_equal(st.pfns_stored_after_clear, 0);

		__free_pages(page, 1);
		assert_int_equal(sim_warn_count_fmt("alloc_tag was not set"), 0);
		assert_int_equal(mem_check_invariants(NULL), 0);
		variant_down();
	}
}

static void test_record_after_clear_loses_the_pfn_on_every_array_variant(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(arrays); i++) {
		struct early_pfn_stats st;
		long recorded;

		variant_up(arrays[i]);
		publish_all_and_clear();
		recorded = stats().pfns_recorded;
		alloc_tag_add_early_pfn(0x2345, GFP_KERNEL, 0);
		st = stats();
		assert_int_equal(st.pfns_after_clear, 1);
		assert_int_equal(st.pfns_recorded, recorded);
		assert_int_equal(slot_of(pfn_to_page(0x2345)), SLOT_NULL);
		variant_down();
	}
}

/*
 * §4 D4: P allocated early and freed silently; its section gets page_ext and
 * P is allocated again, tagged; then CLEAR runs.  Returns what P's tag still
 * counts after P is freed; @slot gets P's slot after CLEAR.
 */
static struct alloc_tag_counters reallocated_then_cleared(const struct early_pfn_variant *v,
							  enum slot_state *slot,
							  struct early_pfn_stats *st)
{
	struct page *page, *again;
	unsigned long pfn;

	variant_up(v);
	/* ZONE_DMA: the walk takes its tables from a higher zone */
	page = alloc_pages(GFP_DMA, 0);
	assert_non_null(page);
	assert_int_equal(page_zone(page)->idx, ZONE_DMA);
	pfn = page_to_pfn(page);
	__free_pages(page, 0);			/* silent: no slot yet */

	publish_all();
	again = alloc_hooks(mem_claim_block(pfn, 0, GFP_KERNEL, NULL));
	assert_ptr_equal(again, page);
	assert_int_equal(slot_of(again), SLOT_TAG);
	page_ext_finish();			/* CLEAR */

	*slot = slot_of(again);
	*st = stats();
	__free_pages(again, 0);
	return sum_tags_by_func("reallocated_then_cleared");
}

static void test_a1_clear_stamps_empty_over_a_live_tag_which_then_leaks_d4(void **state)
{
	struct alloc_tag_counters c;
	struct early_pfn_stats st;
	enum slot_state slot;

	(void)state;
	c = reallocated_then_cleared(&early_pfn_a1, &slot, &st);
	assert_int_equal(slot, SLOT_EMPTY);
	assert_int_equal(st.clear_overwrote, 1);
	assert_int_equal(st.clear_kept, 0);
	/* the free found EMPTY: nothing subtracted, the tag keeps one page */
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.bytes, 4096);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
	variant_down();
}

static void test_a2_and_a3_clear_keep_the_live_tag_of_a_reallocated_pfn(void **state)
{
	(void)state;
	for (size_t i = 1; i < ARRAY_SIZE(arrays); i++) {
		struct alloc_tag_counters c;
		struct early_pfn_stats st;
		enum slot_state slot;

		c = reallocated_then_cleared(arrays[i], &slot, &st);
		assert_int_equal(slot, SLOT_TAG);
		assert_int_equal(st.clear_kept, 1);
		assert_int_equal(st.clear_overwrote, 0);
		assert_int_equal(c.calls, 0);
		assert_int_equal(c.bytes, 0);
		assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
		variant_down();
	}
}

static void test_a1_drops_the_257th_pfn_silently_d2(void **state)
{
	struct early_pfn_stats st;

	(void)state;
	variant_up(&early_pfn_a1);
	for (unsigned long i = 0; i < 256; i++)
		alloc_tag_add_early_pfn(1000 + i, GFP_KERNEL, 0);
	st = stats();
	assert_int_equal(st.pfns_recorded, 256);
	assert_int_equal(st.pfns_dropped, 0);

	alloc_tag_add_early_pfn(5000, GFP_KERNEL, 0);
	st = stats();
	assert_int_equal(st.pfns_recorded, 256);
	assert_int_equal(st.pfns_dropped, 1);
	assert_int_equal(sim_warn_total(SIM_REPORT_PR_WARN), 0);
	assert_null(strstr(sim_log_buffer(), "EARLY_ALLOC_PFN_MAX"));
	variant_down();
}

static void test_a2_and_a3_warn_once_with_the_exact_text_past_8192_pfns_d6(void **state)
{
	(void)state;
	for (size_t i = 1; i < ARRAY_SIZE(arrays); i++) {
		const struct sim_warn_site *site;
		struct early_pfn_stats st;

		variant_up(arrays[i]);
		for (unsigned long pfn = 0; pfn < 8192; pfn++)
			alloc_tag_add_early_pfn(1000 + pfn, GFP_KERNEL, 0);
		st = stats();
		assert_int_equal(st.pfns_recorded, 8192);
		assert_int_equal(sim_warn_total(SIM_REPORT_PR_WARN), 0);

		alloc_tag_add_early_pfn(20000, GFP_KERNEL, 0);
		alloc_tag_add_early_pfn(20001, GFP_KERNEL, 0);
		st = stats();
		assert_int_equal(st.pfns_recorded, 8192);
		assert_int_equal(st.pfns_dropped, 2);
		site = site_with_text(D6_TEXT);
		assert_non_null(site);
		assert_int_equal(site->kind, SIM_REPORT_PR_WARN);
		assert_int_equal(site->count, 2);		/* counted twice ... */
		assert_int_equal(occurrences(sim_log_buffer(), D6_TEXT), 1);	/* printed once */
		variant_down();
	}
}

static void test_a3_record_and_clear_return_at_once_in_compressed_mode_a2_does_not(void **state)
{
	(void)state;
	variant_up(&early_pfn_a3);
	mem_profiling.compressed = true;
	alloc_tag_add_early_pfn(0x2345, GFP_KERNEL, 0);
	clear_early_alloc_pfn_tag_refs();
	assert_int_equal(stats().pfns_recorded, 0);
	assert_int_equal(stats().pfns_after_clear, 0);
	mem_profiling.compressed = false;
	/* CLEAR returned before retiring RECORD: it still records */
	alloc_tag_add_early_pfn(0x2346, GFP_KERNEL, 0);
	assert_int_equal(stats().pfns_recorded, 1);
	variant_down();

	variant_up(&early_pfn_a2);
	mem_profiling.compressed = true;
	alloc_tag_add_early_pfn(0x2345, GFP_KERNEL, 0);
	assert_int_equal(stats().pfns_recorded, 1);
	mem_profiling.compressed = false;
	variant_down();
}

static void test_none_records_nothing_and_the_early_page_warns_when_freed_d1(void **state)
{
	struct early_pfn_stats st;
	struct page *page;

	(void)state;
	variant_up(&early_pfn_none);
	page = alloc_pages(GFP_KERNEL, 0);
	assert_non_null(page);
	publish_all_and_clear();
	st = stats();
	assert_int_equal(st.pfns_recorded, 0);
	assert_true(st.pfns_untracked >= 1);
	assert_int_equal(st.pfns_untracked, st.slot_missing_allocs);
	assert_int_equal(st.clear_runs, 1);
	assert_int_equal(st.clear_stamped, 0);
	assert_int_equal(slot_of(page), SLOT_NULL);

	__free_pages(page, 0);
	assert_int_equal(sim_warn_count_fmt("alloc_tag was not set"), 1);
	assert_non_null(strstr(sim_log_buffer(), "alloc_tag was not set"));
	variant_down();
}

/* ------------------------------------------------------------------ */
/* D5 under the controlled backend: CPU 1 records, CPU 0 clears */

#define D5_PFN 0x2345UL

/*
 * CPU 1 runs first, up to the point named @switch_at inside RECORD (after
 * the pointer or flag was read); then CPU 0 runs as long as it can; then
 * whoever is runnable.
 */
struct d5_script {
	const char *switch_at;
	bool switched;
	bool cpu0_blocked;		/* CPU 0 had to wait (for CPU 1) */
};

static int d5_choose(void *priv, const struct sim_ctl_decision *d)
{
	struct d5_script *s = priv;

	if (d->step == 0)
		return 1;
	if (!s->switched && d->prev == 1 && d->pt && !strcmp(d->pt->what, s->switch_at)) {
		s->switched = true;
		return 0;
	}
	/* CPU 0 stopped at a point, not finished (a finishing CPU has none) */
	if (s->switched && d->prev == 0 && d->pt && !d->prev_enabled)
		s->cpu0_blocked = true;
	if (d->prev_enabled)
		return d->prev;
	return sim_ctl_next_enabled(d, d->prev + 1);
}

static void d5_cpu(void *arg)
{
	if (smp_processor_id() == 1)
		alloc_tag_add_early_pfn(D5_PFN, GFP_KERNEL, 0);
	else
		clear_early_alloc_pfn_tag_refs();
}

/* Page_ext everywhere, then RECORD on CPU 1 racing CLEAR on CPU 0. */
static struct early_pfn_stats record_against_clear(const struct early_pfn_variant *v,
						   struct d5_script *s)
{
	struct sim_ctl_hooks hooks = { .choose = d5_choose, .priv = s };

	variant_up(v);
	publish_all();			/* not page_ext_finish(): CLEAR is CPU 0's */
	assert_int_equal(sim_ctl_begin(2, &hooks), 0);
	for (int cpu = 0; cpu < 2; cpu++)
		assert_int_equal(sim_cpu_start(cpu, "t", cpu, d5_cpu, NULL), 0);
	sim_cpu_join_all();
	sim_ctl_end();
	assert_true(s->switched);
	return stats();
}

static void test_a2_record_that_loaded_the_pointer_before_clear_stores_after_it_d5(void **state)
{
	struct d5_script s = { .switch_at = "atomic_read" };
	struct early_pfn_stats st;

	(void)state;
	st = record_against_clear(&early_pfn_a2, &s);
	assert_false(s.cpu0_blocked);		/* nothing made CLEAR wait */
	assert_int_equal(st.pfns_after_clear, 0);
	assert_int_equal(st.pfns_stored_after_clear, 1);
	assert_int_equal(slot_of(pfn_to_page(D5_PFN)), SLOT_NULL);	/* never stamped */
	assert_int_equal(st.clear_stamped, st.pfns_recorded - 1);
	variant_down();
}

static void test_a3_synchronize_rcu_makes_clear_wait_for_a_record_that_loaded_the_pointer(void **state)
{
	struct d5_script s = { .switch_at = "atomic_read" };
	struct early_pfn_stats st;

	(void)state;
	st = record_against_clear(&early_pfn_a3, &s);
	assert_true(s.cpu0_blocked);		/* CLEAR waited in synchronize_rcu() */
	assert_int_equal(st.pfns_after_clear, 0);
	assert_int_equal(st.pfns_stored_after_clear, 0);
	assert_int_equal(slot_of(pfn_to_page(D5_PFN)), SLOT_EMPTY);
	assert_int_equal(st.clear_stamped, st.pfns_recorded);
	variant_down();
}

static void test_a1_record_that_tested_the_state_before_clear_appends_after_the_walk(void **state)
{
	/* the flag test comes before spin_lock_irqsave(): switch there */
	struct d5_script s = { .switch_at = "spin_lock" };
	struct early_pfn_stats st;

	(void)state;
	st = record_against_clear(&early_pfn_a1, &s);
	assert_false(s.cpu0_blocked);
	assert_int_equal(st.pfns_stored_after_clear, 1);
	assert_int_equal(slot_of(pfn_to_page(D5_PFN)), SLOT_NULL);
	variant_down();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_variants_are_registered_in_section_3_order_with_l6_the_default, teardown),
		cmocka_unit_test_teardown(test_every_array_variant_fills_the_whole_ops_table, teardown),
		cmocka_unit_test_teardown(test_capacity_is_256_for_a1_and_8192_for_a2_a3_and_none_has_no_storage, teardown),
		cmocka_unit_test_teardown(test_early_allocation_is_recorded_and_its_null_slot_stamped_empty_by_clear, teardown),
		cmocka_unit_test_teardown(test_record_after_clear_loses_the_pfn_on_every_array_variant, teardown),
		cmocka_unit_test_teardown(test_a1_clear_stamps_empty_over_a_live_tag_which_then_leaks_d4, teardown),
		cmocka_unit_test_teardown(test_a2_and_a3_clear_keep_the_live_tag_of_a_reallocated_pfn, teardown),
		cmocka_unit_test_teardown(test_a1_drops_the_257th_pfn_silently_d2, teardown),
		cmocka_unit_test_teardown(test_a2_and_a3_warn_once_with_the_exact_text_past_8192_pfns_d6, teardown),
		cmocka_unit_test_teardown(test_a3_record_and_clear_return_at_once_in_compressed_mode_a2_does_not, teardown),
		cmocka_unit_test_teardown(test_none_records_nothing_and_the_early_page_warns_when_freed_d1, teardown),
		cmocka_unit_test_teardown(test_a2_record_that_loaded_the_pointer_before_clear_stores_after_it_d5, teardown),
		cmocka_unit_test_teardown(test_a3_synchronize_rcu_makes_clear_wait_for_a_record_that_loaded_the_pointer, teardown),
		cmocka_unit_test_teardown(test_a1_record_that_tested_the_state_before_clear_appends_after_the_walk, teardown),
	};

	return cmocka_run_group_tests_name("early_pfn_array", tests, NULL, NULL);
}
