// SPDX-License-Identifier: GPL-2.0
/*
 * Scenarios: the text format's errors name PATH:LINE and what was expected;
 * every built-in parses; runs under the free backend (real threads) follow
 * the statements' semantics.  Deadlocking scenarios are never run here: the
 * free backend has no scheduler to notice a deadlock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "test_util.h"
#include "sim/core/controlled.h"
#include "sim/scenario.h"
#include "sim/catalogue.h"

static char err[512];

static int teardown_log(void **state)
{
	(void)state;
	sim_log_set_echo(false);
	return 0;
}

static struct scenario *parse_ok(const char *text)
{
	struct scenario *sc = scenario_parse(text, "t.scn", err, sizeof(err));

	if (!sc)
		fail_msg("unexpected parse error: %s", err);
	return sc;
}

/* The whole message must start with @expected (long "expected" lists end it). */
static void assert_parse_error(const char *text, const char *expected)
{
	struct scenario *sc;

	err[0] = '\0';
	sc = scenario_parse(text, "t.scn", err, sizeof(err));
	if (sc) {
		scenario_free(sc);
		fail_msg("parsed, expected error \"%s\"", expected);
	}
	if (strncmp(err, expected, strlen(expected)))
		fail_msg("error \"%s\"\n   expected \"%s\"", err, expected);
}

static void machine_for(const struct scenario *sc, struct machine_config *cfg)
{
	machine_config_defaults(cfg);
	scenario_machine_config(sc, cfg);
}

/* Parse and run @text on a quiet L6 machine; the caller frees @res. */
static void run_text(const char *text, struct scenario_result *res)
{
	struct scenario *sc = parse_ok(text);
	struct machine_config cfg;

	machine_for(sc, &cfg);
	sim_log_set_stream(NULL);
	sim_log_set_echo(true);
	if (scenario_run(sc, &cfg, res, err, sizeof(err)))
		fail_msg("scenario_run: %s", err);
	scenario_free(sc);
}

/* One CPU at a time, each running as long as it can (no abort hook: must not deadlock). */
static int run_on(void *priv, const struct sim_ctl_decision *d)
{
	(void)priv;
	if (d->prev_enabled)
		return d->prev;
	return sim_ctl_next_enabled(d, d->prev + 1);
}

/* As run_text, on @variant under the controlled backend. */
static void run_text_controlled(const char *text, const struct early_pfn_variant *variant,
				struct scenario_result *res)
{
	struct scenario *sc = parse_ok(text);
	struct sim_ctl_hooks hooks = { .choose = run_on };
	struct machine_config cfg;

	machine_for(sc, &cfg);
	cfg.variant = variant;
	sim_log_set_stream(NULL);
	sim_log_set_echo(true);
	assert_int_equal(sim_ctl_begin(scenario_cpus(sc), &hooks), 0);
	if (scenario_run(sc, &cfg, res, err, sizeof(err)))
		fail_msg("scenario_run: %s", err);
	sim_ctl_end();
	scenario_free(sc);
}

static void run_builtin(const char *name, struct scenario_result *res)
{
	const struct scenario_builtin *b = scenario_builtin_lookup(name);

	assert_non_null(b);
	run_text(b->text, res);
}

static enum slot_state slot_at(unsigned long pfn, struct alloc_tag **tag)
{
	return pgalloc_tag_peek(pfn_to_page(pfn), tag);
}

/* ------------------------------------------------------------------ */
/* Parsing */

static void test_every_builtin_parses_with_its_catalogue_name_and_a_description(void **state)
{
	(void)state;
	/* one d-scenario per catalogue case, plus clean-two-cpus, abba, sync */
	assert_int_equal(scenario_nr_builtins, nr_defect_cases + 3);
	for (unsigned int i = 0; i < scenario_nr_builtins; i++) {
		const struct scenario_builtin *b = &scenario_builtins[i];
		struct scenario *sc = parse_ok(b->text);

		assert_string_equal(scenario_name(sc), b->name);
		assert_true(strlen(scenario_description(sc)) > 20);
		assert_true(scenario_cpus(sc) >= 1);
		assert_ptr_equal(scenario_builtin_lookup(b->name), b);
		scenario_free(sc);
	}
	assert_null(scenario_builtin_lookup("no-such-scenario"));
}

