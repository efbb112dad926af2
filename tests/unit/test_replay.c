// SPDX-License-Identifier: GPL-2.0
/*
 * Trace replay (sim/replay.h): exact counts on small committed fixtures and
 * on the real sample of ../shared/traces, the incomplete-trace policy, bad
 * input with file:line, and A3's array overflowing where L6's pool does not.
 */
#include <stdlib.h>
#include <unistd.h>

#include "test_util.h"
#include "sim/core/printk.h"
#include "sim/cli.h"
#include "sim/replay.h"
#include "sim/replay_priv.h"

#define FIXTURE(name)	FIXTURES_DIR "/traces/" name

static struct replay_result res;
static char err[1024];

static int replay_file(const char *path, const char *variant, bool lenient)
{
	struct replay_options o;
	int ret;

	replay_options_defaults(&o);
	o.path = path;
	o.machine.variant = early_pfn_lookup(variant);
	o.lenient = lenient;
	assert_non_null(o.machine.variant);
	err[0] = '\0';
	ret = replay_run(&o, &res, err, sizeof(err));
	return ret;
}

static int teardown(void **state)
{
	(void)state;
	return 0;
}

static void test_fixture_counts_allocations_frees_and_the_incomplete_trace(void **state)
{
	const struct replay_counts *c = &res.counts;

	(void)state;
	assert_int_equal(replay_file(FIXTURE("early-then-free.trace"), "L6", false), 0);
	assert_int_equal(c->allocs, 3);
	assert_int_equal(c->alloc_pages, 4);
	assert_int_equal(c->failed_allocs, 1);
	assert_int_equal(c->early_allocs, 3);
	assert_int_equal(c->before_tracing, 1);		/* pfn 0x2000, freed first */
	assert_int_equal(c->online_frees, 1);		/* pfn 0x10000 order 10 */
	assert_int_equal(c->batched_repeats, 1);
	assert_int_equal(c->frees, 3);			/* 0x1000, 0x1004, 0x2000 */
	assert_int_equal(c->nr_cpus, 2);
	assert_true(c->marker_seen);
	assert_int_equal(c->marker_line, 11);
	assert_int_equal(c->marker_cpu, 0);
	replay_result_free(&res);
}

static void test_l6_stamps_every_early_page_so_the_frees_are_silent(void **state)
{
	(void)state;
	assert_int_equal(replay_file(FIXTURE("early-then-free.trace"), "L6", false), 0);
	/* three early allocations plus the block allocated before tracing */
	assert_int_equal(res.early.pfns_recorded >= 4, true);
	assert_int_equal(res.early.tracking_pages_alloc, 1);
	assert_int_equal(res.oracles.warnings, 0);
	assert_int_equal(res.oracles.nr_leaks, 0);
	assert_false(res.oracles.fired);
	replay_result_free(&res);
}

static void test_none_warns_for_every_early_page_freed_after_the_marker_d1(void **state)
{
	(void)state;
	assert_int_equal(replay_file(FIXTURE("early-then-free.trace"), "none", false), 0);
	assert_int_equal(sim_warn_count_fmt("alloc_tag was not set"), 3);
	assert_true(res.oracles.fired);
	replay_result_free(&res);
}

#define LINE_PREFIX "       swapper/0-1       [000] .....     0.100000: "

static void test_double_allocation_is_an_error_with_file_and_line(void **state)
{
	char path[] = "/tmp/bootsim-replay-XXXXXX";

	(void)state;
	write_temp_trace(path, LINE_PREFIX "mm_page_alloc: page=0 pfn=0x1000 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
			 LINE_PREFIX "mm_page_alloc: page=0 pfn=0x1000 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n");
	assert_int_equal(replay_file(path, "L6", false), EXIT_USAGE);
	assert_non_null(strstr(err, ":2: found an allocation of pfn=0x1000"));
	/* --lenient skips and counts it */
	assert_int_equal(replay_file(path, "L6", true), 0);
	assert_int_equal(res.counts.bad_events, 1);
	replay_result_free(&res);
	unlink(path);
}

static void test_double_free_is_an_error_with_file_and_line(void **state)
{
	char path[] = "/tmp/bootsim-replay-XXXXXX";

	(void)state;
	write_temp_trace(path, LINE_PREFIX "mm_page_alloc: page=0 pfn=0x1000 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
			 LINE_PREFIX "mm_page_free: page=0 pfn=0x1000 order=0\n"
			 LINE_PREFIX "mm_page_free: page=0 pfn=0x1000 order=0\n");
	assert_int_equal(replay_file(path, "L6", false), EXIT_USAGE);
	assert_non_null(strstr(err, ":3: found a free of pfn=0x1000"));
	unlink(path);
}

