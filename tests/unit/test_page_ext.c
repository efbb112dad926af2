// SPDX-License-Identifier: GPL-2.0
/*
 * page_ext (§2.6): per-section tables, progressive and flat publication,
 * init-callback order, the walk's own allocations (tables, kmemleak slabs)
 * and the early PFNs they leave behind (§1.5).
 */
#include "test_util.h"
#include "alloc/alloc_pages.h"
#include "page_ext/page_ext.h"
#include "page_ext/kmemleak.h"
#include "sim/core/rcu.h"
#include "sim/core/sched.h"
#include "sim/core/trace.h"

#define MEM_512M	(512ULL << 20)	/* 4 sections, DMA + DMA32 */
#define TABLE_ENTRY	(sizeof(struct page_ext) + sizeof(union codetag_ref))
#define TABLE_BYTES	(TABLE_ENTRY * PAGES_PER_SECTION)

static int setup(void **state)
{
	(void)state;
	test_machine_up(MEM_512M, 2);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mem_profiling.enabled = true;
	test_machine_down();
	return 0;
}

/* test_machine_up() with the page_ext knobs of struct machine_config. */
static void machine_up_with(unsigned long long mem, enum page_ext_mode publish,
			    bool kmemleak, void (*published)(unsigned long nr))
{
	struct machine_config cfg;
	char err[256];

	machine_config_defaults(&cfg);
	cfg.mem_bytes = mem;
	cfg.cpus = 2;
	cfg.kmemleak = kmemleak;
	cfg.publish = publish;
	cfg.section_published = published;
	sim_log_set_stream(NULL);
	sim_log_set_echo(true);
	assert_int_equal(machine_setup(&cfg, err, sizeof(err)), 0);
}

static struct page *section_page(unsigned long nr, unsigned long index)
{
	return pfn_to_page(section_nr_to_pfn(nr) + index);
}

static bool lookup_succeeds(struct page *page)
{
	struct page_ext *pe;

	rcu_read_lock();
	pe = lookup_page_ext(page);
	rcu_read_unlock();
	return pe != NULL;
}

static unsigned long total_free_pages(void)
{
	struct mem_zone_stats zs[MAX_NR_ZONES];
	unsigned long sum = 0;
	int n = mem_zone_stats(zs, MAX_NR_ZONES);

	for (int i = 0; i < n; i++)
		sum += zs[i].free_pages;
	return sum;
}

/* The first page of section @nr's table (its first entry is its base). */
static struct page *table_head(unsigned long nr)
{
	struct page_ext *base;

	rcu_read_lock();
	base = lookup_page_ext(section_page(nr, 0));
	rcu_read_unlock();
	assert_non_null(base);
	return virt_to_page(base);
}

/* ------------------------------------------------------------------ */
/* Lookup                                                              */

static void test_lookup_fails_before_the_walk_for_every_section(void **state)
{
	(void)state;
	assert_int_equal(page_ext_nr_sections(), 4);
	for (unsigned long nr = 0; nr < page_ext_nr_sections(); nr++) {
		assert_false(lookup_succeeds(section_page(nr, 0)));
		assert_false(page_ext_section_published(nr));
	}
	assert_null(page_ext_get(section_page(1, 5)));
	/* A failed get has already left its reader. */
	assert_int_equal(current->rcu_read_depth, 0);
}