static void test_builtin_catalogue_cpus_match_their_cpu_blocks(void **state)
{
	static const struct { const char *name; unsigned int cpus; } want[] = {
		{ "d7-clear-vs-alloc", 2 }, { "d8-free-in-window", 2 },
		{ "d12-loser-slotless", 3 }, { "d13-loser-accounted", 3 },
		{ "d10-list-head-race", 3 }, { "d1-untagged-early-free", 1 },
		{ "d3-nmi-in-record", 1 }, { "clean-two-cpus", 2 },
		{ "abba-deadlock", 2 }, { "sync-in-reader", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct scenario *sc = scenario_open(want[i].name, err, sizeof(err));

		assert_non_null(sc);
		assert_int_equal(scenario_cpus(sc), want[i].cpus);
		scenario_free(sc);
	}
}

static void test_cpus_is_highest_cpu_block_plus_one_and_config_takes_mem_and_publish(void **state)
{
	struct machine_config cfg;
	struct scenario *sc = parse_ok("scenario x\nmem 1G\npublish flat\n"
				       "cpu 5:\n page_ext_init\ncpu 2 init:\n alloc a\n");

	(void)state;
	assert_int_equal(scenario_cpus(sc), 6);
	machine_config_defaults(&cfg);
	cfg.kmemleak = false;
	scenario_machine_config(sc, &cfg);
	assert_int_equal(cfg.cpus, 6);
	assert_int_equal(cfg.mem_bytes, 1ULL << 30);
	assert_int_equal(cfg.publish, PAGE_EXT_FLAT);
	assert_false(cfg.kmemleak);		/* the caller's choices stay */
	assert_ptr_equal(cfg.variant, &early_pfn_l6);
	scenario_free(sc);
}

static void test_defaults_are_512m_progressive_and_an_empty_description(void **state)
{
	struct machine_config cfg;
	struct scenario *sc = parse_ok("scenario x\ncpu 0:\n");

	(void)state;
	machine_config_defaults(&cfg);
	scenario_machine_config(sc, &cfg);
	assert_int_equal(cfg.mem_bytes, 512ULL << 20);
	assert_int_equal(cfg.publish, PAGE_EXT_PROGRESSIVE);
	assert_int_equal(cfg.cpus, 1);
	assert_int_equal(cfg.bits_per_long, 64);
	assert_int_equal(cfg.movable_bytes, 0);
	assert_false(cfg.compressed);
	assert_string_equal(scenario_description(sc), "");
	scenario_free(sc);
}

static void test_bits_movable_and_compressed_directives_reach_the_machine_config(void **state)
{
	struct machine_config cfg;
	struct scenario *sc = parse_ok("scenario x\nbits 32\nmem 1G\nmovable 64M\ncompressed\n"
				       "cpu 0:\n alloc a gfp=GFP_HIGHUSER\n");

	(void)state;
	machine_config_defaults(&cfg);
	scenario_machine_config(sc, &cfg);
	assert_int_equal(cfg.bits_per_long, 32);
	assert_int_equal(cfg.mem_bytes, 1ULL << 30);
	assert_int_equal(cfg.movable_bytes, 64ULL << 20);
	assert_true(cfg.compressed);
	scenario_free(sc);
	/* Any order; "bits 64" and "movable 0" are the defaults spelt out. */
	sc = parse_ok("scenario x\ncompressed\nmovable 0\nbits 64\ncpu 0:\n");
	machine_config_defaults(&cfg);
	scenario_machine_config(sc, &cfg);
	assert_int_equal(cfg.bits_per_long, 64);
	assert_int_equal(cfg.movable_bytes, 0);
	assert_true(cfg.compressed);
	scenario_free(sc);
}

static void test_bad_or_repeated_machine_directives_are_errors(void **state)
{
	(void)state;
	assert_parse_error("scenario x\nbits 16\ncpu 0:\n",
			   "t.scn:2: found '16'; expected 32 or 64");
	assert_parse_error("scenario x\nbits\ncpu 0:\n",
			   "t.scn:2: found end of line; expected a value after 'bits'");
	assert_parse_error("scenario x\nbits 32 64\ncpu 0:\n",
			   "t.scn:2: found '64'; expected end of line");
	assert_parse_error("scenario x\nbits 32\nbits 32\ncpu 0:\n",
			   "t.scn:3: found 'bits'; expected one bits line only");
	assert_parse_error("scenario x\nmovable 1x\ncpu 0:\n",
			   "t.scn:2: found '1x'; expected a ZONE_MOVABLE size (e.g. 64M, 1G; 0 for none)");
	assert_parse_error("scenario x\nmovable 64M\nmovable 64M\ncpu 0:\n",
			   "t.scn:3: found 'movable'; expected one movable line only");
	assert_parse_error("scenario x\ncompressed yes\ncpu 0:\n",
			   "t.scn:2: found 'yes'; expected end of line");
	assert_parse_error("scenario x\ncompressed\ncompressed\ncpu 0:\n",
			   "t.scn:3: found 'compressed'; expected one compressed line only");
	assert_parse_error("scenario x\ncpu 0:\ncompressed\n",
			   "t.scn:3: found 'compressed'; expected a statement (headers come before the first block)");
}

static void test_machine_the_directives_describe_together_must_be_valid(void **state)
{
	(void)state;
	/* Reported on the mem line, wherever the bits line is. */
	assert_parse_error("scenario x\nmem 8G\nbits 32\ncpu 0:\n",
			   "t.scn:2: found '8G'; expected at most 4G with 'bits 32' "
			   "(a 32-bit machine addresses 4 GiB)");
	assert_parse_error("scenario x\nbits 32\nmem 5G\ncpu 0:\n",
			   "t.scn:3: found '5G'; expected at most 4G with 'bits 32'");
	/* Rounded up to pageblocks, ZONE_MOVABLE must leave 16M to the rest. */
	assert_parse_error("scenario x\nmovable 497M\nmem 512M\ncpu 0:\n",
			   "t.scn:2: found '497M'; expected a movable size that leaves at least 16M "
			   "of mem to the other zones");
	assert_parse_error("scenario x\nmovable 600M\ncpu 0:\n",
			   "t.scn:2: found '600M'; expected a movable size that leaves at least 16M");
	scenario_free(parse_ok("scenario x\nmem 64M\nmovable 48M\nbits 32\ncpu 0:\n"));
	scenario_free(parse_ok("scenario x\nmem 4G\nbits 32\ncpu 0:\n"));
}

static void test_comments_blank_lines_and_indentation_are_ignored(void **state)
{
	struct scenario *sc = parse_ok(
		"# a scenario\n\n"
		"   scenario   spaced-out   # name\n"
		"description Text # not part of it\n"
		"\tmem 64M\n"
		"early :\n"
		"alloc   p\torder=1  count=2   gfp=GFP_KERNEL|__GFP_ZERO\n"
		"   cpu 1 kworker/1:1:   # comm with a colon\n"
		"\t\t free   p\n"
		"\r\n");

	(void)state;
	assert_string_equal(scenario_name(sc), "spaced-out");
	assert_string_equal(scenario_description(sc), "Text");
	assert_int_equal(scenario_cpus(sc), 2);
	scenario_free(sc);
}

static void test_unknown_statement_names_line_and_token(void **state)
{
	(void)state;
	assert_parse_error("scenario x\ncpu 0:\n  frobnicate p\n",
			   "t.scn:3: found 'frobnicate'; expected a statement (alloc, free,");
}

static void test_unknown_or_repeated_alloc_option_is_an_error(void **state)
{
	(void)state;
	assert_parse_error("scenario x\ncpu 0:\nalloc p colour=red\n",
			   "t.scn:3: found 'colour=red'; expected order=, gfp=, count= or pfn=");
	assert_parse_error("scenario x\ncpu 0:\nalloc p order=1 order=2\n",
			   "t.scn:3: found 'order=2'; expected each option at most once");
}

static void test_missing_name_is_an_error(void **state)
{
	(void)state;
	assert_parse_error("scenario x\ncpu 0:\nalloc\n",
			   "t.scn:3: found end of line; expected a NAME for the pages");
	assert_parse_error("scenario x\ncpu 0:\nfree\n",
			   "t.scn:3: found end of line; expected NAME, 'early' or 'all'");
	assert_parse_error("scenario x\ncpu 0:\nlock\n",
			   "t.scn:3: found end of line; expected a lock name");
	assert_parse_error("scenario x\ncpu 0:\nwait\n",
			   "t.scn:3: found end of line; expected an event name");
	assert_parse_error("scenario\ncpu 0:\n",
			   "t.scn:1: found end of line; expected a value after 'scenario'");
	assert_parse_error("scenario x\ncpu 0:\nalloc early\n",
			   "t.scn:3: found 'early'; expected a NAME other than 'early' and 'all'");
}

static void test_bad_numbers_are_errors(void **state)
{
	(void)state;
	assert_parse_error("scenario x\ncpu 0:\nalloc p order=x\n",
			   "t.scn:3: found 'order=x'; expected order=0..10");
	assert_parse_error("scenario x\ncpu 0:\nalloc p order=11\n",
			   "t.scn:3: found 'order=11'; expected order=0..10");
	assert_parse_error("scenario x\ncpu 0:\nalloc p count=0\n",
			   "t.scn:3: found 'count=0'; expected count=1..65536");
	assert_parse_error("scenario x\ncpu 0:\nalloc p pfn=12q\n",
			   "t.scn:3: found 'pfn=12q'; expected pfn=NUMBER");
	assert_parse_error("scenario x\ncpu 0:\nalloc p gfp=GFP_BOGUS\n",
			   "t.scn:3: found 'gfp=GFP_BOGUS'; expected gfp=");
	assert_parse_error("scenario x\ncpu 64:\n",
			   "t.scn:2: found '64'; expected a CPU number below 64");
	assert_parse_error("scenario x\nmem lots\ncpu 0:\n",
			   "t.scn:2: found 'lots'; expected a size of at least 16M");
	assert_parse_error("scenario x\nmem 1M\ncpu 0:\n",
			   "t.scn:2: found '1M'; expected a size of at least 16M");
	assert_parse_error("scenario x\ncpu 0:\nsignal e\nwait e 0\n",
			   "t.scn:4: found '0'; expected a count 1..");
	assert_parse_error("scenario x\ncpu 0:\npage_ext_prepare\npage_ext_section one\n",
			   "t.scn:4: found 'one'; expected a section number or 'all'");
}

static void test_reference_to_a_name_no_earlier_alloc_bound_is_an_error(void **state)
{
	(void)state;
	assert_parse_error("scenario x\ncpu 0:\nalloc q pfn=@p\n",
			   "t.scn:3: found 'pfn=@p'; expected pfn=@NAME of an earlier alloc");
	assert_parse_error("scenario x\ncpu 0:\nfree p\n",
			   "t.scn:3: found 'p'; expected the NAME of an earlier alloc, 'early' or 'all'");
	/* earlier in the file, not earlier in time: cpu 1's alloc comes later */
	assert_parse_error("scenario x\ncpu 0:\nfree p\ncpu 1:\nalloc p\n",
			   "t.scn:3: found 'p'; expected the NAME of an earlier alloc");
}

static void test_duplicate_blocks_are_errors(void **state)
{
	(void)state;
	assert_parse_error("scenario x\ncpu 1:\nclear\ncpu 1 other:\n",
			   "t.scn:4: found 'cpu 1 other:'; expected one 'cpu 1' block only");
	assert_parse_error("scenario x\nearly:\nearly:\ncpu 0:\n",
			   "t.scn:3: found 'early:'; expected one 'early:' block only");
}

static void test_statement_outside_a_block_is_an_error(void **state)
{
	(void)state;
	assert_parse_error("scenario x\nalloc p\ncpu 0:\n",
			   "t.scn:2: found 'alloc'; expected a block header (early:, cpu N [COMM]:, late:)");
}

static void test_header_after_the_first_block_is_an_error(void **state)
{
	(void)state;
	assert_parse_error("scenario x\ncpu 0:\nmem 1G\n",
			   "t.scn:3: found 'mem'; expected a statement (headers come before the first block)");
}

static void test_unknown_block_header_is_an_error(void **state)
{
	(void)state;
	assert_parse_error("scenario x\ncpu 0:\nmiddle:\n",
			   "t.scn:3: found 'middle:'; expected a block header");
}

static void test_unlock_of_a_lock_never_locked_is_an_error_at_the_unlock(void **state)
{
	(void)state;
	assert_parse_error("scenario x\ncpu 0:\nlock A\nunlock A\ncpu 1:\nunlock B\nunlock B\n",
			   "t.scn:6: found 'B'; expected a lock that some 'lock B' line takes");
	/* locked anywhere in the file is enough */
	scenario_free(parse_ok("scenario x\ncpu 0:\nunlock A\ncpu 1:\nlock A\n"));
}

static void test_missing_scenario_line_is_an_error(void **state)
{
	(void)state;
	assert_parse_error("cpu 0:\nalloc p\n",
			   "t.scn:1: found 'cpu 0:'; expected a 'scenario NAME' line before the first block");
	assert_parse_error("", "t.scn:1: found end of file; expected a 'scenario NAME' line");
	assert_parse_error("# only a comment\n\n",
			   "t.scn:2: found end of file; expected a 'scenario NAME' line");
}

static void test_scenario_without_cpu_block_is_an_error(void **state)
{
	(void)state;
	assert_parse_error("scenario x\nearly:\nalloc p\nlate:\nfree p\n",
			   "t.scn:5: found end of file; expected at least one 'cpu N [COMM]:' block");
}

static void test_bad_headers_are_errors(void **state)
{
	(void)state;
	assert_parse_error("scenario Bad_Name\ncpu 0:\n",
			   "t.scn:1: found 'Bad_Name'; expected a scenario name ([a-z0-9-]+)");
	assert_parse_error("scenario x y\ncpu 0:\n",
			   "t.scn:1: found 'y'; expected end of line");
	assert_parse_error("scenario x\nscenario y\ncpu 0:\n",
			   "t.scn:2: found 'scenario'; expected one scenario line only");
	assert_parse_error("scenario x\npublish sometimes\ncpu 0:\n",
			   "t.scn:2: found 'sometimes'; expected progressive or flat");
	assert_parse_error("scenario x\ndescription\ncpu 0:\n",
			   "t.scn:2: found end of line; expected a one-line description");
	assert_parse_error("scenario x\ncpu 1 a-comm-of-16-chars:\n",
			   "t.scn:2: found 'a-comm-of-16-chars'; expected a COMM of at most 15 characters");
}

static void test_extra_tokens_after_a_statement_are_an_error(void **state)
{
	(void)state;
	assert_parse_error("scenario x\ncpu 0:\npage_ext_init now\n",
			   "t.scn:3: found 'now'; expected end of line");
	assert_parse_error("scenario x\ncpu 0:\nalloc p\nfree p q\n",
			   "t.scn:4: found 'q'; expected end of line");
}

static void test_wait_nothing_can_satisfy_is_an_error(void **state)
{
	(void)state;
	assert_parse_error("scenario x\ncpu 0:\nwait go\n",
			   "t.scn:3: found 'go'; expected an event that some 'signal go' line raises");
	assert_parse_error("scenario x\ncpu 0:\nsignal go\ncpu 1:\nsignal go\ncpu 2:\nwait go 3\n",
			   "t.scn:7: found '3'; expected at most 2 (the 'signal go' lines in the file)");
}

static void test_page_ext_section_needs_an_earlier_prepare(void **state)
{
	(void)state;
	assert_parse_error("scenario x\ncpu 0:\npage_ext_section 0\n",
			   "t.scn:3: found 'page_ext_section'; expected a page_ext_prepare line");
	scenario_free(parse_ok("scenario x\ncpu 0:\npage_ext_prepare\nsignal p\n"
			       "cpu 1:\nwait p\npage_ext_section all\npage_ext_finish\n"));
}

static void test_nmi_statement_parses_with_defaults_and_every_option(void **state)
{
	(void)state;
	scenario_free(parse_ok("scenario x\ncpu 0:\n nmi n\n"
			       " nmi m order=3 gfp=__GFP_ACCOUNT at=5\n"
			       " nmi k at=1 gfp=none order=0\n"
			       " free n\n free m\n alloc q pfn=@k\n"));
}

static void test_nmi_statement_errors_name_the_line_and_what_was_expected(void **state)
{
	(void)state;
	assert_parse_error("scenario x\ncpu 0:\nnmi\n",
			   "t.scn:3: found end of line; expected a NAME for the pages");
	assert_parse_error("scenario x\ncpu 0:\nnmi all\n",
			   "t.scn:3: found 'all'; expected a NAME other than 'early' and 'all'");
	assert_parse_error("scenario x\ncpu 0:\nnmi n order=4\n",
			   "t.scn:3: found 'order=4'; expected order=0..3 (alloc_pages_nolock "
			   "serves pcp orders only)");
	assert_parse_error("scenario x\ncpu 0:\nnmi n at=0\n",
			   "t.scn:3: found 'at=0'; expected at=1..1000000 (a scheduling point "
			   "inside RECORD)");
	assert_parse_error("scenario x\ncpu 0:\nnmi n at=two\n",
			   "t.scn:3: found 'at=two'; expected at=1..");
	assert_parse_error("scenario x\ncpu 0:\nnmi n gfp=GFP_BOGUS\n",
			   "t.scn:3: found 'gfp=GFP_BOGUS'; expected gfp=");
	assert_parse_error("scenario x\ncpu 0:\nnmi n count=2\n",
			   "t.scn:3: found 'count=2'; expected order=, gfp= or at=");
	assert_parse_error("scenario x\ncpu 0:\nalloc p\n\nnmi n at=2 at=3\n",
			   "t.scn:5: found 'at=3'; expected each option at most once");
	/* a page NAME only nmi binds is still a NAME for free */
	assert_parse_error("scenario x\ncpu 0:\nfree n\nnmi n\n",
			   "t.scn:3: found 'n'; expected the NAME of an earlier alloc");
}

static void test_line_over_4096_characters_is_an_error_not_a_crash(void **state)
{
	size_t n = 5000;
	char *text = malloc(n + 64);

	(void)state;
	assert_non_null(text);
	strcpy(text, "scenario x\n# ");
	memset(text + strlen(text), 'x', n - 2);
	strcpy(text + 11 + n, "\ncpu 0:\n");
	assert_parse_error(text, "t.scn:2: found a line of 5000 characters; expected at most 4096");
	free(text);
}

static void test_load_reads_a_file_and_errors_name_its_path(void **state)
{
	char path[] = "/tmp/test_scenario_XXXXXX";
	int fd = mkstemp(path);
	struct scenario *sc;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("scenario from-file\ncpu 0:\nalloc p\n", f);
	fclose(f);
	sc = scenario_open(path, err, sizeof(err));
	assert_non_null(sc);
	assert_string_equal(scenario_name(sc), "from-file");
	scenario_free(sc);

	f = fopen(path, "w");
	fputs("scenario from-file\ncpu 0:\nfree p\n", f);
	fclose(f);
	assert_null(scenario_load(path, err, sizeof(err)));
	assert_true(!strncmp(err, path, strlen(path)));
	assert_non_null(strstr(err, ":3: found 'p'"));
	unlink(path);

	assert_null(scenario_open("/nonexistent/x.scn", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/x.scn: cannot open"));
}

/* ------------------------------------------------------------------ */
/* Running under the free backend */

static void test_compressed_scenario_records_no_early_pfn_and_fires_no_oracle(void **state)
{
	struct scenario_result res;
	struct alloc_tag *tag;

	(void)state;
	run_text("scenario compressed-early\nmem 256M\ncompressed\n"
		 "early:\n alloc q pfn=0x1000\n alloc p order=0 count=10\n"
		 "cpu 0:\n page_ext_init\n"
		 "cpu 1:\n free p\n", &res);
	assert_int_equal(res.allocs, 11);
	assert_int_equal(res.early.slot_missing_allocs, 0);
	assert_int_equal(res.early.clear_runs, 0);
	assert_int_equal(slot_at(0x1000, &tag), SLOT_TAG);
	assert_string_equal(tag->ct.function, "q");
	assert_false(res.oracles.fired);
	scenario_result_free(&res);
}

static void test_32bit_scenario_allocates_highmem_without_a_kernel_mapping(void **state)
{
	struct scenario_result res;
	struct mem_zone_stats zs[MAX_NR_ZONES];
	int n;

	(void)state;
	run_text("scenario highmem\nbits 32\nmem 1G\n"
		 "cpu 0:\n page_ext_init\n alloc h order=0 count=3 gfp=GFP_HIGHUSER\n", &res);
	assert_int_equal(res.allocs, 3);
	n = mem_zone_stats(zs, MAX_NR_ZONES);
	assert_int_equal(n, 3);
	assert_string_equal(zs[2].name, "HighMem");
	assert_int_equal(zs[2].free_pages, zs[2].present - 3);
	assert_null(page_address(pfn_to_page(zs[2].start_pfn)));
	assert_false(res.oracles.fired);
	scenario_result_free(&res);
}

/*
 * D18: __GFP_MEMALLOC allocations take memory below every watermark (the
 * fill carries the recursion marker so that it records nothing and the pool
 * stays empty); one page is given back, x takes it, and x's RECORD needs a
 * first tracking page that __GFP_HIGH cannot have: the PFN is dropped with
 * "early PFN tracking page allocation failed" and x stays unstamped.
 */
static void test_memalloc_exhaustion_makes_the_tracking_page_allocation_fail_d18(void **state)
{
	struct scenario_result res;

	(void)state;
	run_text("scenario d18\nmem 32M\n"
		 "early:\n"
		 " alloc spare gfp=GFP_KERNEL|__GFP_NO_OBJ_EXT\n"
		 " alloc fill count=8000 gfp=GFP_KERNEL|__GFP_MEMALLOC|__GFP_NOWARN|__GFP_NO_OBJ_EXT\n"
		 " free spare\n"
		 " alloc x gfp=GFP_KERNEL|__GFP_MEMALLOC\n"
		 " free fill\n"
		 "cpu 0:\n page_ext_init\n", &res);
	assert_true(res.alloc_failures > 0);
	assert_int_equal(res.early.pfns_dropped, 1);
	assert_int_equal(sim_warn_count_fmt("early PFN tracking page allocation failed"), 1);
	assert_int_equal(res.oracles.unstamped.pages, 1);
	assert_true(res.oracles.fired);
	scenario_result_free(&res);
}

static void test_clean_two_cpus_fires_no_oracle(void **state)
{
	struct scenario_result res;

	(void)state;
	run_builtin("clean-two-cpus", &res);
	assert_false(res.oracles.fired);
	assert_int_equal(res.allocs, 2);
	assert_int_equal(res.frees, 2);
	assert_int_equal(res.alloc_failures, 0);
	scenario_result_free(&res);
}

/*
 * 508 early PFNs plus the walk's own two fill the first pool exactly; CPU 1
 * and 2 add theirs only if they beat section 0's publication, which real
 * threads rarely do.  Either way the pool pages are the PFNs' ceiling / 510.
 */
static void test_pool_boundary_scenario_fills_the_first_pool_page_exactly(void **state)
{
	struct scenario_result res;

	(void)state;
	run_builtin("d12-loser-slotless", &res);
	assert_int_equal(res.allocs, 508 + 2 + 2);
	assert_true(res.early.pfns_recorded >= 510);
	assert_true(res.early.pfns_recorded <= 514);
	assert_int_equal(res.early.tracking_pages_published,
			 (res.early.pfns_recorded + 509) / 510);
	assert_true(res.early.tracking_pages_alloc >= 1);
	scenario_result_free(&res);
}

static void test_pool_boundary_is_crossed_when_cpu_allocations_precede_page_ext(void **state)
{
	struct scenario_result res;

	(void)state;
	/* the d13 pool, with CPU 1 and 2 ordered before the walk */
	run_text("scenario boundary\nmem 256M\n"
		 "early:\n alloc e order=0 count=508\n"
		 "cpu 0:\n wait allocated 2\n page_ext_init\n"
		 "cpu 1:\n alloc a order=0 count=2\n signal allocated\n"
		 "cpu 2:\n alloc b order=0 count=2\n signal allocated\n", &res);
	assert_int_equal(res.early.pfns_recorded, 508 + 4 + 2);
	assert_true(res.early.tracking_pages_alloc >= 2);
	assert_int_equal(res.early.tracking_pages_published, 2);
	scenario_result_free(&res);
}

static void test_d7_and_d8_run_to_completion_under_the_free_backend(void **state)
{
	struct scenario_result res;

	(void)state;
	run_builtin("d7-clear-vs-alloc", &res);
	/* p, then q: claimed, or failed if the walk took the PFN first */
	assert_int_equal(res.allocs + res.alloc_failures, 2);
	assert_int_equal(res.frees, 1);
	scenario_result_free(&res);

	run_builtin("d8-free-in-window", &res);
	assert_int_equal(res.allocs, 1);
	assert_int_equal(res.frees, 1);
	assert_int_equal(res.oracles.nr_leaks, 0);
	scenario_result_free(&res);
}

static void test_early_page_is_stamped_empty_by_page_ext_init_on_cpu0(void **state)
{
	struct scenario_result res;
	struct alloc_tag *tag;

	(void)state;
	run_text("scenario stamp\nmem 256M\n"
		 "early:\n alloc p pfn=0x1000\n"
		 "cpu 0:\n page_ext_init\n", &res);
	assert_int_equal(res.allocs, 1);
	assert_int_equal(slot_at(0x1000, &tag), SLOT_EMPTY);
	assert_int_equal(res.oracles.unstamped.pages, 0);
	assert_true(res.early.clear_stamped >= 1);
	scenario_result_free(&res);
}

static void test_late_free_of_a_stamped_early_page_does_not_warn(void **state)
{
	struct scenario_result res;

	(void)state;
	run_text("scenario late-free\nmem 256M\n"
		 "early:\n alloc p\n"
		 "cpu 0:\n page_ext_init\n"
		 "late:\n free p\n", &res);
	assert_int_equal(res.frees, 1);
	assert_int_equal(res.oracles.warnings, 0);
	assert_false(res.oracles.fired);
	scenario_result_free(&res);
}

static void test_late_free_of_a_page_cpu1_allocated_during_page_ext_init_is_clean(void **state)
{
	struct scenario_result res;

	(void)state;
	/* x makes the first pool before SMP, so no two CPUs race to push one */
	run_text("scenario during-walk\nmem 256M\n"
		 "early:\n alloc x\n"
		 "cpu 0:\n page_ext_init\n"
		 "cpu 1:\n alloc p order=2\n"
		 "late:\n free p\n free x\n", &res);
	assert_int_equal(res.allocs, 2);
	assert_int_equal(res.frees, 2);
	assert_false(res.oracles.fired);
	scenario_result_free(&res);
}

static void test_alloc_count_makes_count_blocks_under_the_lines_own_tag(void **state)
{
	struct scenario_result res;
	struct alloc_tag *tag;
	struct alloc_tag_counters c;

	(void)state;
	run_text("scenario counted\nmem 256M\n"
		 "early:\n page_ext_init\n"
		 "cpu 0:\n"
		 " alloc grp order=1 count=3\n"
		 " alloc other\n", &res);
	assert_int_equal(res.allocs, 4);
	tag = find_tag_by_func("grp");
	assert_non_null(tag);
	assert_string_equal(tag->ct.filename, "counted.scn");
	assert_int_equal(tag->ct.lineno, 6);
	c = alloc_tag_read(tag);
	assert_int_equal(c.calls, 3);
	assert_int_equal(c.bytes, 3 * 2 * 4096);
	assert_int_equal(find_tag_by_func("other")->ct.lineno, 7);
	assert_false(res.oracles.fired);
	scenario_result_free(&res);
}

static void test_pfn_at_name_claims_the_same_pfn_after_it_was_freed(void **state)
{
	struct scenario_result res;
	struct alloc_tag *tag;

	(void)state;
	run_text("scenario recycle\nmem 256M\n"
		 "early:\n page_ext_init\n alloc p pfn=0x2000\n free p\n"
		 "cpu 0:\n alloc q pfn=@p\n", &res);
	assert_int_equal(res.allocs, 2);
	assert_int_equal(res.alloc_failures, 0);
	assert_int_equal(slot_at(0x2000, &tag), SLOT_TAG);
	assert_string_equal(tag->ct.function, "q");
	scenario_result_free(&res);
}

static void test_claim_of_a_block_still_held_counts_as_a_failure(void **state)
{
	struct scenario_result res;

	(void)state;
	run_text("scenario busy\nmem 256M\n"
		 "early:\n page_ext_init\n alloc p pfn=0x2000\n"
		 "cpu 0:\n alloc q pfn=@p\n alloc r pfn=0x2001 order=1\n", &res);
	assert_int_equal(res.allocs, 1);
	assert_int_equal(res.alloc_failures, 2);	/* held; misaligned */
	assert_int_equal(res.oracles.bad_frees, 0);
	scenario_result_free(&res);
}

static void test_free_early_frees_only_blocks_allocated_in_early(void **state)
{
	struct scenario_result res;

	(void)state;
	run_text("scenario free-early\nmem 256M\n"
		 "early:\n page_ext_init\n alloc e count=3\n alloc both\n"
		 "cpu 0:\n alloc c count=2\n alloc both\n free early\n", &res);
	assert_int_equal(res.allocs, 7);
	assert_int_equal(res.frees, 4);
	assert_int_equal(alloc_tag_read(find_tag_by_func("e")).calls, 0);
	assert_int_equal(alloc_tag_read(find_tag_by_func("c")).calls, 2);
	assert_false(res.oracles.fired);
	scenario_result_free(&res);
}

static void test_free_all_frees_every_live_block_of_every_cpu(void **state)
{
	struct scenario_result res;

	(void)state;
	run_text("scenario free-all\nmem 256M\n"
		 "early:\n page_ext_init\n alloc e count=3\n"
		 "cpu 0:\n alloc c count=2 order=3\n"
		 "cpu 1:\n alloc d\n"
		 "late:\n free all\n free all\n", &res);
	assert_int_equal(res.allocs, 6);
	assert_int_equal(res.frees, 6);
	assert_false(res.oracles.fired);
	scenario_result_free(&res);
}

static void test_free_of_a_name_twice_or_by_two_cpus_frees_each_block_once(void **state)
{
	struct scenario_result res;

	(void)state;
	run_text("scenario once\nmem 256M\n"
		 "early:\n page_ext_init\n alloc p count=4\n"
		 "cpu 1:\n free p\n free p\n"
		 "cpu 2:\n free p\n", &res);
	assert_int_equal(res.frees, 4);
	assert_int_equal(res.oracles.bad_frees, 0);
	assert_false(res.oracles.fired);
	scenario_result_free(&res);
}

static void test_wait_orders_statements_across_cpus(void **state)
{
	struct scenario_result res;
	struct alloc_tag *tag;

	(void)state;
	/* without the wait CPU 0 could claim before CPU 1 allocated and freed p */
	for (int i = 0; i < 20; i++) {
		run_text("scenario ordered\nmem 256M\n"
			 "early:\n page_ext_init\n"
			 "cpu 1:\n alloc p pfn=0x3000\n free p\n signal freed\n"
			 "cpu 0:\n wait freed\n alloc q pfn=@p\n", &res);
		assert_int_equal(res.allocs, 2);
		assert_int_equal(res.alloc_failures, 0);
		assert_int_equal(slot_at(0x3000, &tag), SLOT_TAG);
		assert_string_equal(tag->ct.function, "q");
		scenario_result_free(&res);
	}
}

static void test_wait_for_n_signals_waits_for_all_of_them(void **state)
{
	struct scenario_result res;

	(void)state;
	for (int i = 0; i < 20; i++) {
		run_text("scenario counted-wait\nmem 256M\n"
			 "early:\n page_ext_init\n"
			 "cpu 1:\n alloc a\n signal done\n"
			 "cpu 2:\n alloc b\n signal done\n"
			 "cpu 3:\n wait done 2\n free a\n free b\n", &res);
		assert_int_equal(res.frees, 2);
		scenario_result_free(&res);
	}
}

static void test_locks_and_rcu_statements_run_balanced(void **state)
{
	struct scenario_result res;

	(void)state;
	run_text("scenario locked\nmem 64M\n"
		 "cpu 0:\n lock L\n rcu_read_lock\n rcu_read_unlock\n unlock L\n synchronize_rcu\n"
		 "cpu 1:\n lock L\n unlock L\n", &res);
	assert_false(res.oracles.fired);
	scenario_result_free(&res);
}

static void test_lock_left_held_is_reported_and_released(void **state)
{
	struct scenario_result res;

	(void)state;
	run_text("scenario left-held\nmem 64M\n"
		 "cpu 1:\n lock L\n signal taken\n"
		 "cpu 2:\n wait taken\n lock L\n unlock L\n", &res);
	assert_int_equal(res.oracles.bugs, 1);
	assert_non_null(strstr(sim_log_buffer(), "finished holding lock L"));
	scenario_result_free(&res);
}

static void test_nmi_is_not_armed_under_the_free_backend_and_says_so(void **state)
{
	struct scenario_result res;

	(void)state;
	run_builtin("d3-nmi-in-record", &res);
	assert_non_null(strstr(sim_log_buffer(), "bootsim: d3-nmi-in-record.scn:5: nmi n not "
			       "armed: NMIs are modelled under the controlled backend only"));
	assert_int_equal(res.allocs, 1);	/* p only */
	assert_int_equal(res.frees, 1);
	assert_false(res.oracles.fired);
	scenario_result_free(&res);
}

#define NMI_IN_RECORD							\
	"scenario nmi-bound\nmem 64M\n"					\
	"cpu 0:\n nmi n order=1 at=2\n alloc p\n page_ext_init\n"		\
	" free n\n alloc q order=1 pfn=@n\n free q\n free p\n"

static void test_nmi_inside_record_binds_its_page_to_name_and_completes_from_a2_on(void **state)
{
	static const struct early_pfn_variant *const completing[] = {
		&early_pfn_a2, &early_pfn_a3, &early_pfn_l6,
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(completing); i++) {
		struct scenario_result res;
		struct alloc_tag *tag;

		run_text_controlled(NMI_IN_RECORD, completing[i], &res);
		assert_null(strstr(sim_log_buffer(), "never fired"));
		/* n (by the NMI), p; then q claims n's block: n was freed */
		assert_int_equal(res.allocs, 3);
		assert_int_equal(res.alloc_failures, 0);
		assert_int_equal(res.frees, 3);
		/* both early PFNs were recorded, the nested one included */
		assert_true(res.early.pfns_recorded >= 2);
		assert_int_equal(res.early.slot_missing_allocs,
				 res.early.pfns_recorded + res.early.pfns_skipped_marker);
		tag = find_tag_by_func("n");
		assert_non_null(tag);
		assert_int_equal(tag->ct.lineno, 4);
		assert_true(alloc_tag_is_inaccurate(tag));	/* allocated without a slot */
		assert_false(res.oracles.fired);
		scenario_result_free(&res);
	}
}

static void test_nmi_at_a1_first_point_fires_before_the_lock_is_taken_and_completes(void **state)
{
	struct scenario_result res;

	(void)state;
	run_text_controlled("scenario nmi-at-1\nmem 64M\n"
			    "cpu 0:\n nmi n at=1\n alloc p\n page_ext_init\n"
			    " free n\n alloc q pfn=@n\n free q\n free p\n",
			    &early_pfn_a1, &res);
	assert_null(strstr(sim_log_buffer(), "never fired"));
	assert_int_equal(res.allocs, 3);
	assert_int_equal(res.alloc_failures, 0);
	assert_int_equal(res.frees, 3);
	assert_false(res.oracles.fired);
	scenario_result_free(&res);
}

static void test_nmi_that_never_reaches_its_point_never_fires_and_the_log_says_so(void **state)
{
	struct scenario_result res;

	(void)state;
	/* page_ext first: no allocation reaches RECORD at all */
	run_text_controlled("scenario nmi-idle\nmem 64M\n"
			    "cpu 0:\n page_ext_init\n nmi n at=1\n alloc p\n free p\n",
			    &early_pfn_a1, &res);
	assert_non_null(strstr(sim_log_buffer(), "bootsim: nmi-idle.scn:5: nmi n never fired: "
			       "CPU 0 passed 0 of 1 scheduling points inside RECORD"));
	assert_int_equal(res.allocs, 1);
	assert_false(res.oracles.fired);
	scenario_result_free(&res);
}

static void test_synchronize_rcu_in_a_reader_is_a_bug_not_a_hang_under_free_backend(void **state)
{
	struct scenario_result res;

	(void)state;
	run_builtin("sync-in-reader", &res);
	assert_int_equal(res.oracles.bugs, 1);
	assert_true(res.oracles.fired);
	assert_non_null(strstr(sim_log_buffer(), "synchronize_rcu() inside an RCU"));
	scenario_result_free(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_builtin_parses_with_its_catalogue_name_and_a_description),
		cmocka_unit_test(test_builtin_catalogue_cpus_match_their_cpu_blocks),
		cmocka_unit_test(test_cpus_is_highest_cpu_block_plus_one_and_config_takes_mem_and_publish),
		cmocka_unit_test(test_defaults_are_512m_progressive_and_an_empty_description),
		cmocka_unit_test(test_bits_movable_and_compressed_directives_reach_the_machine_config),
		cmocka_unit_test(test_bad_or_repeated_machine_directives_are_errors),
		cmocka_unit_test(test_machine_the_directives_describe_together_must_be_valid),
		cmocka_unit_test(test_comments_blank_lines_and_indentation_are_ignored),
		cmocka_unit_test(test_unknown_statement_names_line_and_token),
		cmocka_unit_test(test_unknown_or_repeated_alloc_option_is_an_error),
		cmocka_unit_test(test_missing_name_is_an_error),
		cmocka_unit_test(test_bad_numbers_are_errors),
		cmocka_unit_test(test_reference_to_a_name_no_earlier_alloc_bound_is_an_error),
		cmocka_unit_test(test_duplicate_blocks_are_errors),
		cmocka_unit_test(test_statement_outside_a_block_is_an_error),
		cmocka_unit_test(test_header_after_the_first_block_is_an_error),
		cmocka_unit_test(test_unknown_block_header_is_an_error),
		cmocka_unit_test(test_unlock_of_a_lock_never_locked_is_an_error_at_the_unlock),
		cmocka_unit_test(test_missing_scenario_line_is_an_error),
		cmocka_unit_test(test_scenario_without_cpu_block_is_an_error),
		cmocka_unit_test(test_bad_headers_are_errors),
		cmocka_unit_test(test_extra_tokens_after_a_statement_are_an_error),
		cmocka_unit_test(test_wait_nothing_can_satisfy_is_an_error),
		cmocka_unit_test(test_page_ext_section_needs_an_earlier_prepare),
		cmocka_unit_test(test_nmi_statement_parses_with_defaults_and_every_option),
		cmocka_unit_test(test_nmi_statement_errors_name_the_line_and_what_was_expected),
		cmocka_unit_test(test_line_over_4096_characters_is_an_error_not_a_crash),
		cmocka_unit_test(test_load_reads_a_file_and_errors_name_its_path),
		cmocka_unit_test_teardown(test_clean_two_cpus_fires_no_oracle, teardown_log),
		cmocka_unit_test_teardown(test_compressed_scenario_records_no_early_pfn_and_fires_no_oracle, teardown_log),
		cmocka_unit_test_teardown(test_32bit_scenario_allocates_highmem_without_a_kernel_mapping, teardown_log),
		cmocka_unit_test_teardown(test_memalloc_exhaustion_makes_the_tracking_page_allocation_fail_d18, teardown_log),
		cmocka_unit_test_teardown(test_pool_boundary_scenario_fills_the_first_pool_page_exactly, teardown_log),
		cmocka_unit_test_teardown(test_pool_boundary_is_crossed_when_cpu_allocations_precede_page_ext, teardown_log),
		cmocka_unit_test_teardown(test_d7_and_d8_run_to_completion_under_the_free_backend, teardown_log),
		cmocka_unit_test_teardown(test_early_page_is_stamped_empty_by_page_ext_init_on_cpu0, teardown_log),
		cmocka_unit_test_teardown(test_late_free_of_a_stamped_early_page_does_not_warn, teardown_log),
		cmocka_unit_test_teardown(test_late_free_of_a_page_cpu1_allocated_during_page_ext_init_is_clean, teardown_log),
		cmocka_unit_test_teardown(test_alloc_count_makes_count_blocks_under_the_lines_own_tag, teardown_log),
		cmocka_unit_test_teardown(test_pfn_at_name_claims_the_same_pfn_after_it_was_freed, teardown_log),
		cmocka_unit_test_teardown(test_claim_of_a_block_still_held_counts_as_a_failure, teardown_log),
		cmocka_unit_test_teardown(test_free_early_frees_only_blocks_allocated_in_early, teardown_log),
		cmocka_unit_test_teardown(test_free_all_frees_every_live_block_of_every_cpu, teardown_log),
		cmocka_unit_test_teardown(test_free_of_a_name_twice_or_by_two_cpus_frees_each_block_once, teardown_log),
		cmocka_unit_test_teardown(test_wait_orders_statements_across_cpus, teardown_log),
		cmocka_unit_test_teardown(test_wait_for_n_signals_waits_for_all_of_them, teardown_log),
		cmocka_unit_test_teardown(test_locks_and_rcu_statements_run_balanced, teardown_log),
		cmocka_unit_test_teardown(test_lock_left_held_is_reported_and_released, teardown_log),
		cmocka_unit_test_teardown(test_synchronize_rcu_in_a_reader_is_a_bug_not_a_hang_under_free_backend, teardown_log),
		cmocka_unit_test_teardown(test_nmi_is_not_armed_under_the_free_backend_and_says_so, teardown_log),
		cmocka_unit_test_teardown(test_nmi_inside_record_binds_its_page_to_name_and_completes_from_a2_on, teardown_log),
		cmocka_unit_test_teardown(test_nmi_at_a1_first_point_fires_before_the_lock_is_taken_and_completes, teardown_log),
		cmocka_unit_test_teardown(test_nmi_that_never_reaches_its_point_never_fires_and_the_log_says_so, teardown_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