static void test_free_inside_an_exact_allocation_splits_it(void **state)
{
	char path[] = "/tmp/bootsim-replay-XXXXXX";

	(void)state;
	write_temp_trace(path, LINE_PREFIX "mm_page_alloc: page=0 pfn=0x1000 order=2 migratetype=0 gfp_flags=GFP_KERNEL\n"
			 LINE_PREFIX "mm_page_free: page=0 pfn=0x1003 order=0\n"
			 LINE_PREFIX "mm_page_free: page=0 pfn=0x1000 order=0\n");
	assert_int_equal(replay_file(path, "L6", false), 0);
	assert_int_equal(res.counts.exact_splits, 1);
	assert_int_equal(res.counts.frees, 2);
	replay_result_free(&res);
	unlink(path);
}

static void test_missing_file_is_a_usage_error(void **state)
{
	(void)state;
	assert_int_equal(replay_file("/nonexistent/trace.txt", "L6", false), EXIT_USAGE);
	assert_non_null(strstr(err, "/nonexistent/trace.txt"));
}

/* 8300 early pages: A3's array overflows (D6), L6's pool grows. */
static void test_more_than_8192_early_pages_make_a3_warn_and_not_l6(void **state)
{
	char path[] = "/tmp/bootsim-replay-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (int i = 0; i < 8300; i++)
		fprintf(f, LINE_PREFIX "mm_page_alloc: page=0 pfn=%#x order=0 migratetype=0 "
			"gfp_flags=GFP_KERNEL\n", 0x1000 + i);
	fprintf(f, LINE_PREFIX "bootsim_marker: page_ext_init start\n");
	fclose(f);
	assert_int_equal(replay_file(path, "A3", false), 0);
	/* pr_warn_once prints once; the registry counts every overflowing PFN */
	assert_true(sim_warn_count_fmt("Early page allocations before page_ext init exceeded") > 0);
	assert_true(res.early.pfns_dropped >= 8300 - 8192);
	replay_result_free(&res);
	assert_int_equal(replay_file(path, "L6", false), 0);
	assert_int_equal(sim_warn_count_fmt("Early page allocations before page_ext init exceeded"), 0);
	assert_true(res.early.pfns_recorded >= 8300);
	replay_result_free(&res);
	unlink(path);
}

/* ../shared/traces/README.md "Counts in this file". */
static void test_real_sample_replays_with_the_readme_counts(void **state)
{
	const char *path = SHARED_TRACES "/boot-smp2-m2G.trace.xz";
	const struct replay_counts *c = &res.counts;
	int ret;

	(void)state;
	if (access(path, R_OK))
		skip();
	ret = replay_file(path, "L6", false);
	if (ret == EXIT_USAGE && strstr(err, "lzma"))
		skip();
	assert_int_equal(ret, 0);
	assert_true(c->marker_seen);
	assert_int_equal(c->marker_cpu, 1);
	assert_int_equal(c->early_allocs, 1155);
	assert_int_equal(c->early_alloc_pages, 1334);
	assert_int_equal(c->internal_collisions, 0);
	replay_result_free(&res);
}

/* The held-block bitmap works a word at a time: every edge of a word. */
static void test_pfn_bits_cover_exactly_the_range_across_word_boundaries(void **state)
{
	static const struct { unsigned long pfn, n; } ranges[] = {
		{ 0, 1 }, { 63, 1 }, { 60, 8 }, { 64, 64 }, { 1, 63 }, { 120, 200 }, { 511, 1 },
	};
	struct pfn_bits b = { 0 };

	(void)state;
	assert_int_equal(bits_reserve(&b, 512), 0);
	for (size_t r = 0; r < ARRAY_SIZE(ranges); r++) {
		unsigned long pfn = ranges[r].pfn, n = ranges[r].n;

		bits_assign(&b, pfn, n, true);
		for (unsigned long i = 0; i < 600; i++)
			assert_int_equal(bits_test(&b, i), i >= pfn && i < pfn + n);
		assert_true(bits_any(&b, pfn + n - 1, 1));
		assert_true(bits_any(&b, 0, pfn + 1));
		assert_false(bits_any(&b, pfn + n, 64));
		if (pfn)
			assert_false(bits_any(&b, 0, pfn));
		bits_assign(&b, pfn, n, false);
		assert_false(bits_any(&b, 0, b.nbits + 64));
	}
	free(b.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_fixture_counts_allocations_frees_and_the_incomplete_trace, teardown),
		cmocka_unit_test_teardown(test_l6_stamps_every_early_page_so_the_frees_are_silent, teardown),
		cmocka_unit_test_teardown(test_none_warns_for_every_early_page_freed_after_the_marker_d1, teardown),
		cmocka_unit_test_teardown(test_double_allocation_is_an_error_with_file_and_line, teardown),
		cmocka_unit_test_teardown(test_double_free_is_an_error_with_file_and_line, teardown),
		cmocka_unit_test_teardown(test_free_inside_an_exact_allocation_splits_it, teardown),
		cmocka_unit_test_teardown(test_missing_file_is_a_usage_error, teardown),
		cmocka_unit_test_teardown(test_more_than_8192_early_pages_make_a3_warn_and_not_l6, teardown),
		cmocka_unit_test_teardown(test_real_sample_replays_with_the_readme_counts, teardown),
		cmocka_unit_test(test_pfn_bits_cover_exactly_the_range_across_word_boundaries),
	};

	sim_log_set_stream(NULL);
	return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