static void test_progressive_lookup_succeeds_only_in_the_initialised_section(void **state)
{
	struct page_ext *pe0, *pe1, *pe_last;

	(void)state;
	assert_true(page_ext_prepare());
	assert_int_equal(page_ext_init_section(2), 0);

	assert_true(page_ext_section_published(2));
	assert_false(page_ext_section_published(1));
	assert_false(page_ext_section_published(3));
	assert_false(lookup_succeeds(section_page(0, 300)));
	assert_false(lookup_succeeds(section_page(1, PAGES_PER_SECTION - 1)));
	assert_false(lookup_succeeds(section_page(3, 0)));
	assert_null(page_ext_get(section_page(3, 0)));
	assert_int_equal(current->rcu_read_depth, 0);

	rcu_read_lock();
	pe0 = lookup_page_ext(section_page(2, 0));
	pe1 = lookup_page_ext(section_page(2, 1));
	pe_last = lookup_page_ext(section_page(2, PAGES_PER_SECTION - 1));
	rcu_read_unlock();
	assert_non_null(pe0);
	/* One entry per page, entry_size apart. */
	assert_int_equal((char *)pe1 - (char *)pe0, TABLE_ENTRY);
	assert_int_equal((char *)pe_last - (char *)pe0,
			 TABLE_ENTRY * (PAGES_PER_SECTION - 1));
}

static void test_page_ext_get_stays_in_the_rcu_reader_until_page_ext_put(void **state)
{
	struct page_ext *pe;

	(void)state;
	assert_true(page_ext_prepare());
	assert_int_equal(page_ext_init_section(1), 0);

	assert_int_equal(current->rcu_read_depth, 0);
	pe = page_ext_get(section_page(1, 77));
	assert_non_null(pe);
	assert_int_equal(current->rcu_read_depth, 1);
	assert_true(rcu_read_lock_held());
	page_ext_put(pe);
	assert_int_equal(current->rcu_read_depth, 0);
	assert_false(rcu_read_lock_held());

	/* put(NULL) is a no-op: it must not leave a reader it never entered. */
	page_ext_put(NULL);
	assert_int_equal(current->rcu_read_depth, 0);
}

/* Issue 6's budget: struct page plus the tagging page_ext entry, 32 bytes. */
static void test_a_page_and_its_tagging_entry_fit_in_32_bytes(void **state)
{
	struct page_ext_stats st;

	(void)state;
	assert_true(page_ext_prepare());
	page_ext_get_stats(&st);
	assert_true(sizeof(struct page) + st.entry_size <= 32);
}

static void test_tagging_data_sits_after_the_flags_word(void **state)
{
	struct page_ext_stats st;
	struct page_ext *pe;

	(void)state;
	assert_true(page_ext_prepare());
	page_ext_get_stats(&st);
	assert_int_equal(st.entry_size, 16);
	assert_int_equal(st.entry_size, TABLE_ENTRY);
	assert_int_equal(page_alloc_tagging_ops.offset, sizeof(struct page_ext));

	assert_int_equal(page_ext_init_section(1), 0);
	pe = page_ext_get(section_page(1, 9));
	assert_non_null(pe);
	assert_ptr_equal(page_ext_data(pe, &page_alloc_tagging_ops), (char *)pe + 8);
	page_ext_put(pe);
}

/* ------------------------------------------------------------------ */
/* Tables                                                              */

static void test_a_section_table_costs_entry_size_times_32768_bytes_of_buddy_memory(void **state)
{
	struct page *warmup;
	unsigned long before, after;

	(void)state;
	/* Let the first early PFN bring in the tracking page beforehand. */
	warmup = alloc_page(GFP_KERNEL);
	assert_non_null(warmup);
	__free_page(warmup);

	assert_true(page_ext_prepare());
	before = total_free_pages();
	assert_int_equal(page_ext_init_section(1), 0);
	after = total_free_pages();
	assert_int_equal(TABLE_BYTES, 16 * 32768);
	assert_int_equal(before - after, TABLE_BYTES / PAGE_SIZE);

	before = after;
	assert_int_equal(page_ext_init_section(2), 0);
	assert_int_equal(before - total_free_pages(), TABLE_BYTES / PAGE_SIZE);
	/* A section already done costs nothing more. */
	before = total_free_pages();
	assert_int_equal(page_ext_init_section(2), 0);
	assert_int_equal(total_free_pages(), before);
	assert_int_equal(mem_check_invariants(NULL), 0);
}

