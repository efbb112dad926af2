// SPDX-License-Identifier: GPL-2.0
/*
 * Replay orderings (sim/replay.h): `free` plays what `timestamp` plays,
 * bad input on one CPU stops them all, and a bootsim recording replays with
 * the boot's counts and findings (record -> replay round trip), including
 * a free inside the page_ext window (D8), which needs the stepped
 * page_ext_init() of recordings.
 */
#include <stdlib.h>
#include <unistd.h>

#include "test_util.h"
#include "sim/core/printk.h"
#include "sim/cli.h"
#include "sim/replay.h"

#define FIXTURE(name)	FIXTURES_DIR "/traces/" name

static struct replay_result res;
static char err[1024];

static int replay_file(const char *path, const char *variant, enum replay_ordering ord)
{
	struct replay_options o;

	replay_options_defaults(&o);
	o.path = path;
	o.ordering = ord;
	o.machine.variant = early_pfn_lookup(variant);
	assert_non_null(o.machine.variant);
	err[0] = '\0';
	return replay_run(&o, &res, err, sizeof(err));
}

/* The counts a replay of @path gives under @ord (the machine torn down). */
static struct replay_counts counts_of(const char *path, const char *variant,
				      enum replay_ordering ord)
{
	struct replay_counts c;

	assert_int_equal(replay_file(path, variant, ord), 0);
	c = res.counts;
	replay_result_free(&res);
	return c;
}

static void assert_same_events(const struct replay_counts *a, const struct replay_counts *b)
{
	assert_int_equal(a->allocs, b->allocs);
	assert_int_equal(a->alloc_pages, b->alloc_pages);
	assert_int_equal(a->frees, b->frees);
	assert_int_equal(a->free_pages, b->free_pages);
	assert_int_equal(a->failed_allocs, b->failed_allocs);
	assert_int_equal(a->before_tracing, b->before_tracing);
	assert_int_equal(a->online_frees, b->online_frees);
	assert_int_equal(a->batched_repeats, b->batched_repeats);
	assert_int_equal(a->exact_splits, b->exact_splits);
	assert_int_equal(a->lines, b->lines);
	assert_int_equal(a->markers, b->markers);
}

static void test_free_ordering_plays_every_event_timestamp_ordering_plays(void **state)
{
	const char *fixture = FIXTURE("early-then-free.trace");
	const char *sample = SHARED_TRACES "/boot-smp2-m2G.trace.xz";
	struct replay_counts ts, fr;

	(void)state;
	ts = counts_of(fixture, "L6", REPLAY_ORDER_TIMESTAMP);
	fr = counts_of(fixture, "L6", REPLAY_ORDER_FREE);
	assert_same_events(&ts, &fr);
	assert_int_equal(fr.nr_cpus, 2);
	if (access(sample, R_OK) || replay_file(sample, "L6", REPLAY_ORDER_TIMESTAMP))
		skip();		/* no sample beside the repository, or no liblzma */
	ts = res.counts;
	replay_result_free(&res);
	fr = counts_of(sample, "L6", REPLAY_ORDER_FREE);
	assert_same_events(&ts, &fr);
	assert_int_equal(fr.allocs, ts.allocs);
	assert_true(fr.marker_seen);
	assert_int_equal(fr.marker_cpu, 1);
}

static void test_free_ordering_needs_a_file_not_standard_input(void **state)
{
	(void)state;
	assert_int_equal(replay_file("-", "L6", REPLAY_ORDER_FREE), EXIT_USAGE);
	assert_non_null(strstr(err, "reads the trace twice"));
}

#define CPU0 "       swapper/0-1       [000] .....     0.100000: "
#define CPU1 "     kworker/1:1-20      [001] .....     0.100001: "

/* CPU 1 frees CPU 0's block twice: its thread reports, CPU 0's stops too. */
static void test_bad_input_on_one_cpu_stops_every_cpu_with_file_and_line(void **state)
{
	char path[] = "/tmp/bootsim-order-XXXXXX";

	(void)state;
	write_temp_trace(path, CPU0 "mm_page_alloc: page=0 pfn=0x1000 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
			 CPU1 "mm_page_free: page=0 pfn=0x1000 order=0\n"
			 CPU1 "mm_page_free: page=0 pfn=0x1000 order=0\n"
			 CPU0 "mm_page_alloc: page=0 pfn=0x2000 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n");
	assert_int_equal(replay_file(path, "L6", REPLAY_ORDER_FREE), EXIT_USAGE);
	assert_non_null(strstr(err, ":3: found a free of pfn=0x1000"));
	unlink(path);
}

/* ------------------------------------------------------------------ */
/* Record -> replay                                                    */

static char *boot_json;
static size_t boot_json_len;