static void test_a_section_table_is_zero_filled_even_from_dirty_pages(void **state)
{
	struct page *dirty;
	unsigned char *table;
	size_t nonzero = 0;

	(void)state;
	/* Dirty an order-7 block (the table's size) and give it back. */
	dirty = alloc_pages(GFP_KERNEL | __GFP_NO_CODETAG, 7);
	assert_non_null(dirty);
	memset(page_address(dirty), 0xa5, TABLE_BYTES);
	__free_pages(dirty, 7);

	assert_true(page_ext_prepare());
	assert_int_equal(page_ext_init_section(1), 0);
	table = page_address(table_head(1));
	/* LIFO free lists: the table reuses the block just dirtied. */
	assert_ptr_equal(table, page_address(dirty));
	for (size_t i = 0; i < TABLE_BYTES; i++)
		nonzero += table[i] != 0;
	assert_int_equal(nonzero, 0);
}

static void test_walk_logs_allocated_bytes_of_page_ext_with_the_exact_total(void **state)
{
	struct page_ext_stats st;
	char line[96];

	(void)state;
	page_ext_init();
	page_ext_get_stats(&st);
	assert_true(st.done);
	assert_int_equal(st.sections_published, 4);
	assert_int_equal(st.sections_skipped, 0);
	assert_int_equal(st.total_usage, 4 * TABLE_BYTES);
	snprintf(line, sizeof(line), "] allocated %ld bytes of page_ext\n",
		 (long)(4 * TABLE_BYTES));
	assert_non_null(strstr(sim_log_buffer(), line));
	assert_non_null(strstr(sim_log_buffer(), "] allocated 2097152 bytes of page_ext\n"));
	for (unsigned long nr = 0; nr < 4; nr++)
		assert_true(lookup_succeeds(section_page(nr, PAGES_PER_SECTION / 2)));
}

static void test_sections_beyond_memory_are_skipped(void **state)
{
	struct page_ext_stats st;

	(void)state;
	assert_true(page_ext_prepare());
	assert_int_equal(page_ext_init_section(page_ext_nr_sections()), 0);
	assert_int_equal(page_ext_init_section(page_ext_nr_sections() + 7), 0);
	page_ext_get_stats(&st);
	assert_int_equal(st.sections_skipped, 2);
	assert_int_equal(st.sections_published, 0);
}

/* ------------------------------------------------------------------ */
/* Flat publication                                                    */

static unsigned long published_calls[64];
static unsigned long published_order[64];
static unsigned long nr_published_calls;
static bool published_visible_in_callback = true;

static void count_published(unsigned long nr)
{
	if (nr < ARRAY_SIZE(published_calls))
		published_calls[nr]++;
	if (nr_published_calls < ARRAY_SIZE(published_order))
		published_order[nr_published_calls] = nr;
	nr_published_calls++;
	if (!page_ext_section_published(nr) || !lookup_succeeds(section_page(nr, 0)))
		published_visible_in_callback = false;
}

static void reset_published(void)
{
	memset(published_calls, 0, sizeof(published_calls));
	memset(published_order, 0, sizeof(published_order));
	nr_published_calls = 0;
	published_visible_in_callback = true;
}

static void test_flat_lookups_all_fail_until_finish_then_all_succeed(void **state)
{
	unsigned long nr_sections;

	(void)state;
	reset_published();
	machine_up_with(MEM_512M, PAGE_EXT_FLAT, false, count_published);
	nr_sections = page_ext_nr_sections();

	assert_true(page_ext_prepare());
	for (unsigned long nr = 0; nr < nr_sections; nr++) {
		assert_int_equal(page_ext_init_section(nr), 0);
		for (unsigned long k = 0; k <= nr; k++) {
			assert_false(lookup_succeeds(section_page(k, 0)));
			assert_false(page_ext_section_published(k));
		}
	}
	assert_null(page_ext_get(section_page(2, 1)));
	assert_int_equal(current->rcu_read_depth, 0);
	/* Flat: nothing is announced during the walk. */
	assert_int_equal(nr_published_calls, 0);

	page_ext_finish();
	for (unsigned long nr = 0; nr < nr_sections; nr++) {
		assert_true(lookup_succeeds(section_page(nr, 0)));
		assert_true(lookup_succeeds(section_page(nr, PAGES_PER_SECTION - 1)));
		assert_true(page_ext_section_published(nr));
		assert_int_equal(published_calls[nr], 1);
	}
	assert_int_equal(nr_published_calls, nr_sections);
	assert_true(published_visible_in_callback);
}

static void test_progressive_section_published_fires_once_per_section_as_it_goes(void **state)
{
	unsigned long nr_sections;

	(void)state;
	reset_published();
	machine_up_with(MEM_512M, PAGE_EXT_PROGRESSIVE, false, count_published);
	nr_sections = page_ext_nr_sections();

	assert_true(page_ext_prepare());
	for (unsigned long nr = 0; nr < nr_sections; nr++) {
		assert_int_equal(page_ext_init_section(nr), 0);
		assert_int_equal(nr_published_calls, nr + 1);
		assert_int_equal(published_order[nr], nr);
	}
	/* Re-initialising a section publishes nothing new. */
	assert_int_equal(page_ext_init_section(1), 0);
	page_ext_finish();
	assert_int_equal(nr_published_calls, nr_sections);
	for (unsigned long nr = 0; nr < nr_sections; nr++)
		assert_int_equal(published_calls[nr], 1);
	assert_true(published_visible_in_callback);
}

static void test_progressive_page_ext_init_announces_every_section_once(void **state)
{
	(void)state;
	reset_published();
	machine_up_with(MEM_512M, PAGE_EXT_PROGRESSIVE, false, count_published);
	page_ext_init();
	assert_int_equal(nr_published_calls, 4);
	for (unsigned long nr = 0; nr < 4; nr++)
		assert_int_equal(published_calls[nr], 1);
	assert_true(published_visible_in_callback);
}

/* bootsim markers (sim/core/trace.h): what a trace recording writes. */
static char marks[16][48];
static int nr_marks;

static void record_mark(void *priv, int cpu, enum sim_mark mark, unsigned long arg)
{
	(void)priv;
	(void)cpu;
	if (nr_marks < 16)
		sim_mark_format(marks[nr_marks], sizeof(marks[0]), mark, arg);
	nr_marks++;
}

static const struct sim_tracer mark_tracer = { .mark = record_mark };

static void init_with_marks(enum page_ext_mode publish, bool profiling)
{
	nr_marks = 0;
	machine_up_with(MEM_512M, publish, false, NULL);
	mem_profiling.enabled = profiling;	/* false: no page_ext client needs it */
	sim_set_tracer(&mark_tracer);
	page_ext_init();
	sim_set_tracer(NULL);
}