/* `bootsim boot ... --record @path --json`, one CPU at a time (reproducible). */
static int record_boot(const char *path, const char *variant, const char *early_free_pct)
{
	const char *argv[] = {
		"bootsim", "boot", "--mode", "controlled", "--cpus", "4", "--mem", "2G",
		"--stacks-per-cpu", "0", "--early-free-pct", early_free_pct,
		"--variant", variant, "--record", path, "--quiet", "--json",
	};
	FILE *out;
	int ret;

	free(boot_json);
	out = open_memstream(&boot_json, &boot_json_len);
	ret = bootsim_main(ARRAY_SIZE(argv), (char **)argv, out, stderr);
	fclose(out);
	return ret;
}

static long json_long(const char *key)
{
	char quoted[64];
	const char *p;

	snprintf(quoted, sizeof(quoted), "\"%s\": ", key);
	p = strstr(boot_json, quoted);
	assert_non_null(p);
	return strtol(p + strlen(quoted), NULL, 10);
}

/*
 * The recording holds the boot's allocations and frees plus the kernel's
 * own: page_ext tables (one per section), kmemleak's slab pages and the
 * early-PFN tracking pages, which the variant's CLEAR frees again.
 */
static void test_recording_replays_with_the_boot_counts_and_no_finding(void **state)
{
	char path[] = "/tmp/bootsim-rt-XXXXXX";
	const struct replay_counts *c = &res.counts;
	long tracking;

	(void)state;
	close(mkstemp(path));
	assert_int_equal(record_boot(path, "L6", "0"), EXIT_CLEAN);
	tracking = json_long("tracking_pages_allocated");
	assert_true(tracking >= 1);
	for (int ord = REPLAY_ORDER_TIMESTAMP; ord <= REPLAY_ORDER_FREE; ord++) {
		assert_int_equal(replay_file(path, "L6", ord), 0);
		assert_int_equal(c->allocs, json_long("allocations") + json_long("sections") +
				 json_long("kmemleak_slab_pages") + tracking);
		assert_int_equal(c->frees, json_long("frees") + tracking);
		assert_int_equal(c->tracking_pages, tracking);
		assert_int_equal(c->before_tracing, 0);
		assert_int_equal(c->internal_collisions, 0);
		/* `free` races: the marker's CPU may come late or early (D8 for real) */
		if (ord == REPLAY_ORDER_TIMESTAMP) {
			assert_int_equal(c->early_allocs,
					 json_long("allocations_before_page_ext_init") + tracking);
			assert_int_equal(res.oracles.warnings, 0);
			assert_false(res.oracles.fired);
		}
		replay_result_free(&res);
	}
	unlink(path);
}

/*
 * Early pages freed between their section's publication and CLEAR warn in
 * the boot (D8); the replay publishes each section where the recording's
 * marker shows it, so they warn again.  With page_ext_init() in one piece
 * at the first marker they would not.  An allocation whose page_ext lookup
 * preceded a publication its tracepoint follows is replayed after it, so
 * the counts agree within such allocations.
 */
static void test_recording_with_window_frees_warns_again_on_replay_d8(void **state)
{
	char path[] = "/tmp/bootsim-rt-XXXXXX";
	static const char *const variants[] = { "L6", "proposed", "none" };

	(void)state;
	close(mkstemp(path));
	for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
		long boot_warns, replay_warns;

		assert_int_equal(record_boot(path, variants[i], "20"), EXIT_FINDING);
		assert_true(json_long("early_pages_freed_in_window") > 0);
		assert_non_null(strstr(boot_json, "\"text\": \"alloc_tag was not set\""));
		boot_warns = json_long("count");
		assert_true(boot_warns > 0);
		assert_int_equal(replay_file(path, variants[i], REPLAY_ORDER_TIMESTAMP), 0);
		replay_warns = sim_warn_count_fmt("alloc_tag was not set");
		assert_true(res.oracles.fired);
		assert_true(replay_warns > 0);
		assert_true(labs(replay_warns - boot_warns) <= boot_warns / 10 + 1);
		replay_result_free(&res);
	}
	unlink(path);
}

static int teardown(void **state)
{
	(void)state;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_free_ordering_plays_every_event_timestamp_ordering_plays, teardown),
		cmocka_unit_test_teardown(test_free_ordering_needs_a_file_not_standard_input, teardown),
		cmocka_unit_test_teardown(test_bad_input_on_one_cpu_stops_every_cpu_with_file_and_line, teardown),
		cmocka_unit_test_teardown(test_recording_replays_with_the_boot_counts_and_no_finding, teardown),
		cmocka_unit_test_teardown(test_recording_with_window_frees_warns_again_on_replay_d8, teardown),
	};

	sim_log_set_stream(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