static void test_page_ext_init_marks_start_each_section_clear_then_done(void **state)
{
	static const char *const want[] = {
		"page_ext_init start",
		"page_ext section=0 published", "page_ext section=1 published",
		"page_ext section=2 published", "page_ext section=3 published",
		"clear_early_alloc_pfn_tag_refs start", "clear_early_alloc_pfn_tag_refs done",
		"page_ext_init done",
	};

	(void)state;
	init_with_marks(PAGE_EXT_PROGRESSIVE, true);
	assert_int_equal(nr_marks, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(marks[i], want[i]);
}

static void test_flat_page_ext_init_marks_every_section_after_the_walk(void **state)
{
	(void)state;
	init_with_marks(PAGE_EXT_FLAT, true);
	assert_int_equal(nr_marks, 8);
	assert_string_equal(marks[0], "page_ext_init start");
	for (int nr = 0; nr < 4; nr++) {
		char want[48];

		snprintf(want, sizeof(want), "page_ext section=%d published", nr);
		assert_string_equal(marks[1 + nr], want);
	}
	assert_string_equal(marks[5], "clear_early_alloc_pfn_tag_refs start");
	assert_string_equal(marks[7], "page_ext_init done");
}

static void test_page_ext_init_without_a_client_marks_only_start_and_done(void **state)
{
	(void)state;
	init_with_marks(PAGE_EXT_PROGRESSIVE, false);
	assert_int_equal(nr_marks, 2);
	assert_string_equal(marks[0], "page_ext_init start");
	assert_string_equal(marks[1], "page_ext_init done");
}

/* ------------------------------------------------------------------ */
/* Clients and init callbacks                                          */

#define MAX_EVENTS 8

static const char *events[MAX_EVENTS];
static int nr_events;
static bool init_saw_whole_walk = true;
static bool init_saw_log_line = true;
static long clear_runs_at_init[MAX_EVENTS];
static bool need_result_a = true, need_result_b;

static void note_event(const char *what)
{
	if (nr_events < MAX_EVENTS) {
		struct early_pfn_stats st;

		early_pfn_stats_read(&st);
		clear_runs_at_init[nr_events] = st.clear_runs;
		events[nr_events] = what;
	}
	nr_events++;
	for (unsigned long nr = 0; nr < page_ext_nr_sections(); nr++)
		if (!page_ext_section_published(nr))
			init_saw_whole_walk = false;
	if (!strstr(sim_log_buffer(), "bytes of page_ext"))
		init_saw_log_line = false;
}

static bool need_a(void)
{
	return need_result_a;
}

static bool need_b(void)
{
	return need_result_b;
}

static void init_a(void)
{
	note_event("a");
}

static void init_b(void)
{
	note_event("b");
}

static struct page_ext_operations client_a = {
	.name = "test_a", .size = 8, .need = need_a, .init = init_a,
};
static struct page_ext_operations client_b = {
	.name = "test_b", .size = 32, .need = need_b, .init = init_b,
};

static void reset_events(bool need_a_val, bool need_b_val)
{
	memset(events, 0, sizeof(events));
	memset(clear_runs_at_init, 0, sizeof(clear_runs_at_init));
	nr_events = 0;
	init_saw_whole_walk = true;
	init_saw_log_line = true;
	need_result_a = need_a_val;
	need_result_b = need_b_val;
	client_a.offset = 0;
	client_b.offset = 0;
}

static void test_init_callbacks_run_after_the_walk_in_registration_order(void **state)
{
	struct page_ext_stats st;

	(void)state;
	reset_events(true, false);
	assert_int_equal(page_ext_register(&client_a), 0);
	assert_int_equal(page_ext_register(&client_b), 0);
	page_ext_init();

	/* page_alloc_tagging (registered by the machine) first, then a, then b. */
	assert_int_equal(nr_events, 2);
	assert_string_equal(events[0], "a");
	assert_string_equal(events[1], "b");
	assert_int_equal(clear_runs_at_init[0], 1);
	assert_int_equal(clear_runs_at_init[1], 1);
	assert_true(init_saw_whole_walk);
	assert_true(init_saw_log_line);

	/* Only needed clients get space: flags, tagging's ref, then a's 8 bytes. */
	page_ext_get_stats(&st);
	assert_int_equal(st.entry_size, 24);
	assert_int_equal(page_alloc_tagging_ops.offset, 8);
	assert_int_equal(client_a.offset, 16);
	assert_int_equal(client_b.offset, 0);
	assert_int_equal(st.total_usage, 4L * 24 * PAGES_PER_SECTION);
	assert_true(st.done);
}

static void test_init_callback_runs_for_a_client_whose_need_returned_false(void **state)
{
	(void)state;
	reset_events(false, false);
	assert_int_equal(page_ext_register(&client_b), 0);
	page_ext_init();	/* tagging needs page_ext; b does not */
	assert_int_equal(nr_events, 1);
	assert_string_equal(events[0], "b");
	assert_true(init_saw_whole_walk);
}

static void test_no_walk_and_no_init_callback_when_no_client_needs_page_ext(void **state)
{
	struct page_ext_stats st;
	struct early_pfn_stats est;
	unsigned long before;

	(void)state;
	reset_events(false, false);
	assert_int_equal(page_ext_register(&client_a), 0);
	assert_int_equal(page_ext_register(&client_b), 0);
	mem_profiling.enabled = false;	/* tagging's need() is false too */
	before = total_free_pages();
	page_ext_init();
	mem_profiling.enabled = true;

	assert_int_equal(nr_events, 0);
	early_pfn_stats_read(&est);
	assert_int_equal(est.clear_runs, 0);
	page_ext_get_stats(&st);
	assert_false(st.done);
	assert_int_equal(st.sections_published, 0);
	assert_int_equal(st.total_usage, 0);
	assert_int_equal(st.entry_size, 0);
	assert_int_equal(total_free_pages(), before);
	assert_null(strstr(sim_log_buffer(), "bytes of page_ext"));
	for (unsigned long nr = 0; nr < page_ext_nr_sections(); nr++)
		assert_false(lookup_succeeds(section_page(nr, 0)));
}

static void test_compressed_mode_needs_no_page_ext_so_no_walk_and_no_clear(void **state)
{
	struct machine_config cfg;
	struct page_ext_stats st;
	struct early_pfn_stats est;
	struct page *early;
	unsigned long before;
	char err[256];

	(void)state;
	machine_config_defaults(&cfg);
	cfg.mem_bytes = MEM_512M;
	cfg.cpus = 2;
	cfg.kmemleak = true;
	cfg.compressed = true;
	sim_log_set_stream(NULL);
	sim_log_set_echo(true);
	assert_int_equal(machine_setup(&cfg, err, sizeof(err)), 0);

	/* Tagging's need() is false in compressed mode (§2.6). */
	assert_false(page_alloc_tagging_ops.need());
	early = alloc_pages(GFP_KERNEL, 0);
	assert_int_equal(slot_of(early), SLOT_TAG);	/* the slot is in page->flags */
	before = total_free_pages();
	page_ext_init();

	early_pfn_stats_read(&est);
	assert_int_equal(est.clear_runs, 0);
	assert_int_equal(est.slot_missing_allocs, 0);
	assert_int_equal(est.pfns_recorded, 0);
	page_ext_get_stats(&st);
	assert_false(st.done);
	assert_int_equal(st.sections_published, 0);
	assert_int_equal(st.entry_size, 0);
	assert_int_equal(st.kmemleak_slab_pages, 0);
	assert_int_equal(total_free_pages(), before);	/* no table, no slab page */
	assert_null(strstr(sim_log_buffer(), "bytes of page_ext"));
	for (unsigned long nr = 0; nr < page_ext_nr_sections(); nr++)
		assert_false(lookup_succeeds(section_page(nr, 0)));
	assert_int_equal(slot_of(early), SLOT_TAG);
	__free_pages(early, 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
}

static void test_prepare_reports_whether_any_client_needs_page_ext(void **state)
{
	(void)state;
	mem_profiling.enabled = false;
	assert_false(page_ext_prepare());
	mem_profiling.enabled = true;
	assert_true(page_ext_prepare());
}

static void test_register_refuses_a_ninth_client(void **state)
{
	static struct page_ext_operations extra[8];
	int ok = 0;

	(void)state;
	/* The machine registered page_alloc_tagging already. */
	for (int i = 0; i < 8; i++)
		ok += page_ext_register(&extra[i]) == 0;
	assert_int_equal(ok, 7);
}

/* ------------------------------------------------------------------ */
/* The walk's own allocations                                          */

static void kmemleak_walk(unsigned long long mem, unsigned long expect_sections)
{
	struct page_ext_stats st;
	unsigned long before, n;

	machine_up_with(mem, PAGE_EXT_PROGRESSIVE, true, NULL);
	n = page_ext_nr_sections();
	assert_int_equal(n, expect_sections);
	before = total_free_pages();
	page_ext_init();

	page_ext_get_stats(&st);
	assert_true(st.done);
	assert_int_equal(st.sections_published, n);
	assert_int_equal(st.kmemleak_slab_pages, DIV_ROUND_UP(n, KMEMLEAK_OBJECTS_PER_SLAB));
	/* Tables plus slab pages stay allocated; tracking pages went back. */
	assert_int_equal(before - total_free_pages(),
			 n * (TABLE_BYTES / PAGE_SIZE) + st.kmemleak_slab_pages);
	assert_int_equal(mem_check_invariants(NULL), 0);
}

static void test_kmemleak_walk_of_11_sections_takes_one_slab_page(void **state)
{
	(void)state;
	kmemleak_walk(11 * (128ULL << 20), 11);
}

static void test_kmemleak_walk_of_12_sections_takes_two_slab_pages(void **state)
{
	(void)state;
	kmemleak_walk(12 * (128ULL << 20), 12);
}

static void test_kmemleak_walk_of_4_sections_takes_one_slab_page(void **state)
{
	(void)state;
	kmemleak_walk(MEM_512M, 4);
}

static void test_without_kmemleak_the_walk_takes_no_slab_page(void **state)
{
	struct page_ext_stats st;

	(void)state;
	page_ext_init();
	page_ext_get_stats(&st);
	assert_int_equal(st.kmemleak_slab_pages, 0);
}

static void test_walk_tables_are_early_allocations_stamped_empty_by_clear(void **state)
{
	enum slot_state before[4];
	struct early_pfn_stats st0, st;
	long expect_stamped = 0, expect_tagged = 0;
	struct alloc_tag *ttable;
	struct alloc_tag_counters c;
	struct page *probe;
	unsigned long home;

	(void)state;
	/*
	 * The section the tables come from: where a block of their size and
	 * gfp goes (a probe, kept out of RECORD by the recursion marker, and
	 * given back).  Publish it first: its own table is early, the later
	 * ones land in a published section and get a tag.
	 */
	probe = alloc_pages(GFP_KERNEL | __GFP_NO_CODETAG, get_order(TABLE_BYTES));
	assert_non_null(probe);
	home = pfn_to_section_nr(page_to_pfn(probe));
	__free_pages(probe, get_order(TABLE_BYTES));
	early_pfn_stats_read(&st0);
	assert_true(page_ext_prepare());
	for (unsigned long i = 0; i < 4; i++)
		assert_int_equal(page_ext_init_section((home + i) % 4), 0);

	early_pfn_stats_read(&st);
	assert_true(st.slot_missing_allocs > st0.slot_missing_allocs);
	assert_true(st.pfns_recorded > st0.pfns_recorded);

	/* A table head still NULL now had no slot when it was allocated. */
	for (unsigned long nr = 0; nr < 4; nr++) {
		assert_int_equal(pfn_to_section_nr(page_to_pfn(table_head(nr))), home);
		before[nr] = slot_of(table_head(nr));
		assert_int_equal(before[nr], nr == home ? SLOT_NULL : SLOT_TAG);
		expect_stamped += before[nr] == SLOT_NULL;
		expect_tagged += before[nr] == SLOT_TAG;
	}
	assert_int_equal(expect_stamped, 1);
	assert_int_equal(expect_tagged, 3);

	page_ext_finish();
	early_pfn_stats_read(&st);
	assert_int_equal(st.clear_runs, 1);
	assert_int_equal(st.clear_stamped, expect_stamped);
	assert_int_equal(st.pfns_recorded, st.clear_stamped + st.clear_kept + st.clear_no_slot);
	for (unsigned long nr = 0; nr < 4; nr++)
		assert_int_equal(slot_of(table_head(nr)),
				 before[nr] == SLOT_NULL ? SLOT_EMPTY : SLOT_TAG);

	/* The table allocation site is marked inaccurate; tagged tables count. */
	ttable = find_tag_by_func("alloc_page_ext");
	assert_non_null(ttable);
	assert_true(alloc_tag_is_inaccurate(ttable));
	c = alloc_tag_read(ttable);
	assert_int_equal(c.bytes, expect_tagged * (long)TABLE_BYTES);
	/* split_page() gives each tail of a tagged head one call (§2.5). */
	assert_int_equal(c.calls, expect_tagged * (long)(TABLE_BYTES / PAGE_SIZE));
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
}

static void test_page_ext_init_on_a_fresh_machine_records_early_pfns(void **state)
{
	struct early_pfn_stats st;
	long empty_heads = 0;

	(void)state;
	page_ext_init();
	early_pfn_stats_read(&st);
	assert_true(st.slot_missing_allocs > 0);
	assert_int_equal(st.clear_runs, 1);
	for (unsigned long nr = 0; nr < 4; nr++)
		empty_heads += slot_of(table_head(nr)) == SLOT_EMPTY;
	assert_int_equal(st.clear_stamped, empty_heads);
	assert_int_equal(st.clear_no_slot, 0);
	assert_int_equal(st.tracking_pages_freed_clear, st.tracking_pages_published);
	assert_int_equal(mem_check_invariants(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lookup_fails_before_the_walk_for_every_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progressive_lookup_succeeds_only_in_the_initialised_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_ext_get_stays_in_the_rcu_reader_until_page_ext_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_page_and_its_tagging_entry_fit_in_32_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tagging_data_sits_after_the_flags_word, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_section_table_costs_entry_size_times_32768_bytes_of_buddy_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_section_table_is_zero_filled_even_from_dirty_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_logs_allocated_bytes_of_page_ext_with_the_exact_total, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sections_beyond_memory_are_skipped, setup, teardown),
		cmocka_unit_test_teardown(test_flat_lookups_all_fail_until_finish_then_all_succeed, teardown),
		cmocka_unit_test_teardown(test_progressive_section_published_fires_once_per_section_as_it_goes, teardown),
		cmocka_unit_test_teardown(test_progressive_page_ext_init_announces_every_section_once, teardown),
		cmocka_unit_test_setup_teardown(test_init_callbacks_run_after_the_walk_in_registration_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_callback_runs_for_a_client_whose_need_returned_false, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_walk_and_no_init_callback_when_no_client_needs_page_ext, setup, teardown),
		cmocka_unit_test_teardown(test_compressed_mode_needs_no_page_ext_so_no_walk_and_no_clear, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_reports_whether_any_client_needs_page_ext, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_refuses_a_ninth_client, setup, teardown),
		cmocka_unit_test_teardown(test_kmemleak_walk_of_11_sections_takes_one_slab_page, teardown),
		cmocka_unit_test_teardown(test_kmemleak_walk_of_12_sections_takes_two_slab_pages, teardown),
		cmocka_unit_test_teardown(test_kmemleak_walk_of_4_sections_takes_one_slab_page, teardown),
		cmocka_unit_test_setup_teardown(test_without_kmemleak_the_walk_takes_no_slab_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_tables_are_early_allocations_stamped_empty_by_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_ext_init_on_a_fresh_machine_records_early_pfns, setup, teardown),
		cmocka_unit_test_teardown(test_page_ext_init_marks_start_each_section_clear_then_done, teardown),
		cmocka_unit_test_teardown(test_flat_page_ext_init_marks_every_section_after_the_walk, teardown),
		cmocka_unit_test_teardown(test_page_ext_init_without_a_client_marks_only_start_and_done, teardown),
	};

	return cmocka_run_group_tests_name("page_ext", tests, NULL, NULL);
}
