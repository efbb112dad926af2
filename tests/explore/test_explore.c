// SPDX-License-Identifier: GPL-2.0
/*
 * `bootsim explore` end to end: the strategies find the D7 window of the
 * merged code (§3.10, §4 D7), a printed schedule replays to the identical
 * report, DFS proves a race-free scenario clean, and deadlocks, hangs and
 * crashes of the modelled code are findings, not bootsim failures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sim/cli.h"
#include "tests/unit/test_util.h"

struct run {
	int status;
	char *out, *err;
	size_t out_len, err_len;
};

/* bootsim with @args (NULL-terminated), then @extra (NULL-terminated, or NULL). */
static void run_cli_args(struct run *r, const char *const *args, const char *const *extra)
{
	char *argv[64];
	int argc = 0;
	FILE *out, *err;

	argv[argc++] = "bootsim";
	for (; args && *args; args++)
		argv[argc++] = (char *)*args;
	for (; extra && *extra; extra++)
		argv[argc++] = (char *)*extra;
	argv[argc] = NULL;
	out = open_memstream(&r->out, &r->out_len);
	err = open_memstream(&r->err, &r->err_len);
	assert_non_null(out);
	assert_non_null(err);
	r->status = bootsim_main(argc, argv, out, err);
	fclose(out);
	fclose(err);
}

static void run_cli(struct run *r, const char *first, ...)
{
	const char *args[64];
	int n = 0;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	run_cli_args(r, args, NULL);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* The value after "key" up to the end of its line, or NULL. */
static char *line_value(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	size_t n;

	if (!p)
		return NULL;
	p += strlen(key);
	n = strcspn(p, "\n");
	return strndup(p, n);
}

static unsigned long executions_of(const char *text)
{
	const char *p = strstr(text, ": ");

	/* "strategy pct, seed 1: 2123 executions (...)" */
	p = strstr(text, "seed ");
	assert_non_null(p);
	p = strchr(p, ':');
	assert_non_null(p);
	return strtoul(p + 1, NULL, 10);
}

static void assert_d7_leak_found(const struct run *r)
{
	assert_int_equal(r->status, 1);
	assert_non_null(strstr(r->out, "finding: oracle fired"));
	/* D7: the owner's tag loses one page for good, and nothing warns */
	assert_non_null(strstr(r->out, "warnings: none"));
	assert_non_null(strstr(r->out, "leak: +4096 bytes +1 calls  d7-clear-vs-alloc.scn:"));
	assert_non_null(strstr(r->out, "CLEAR reads pfn"));
	assert_non_null(strstr(r->out, "slot := q"));
	assert_non_null(strstr(r->out, "replay: bootsim explore --scenario d7-clear-vs-alloc"));
}

static void test_pct_finds_the_d7_lost_reference_on_l6(void **state)
{
	struct run r;

	run_cli(&r, "explore", "--scenario", "d7-clear-vs-alloc", "--variant", "L6",
		"--strategy", "pct", "--seed", "1", "--runs", "6000", "--no-progress", NULL);
	assert_d7_leak_found(&r);
	/* measured: 2123 executions with seed 1 */
	assert_true(executions_of(r.out) <= 6000);
	run_free(&r);
}

static void test_dfs_finds_the_d7_lost_reference_on_l6(void **state)
{
	struct run r;

	run_cli(&r, "explore", "--scenario", "d7-clear-vs-alloc", "--variant", "L6",
		"--strategy", "dfs", "--preemptions", "1", "--no-progress", NULL);
	assert_d7_leak_found(&r);
	/* measured: 31 executions */
	assert_true(executions_of(r.out) <= 1000);
	run_free(&r);
}

/*
 * Run @machine (the explore arguments that name the machine) with @found's
 * printed schedule: from the finding on, the reports are the same bytes.
 */
static void assert_schedule_replays(const struct run *found, const char *const *machine)
{
	struct run replay;
	const char *schedule[3] = { "--schedule", NULL, NULL };

	assert_int_equal(found->status, 1);
	schedule[1] = line_value(found->out, "\nschedule: ");
	assert_non_null(schedule[1]);
	run_cli_args(&replay, machine, schedule);
	assert_int_equal(replay.status, 1);
	assert_non_null(strstr(replay.out, "finding: "));
	assert_string_equal(strstr(found->out, "finding: "), strstr(replay.out, "finding: "));
	free((char *)schedule[1]);
	run_free(&replay);
}

static void test_printed_schedule_replays_the_identical_finding(void **state)
{
	static const char *const machine[] = {
		"explore", "--scenario", "d7-clear-vs-alloc", NULL,
	};
	struct run found;

	run_cli(&found, "explore", "--scenario", "d7-clear-vs-alloc", "--strategy", "dfs",
		"--preemptions", "1", "--no-progress", NULL);
	/* exactly the printed replay command */
	assert_non_null(strstr(found.out, "replay: bootsim explore --scenario d7-clear-vs-alloc "
			       "--schedule"));
	assert_schedule_replays(&found, machine);
	run_free(&found);
}

/*
 * Per-CPU page lists under the controlled backend: the pcp lock is a
 * trylock point like any spinlock, so a --pcp boot explores and its printed
 * schedule (which carries --pcp) replays to the identical report.
 */
static void test_pcp_boot_schedule_replays_the_identical_finding(void **state)
{
	static const char *const machine[] = {
		"explore", "--boot", "--pcp", "--mem", "256M", "--cpus", "2", "--variant", "L6",
		NULL,
	};
	static const char *const search[] = { "--runs", "200", "--no-progress", NULL };
	struct run found;

	run_cli_args(&found, machine, search);
	assert_non_null(strstr(found.out, "\"alloc_tag was not set\""));
	assert_non_null(strstr(found.out, "replay: bootsim explore --boot --pcp --mem 256M"));
	assert_schedule_replays(&found, machine);
	run_free(&found);
}

static void test_dfs_exhausts_a_scenario_without_a_defect(void **state)
{
	struct run r;

	run_cli(&r, "explore", "--scenario", "clean-two-cpus", "--strategy", "dfs",
		"--preemptions", "1", "--no-progress", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "no oracle fired in 763 executions"));
	assert_non_null(strstr(r.out, "the schedule space is exhausted"));
	run_free(&r);
}

static void test_dfs_shards_split_the_tree_without_overlap(void **state)
{
	struct run a, b;

	run_cli(&a, "explore", "--scenario", "clean-two-cpus", "--strategy", "dfs",
		"--preemptions", "1", "--shard", "0/2", "--no-progress", NULL);
	run_cli(&b, "explore", "--scenario", "clean-two-cpus", "--strategy", "dfs",
		"--preemptions", "1", "--shard", "1/2", "--no-progress", NULL);
	assert_int_equal(a.status, 0);
	assert_int_equal(b.status, 0);
	assert_non_null(strstr(a.out, "exhausted"));
	assert_non_null(strstr(b.out, "exhausted"));
	assert_int_equal(strtoul(strstr(a.out, "fired in ") + 9, NULL, 10) +
			 strtoul(strstr(b.out, "fired in ") + 9, NULL, 10), 763);
	run_free(&a);
	run_free(&b);
}

static void test_abba_scenario_is_reported_as_a_deadlock_not_a_hang(void **state)
{
	struct run r;

	run_cli(&r, "explore", "--scenario", "abba-deadlock", "--strategy", "dfs",
		"--no-progress", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "finding: deadlock"));
	assert_non_null(strstr(r.out, "waits for spinlock A held by CPU"));
	assert_non_null(strstr(r.out, "waits for spinlock B held by CPU"));
	assert_non_null(strstr(r.out, "replay: "));
	run_free(&r);
}

static void test_synchronize_rcu_in_a_reader_is_a_deadlock(void **state)
{
	struct run r;

	run_cli(&r, "explore", "--scenario", "sync-in-reader", "--no-progress", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "finding: deadlock"));
	assert_non_null(strstr(r.out, "in synchronize_rcu(), waiting for the reader on CPU 0"));
	run_free(&r);
}

static void test_nmi_inside_a1_record_is_reported_as_a_hard_lockup_d3(void **state)
{
	struct run r;

	run_cli(&r, "explore", "--scenario", "d3-nmi-in-record", "--variant", "A1",
		"--strategy", "dfs", "--no-progress", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "finding: deadlock"));
	assert_non_null(strstr(r.out, "CPU 0 (swapper/0): watchdog: Watchdog detected hard "
			       "LOCKUP on cpu 0: spins in NMI context on spinlock "
			       "early_pfn_lock, which CPU 0 itself holds"));
	assert_non_null(strstr(r.out, "NMI handler: alloc_pages_nolock(order 0) for n"));
	assert_non_null(strstr(r.out, "replay: bootsim explore --scenario d3-nmi-in-record "
			       "--variant A1 --schedule"));
	run_free(&r);
}

static void test_nmi_inside_a2_record_completes_without_a_finding(void **state)
{
	struct run r;

	run_cli(&r, "explore", "--scenario", "d3-nmi-in-record", "--variant", "A2",
		"--strategy", "dfs", "--no-progress", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "no oracle fired in 1 executions"));
	assert_non_null(strstr(r.out, "the schedule space is exhausted"));
	run_free(&r);
}

static void test_nmi_before_a1_takes_its_lock_completes(void **state)
{
	char path[] = "/tmp/bootsim-nmi-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct run r;

	assert_non_null(f);
	/* at=1: spin_lock's point, before the lock is taken */
	fputs("scenario nmi-at-1\nmem 64M\n"
	      "cpu 0:\n  nmi n at=1\n  alloc p\n  page_ext_init\n  free n\n  free p\n"
	      "cpu 1:\n  alloc q\n", f);
	fclose(f);
	run_cli(&r, "explore", "--scenario", path, "--variant", "A1", "--strategy", "dfs",
		"--preemptions", "1", "--no-progress", NULL);
	unlink(path);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "the schedule space is exhausted"));
	run_free(&r);
}

static void test_crash_in_modelled_code_is_an_oops_and_exploration_survives(void **state)
{
	char path[] = "/tmp/bootsim-oops-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct run r;

	assert_non_null(f);
	fputs("scenario oops-test\n"
	      "cpu 0:\n  alloc a order=0\n"
	      "cpu 1:\n  alloc b order=0\n  oops\n", f);
	fclose(f);
	run_cli(&r, "explore", "--scenario", path, "--strategy", "random", "--no-progress", NULL);
	unlink(path);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "finding: oops"));
	assert_non_null(strstr(r.out, "died with Segmentation fault on CPU 1"));
	assert_non_null(strstr(r.out, "last scheduling points of CPU 1"));
	assert_non_null(strstr(r.out, "run_statement: oops"));
	run_free(&r);
}

static void test_step_budget_turns_a_long_execution_into_a_hang(void **state)
{
	struct run r;

	run_cli(&r, "explore", "--scenario", "d12-loser-slotless", "--max-steps", "200",
		"--no-progress", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "finding: hang (step budget)"));
	run_free(&r);
}

static void test_json_report_has_schedule_timeline_and_oracles(void **state)
{
	struct run r;

	run_cli(&r, "explore", "--scenario", "d8-free-in-window", "--json", "--no-progress", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "\"command\": \"explore\""));
	assert_non_null(strstr(r.out, "\"schedule\": \"0:"));
	assert_non_null(strstr(r.out, "\"timeline\": ["));
	assert_non_null(strstr(r.out, "\"replay\": \"bootsim explore --scenario d8-free-in-window"));
	assert_non_null(strstr(r.out, "\"text\": \"alloc_tag was not set\""));
	assert_non_null(strstr(r.out, "\"exit_status\": 1"));
	run_free(&r);
}

static void test_bad_schedules_are_usage_errors(void **state)
{
	struct run r;

	run_cli(&r, "explore", "--scenario", "d8-free-in-window", "--schedule", "0:x", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--schedule: at character 3"));
	run_free(&r);

	run_cli(&r, "explore", "--scenario", "d8-free-in-window", "--schedule", "7:1", NULL);
	assert_int_equal(r.status, 2);
	run_free(&r);

	/* CPU 1 has long finished when the schedule asks for it again */
	run_cli(&r, "explore", "--scenario", "d8-free-in-window", "--schedule",
		"1:50,0:2000,1:1", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "is not runnable"));
	run_free(&r);
}

static void test_explore_needs_exactly_one_target(void **state)
{
	struct run r;

	run_cli(&r, "explore", "--variant", "L6", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--scenario NAME, --defect D, --trace FILE or --boot"));
	run_free(&r);
	run_cli(&r, "explore", "--scenario", "no-such-scenario", NULL);
	assert_int_equal(r.status, 2);
	run_free(&r);
}

static void test_scenarios_lists_the_catalogue(void **state)
{
	struct run r;

	run_cli(&r, "scenarios", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "d7-clear-vs-alloc"));
	assert_non_null(strstr(r.out, "d12-loser-slotless"));
	assert_non_null(strstr(r.out, "d18-tracking-alloc-fails"));
	assert_non_null(strstr(r.out, "abba-deadlock"));
	run_free(&r);
}

static void test_boot_explores_under_the_controlled_backend(void **state)
{
	struct run r;

	/* a small boot: every execution is clean on L6 with these options */
	run_cli(&r, "explore", "--boot", "--cpus", "2", "--mem", "256M", "--base-early", "4",
		"--per-cpu-early", "1", "--stacks-per-cpu", "1", "--churn-ops", "4",
		"--strategy", "random", "--runs", "5", "--no-progress", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "no oracle fired in 5 executions"));
	run_free(&r);
}

/*
 * A recorded boot with no early page freed in the window replays cleanly in
 * the file's order; racing its per-CPU sequences lets another CPU free an
 * early page after its section got page_ext but before CLEAR (D8).
 */
static void test_trace_exploration_finds_a_window_free_the_file_order_hides_d8(void **state)
{
	char path[] = "/tmp/bootsim-explore-trace-XXXXXX";
	char *schedule;
	struct run r;

	(void)state;
	close(mkstemp(path));
	run_cli(&r, "boot", "--mode", "controlled", "--cpus", "4", "--mem", "2G",
		"--stacks-per-cpu", "0", "--record", path, "--quiet", NULL);
	assert_int_equal(r.status, 0);
	run_free(&r);
	run_cli(&r, "replay", path, "--quiet", NULL);
	assert_int_equal(r.status, 0);
	run_free(&r);
	run_cli(&r, "explore", "--trace", path, "--runs", "300", "--no-progress", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "\"alloc_tag was not set\""));
	schedule = line_value(r.out, "schedule: ");
	assert_non_null(schedule);
	run_free(&r);
	/* the printed schedule replays the finding */
	run_cli(&r, "explore", "--trace", path, "--schedule", schedule, NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "\"alloc_tag was not set\""));
	run_free(&r);
	free(schedule);
	unlink(path);
}

#define TRACE_LINE	"       swapper/0-1       [000] .....     1.000000: "
#define TRACE_ALLOC	TRACE_LINE "mm_page_alloc: page=0 pfn=0x1000 order=0 migratetype=0 " \
			"gfp_flags=GFP_KERNEL\n"
#define TRACE_FREE	TRACE_LINE "mm_page_free: page=0 pfn=0x1000 order=0\n"

/* replay's --lenient, --page-ext-at, --tag-by and --mem reach the trace. */
static void test_trace_exploration_takes_the_replay_options(void **state)
{
	char twice[] = "/tmp/bootsim-explore-trace-XXXXXX";
	char once[] = "/tmp/bootsim-explore-trace-XXXXXX";
	struct run r;

	(void)state;
	write_temp_trace(twice, TRACE_ALLOC TRACE_FREE TRACE_FREE);
	write_temp_trace(once, TRACE_ALLOC TRACE_FREE);
	/* bad input is a usage error naming file:line, as in replay */
	run_cli(&r, "explore", "--trace", twice, "--runs", "3", "--no-progress", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, ":3: found a free of pfn=0x1000"));
	run_free(&r);
	run_cli(&r, "explore", "--trace", twice, "--runs", "3", "--no-progress", "--lenient",
		NULL);
	assert_int_equal(r.status, 0);
	run_free(&r);
	/* page_ext at line 2: the allocation was early, and `none` never stamps it (D1) */
	run_cli(&r, "explore", "--trace", once, "--variant", "none", "--runs", "3",
		"--no-progress", NULL);
	assert_int_equal(r.status, 0);
	run_free(&r);
	run_cli(&r, "explore", "--trace", once, "--variant", "none", "--page-ext-at", "2",
		"--runs", "3", "--no-progress", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "\"alloc_tag was not set\""));
	assert_non_null(strstr(r.out, "--page-ext-at 2 --schedule "));
	run_free(&r);
	run_cli(&r, "explore", "--trace", once, "--mem", "16M", "--runs", "3", "--no-progress",
		NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, ":1: found pfn=0x1000 order=0; expected a block below"));
	run_free(&r);
	run_cli(&r, "explore", "--trace", once, "--tag-by", "name", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--tag-by: expected 'task' or 'gfp', got 'name'"));
	run_free(&r);
	run_cli(&r, "explore", "--boot", "--lenient", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--lenient applies to --trace FILE only"));
	run_free(&r);
	unlink(twice);
	unlink(once);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pct_finds_the_d7_lost_reference_on_l6),
		cmocka_unit_test(test_dfs_finds_the_d7_lost_reference_on_l6),
		cmocka_unit_test(test_printed_schedule_replays_the_identical_finding),
		cmocka_unit_test(test_pcp_boot_schedule_replays_the_identical_finding),
		cmocka_unit_test(test_dfs_exhausts_a_scenario_without_a_defect),
		cmocka_unit_test(test_dfs_shards_split_the_tree_without_overlap),
		cmocka_unit_test(test_abba_scenario_is_reported_as_a_deadlock_not_a_hang),
		cmocka_unit_test(test_synchronize_rcu_in_a_reader_is_a_deadlock),
		cmocka_unit_test(test_nmi_inside_a1_record_is_reported_as_a_hard_lockup_d3),
		cmocka_unit_test(test_nmi_inside_a2_record_completes_without_a_finding),
		cmocka_unit_test(test_nmi_before_a1_takes_its_lock_completes),
		cmocka_unit_test(test_crash_in_modelled_code_is_an_oops_and_exploration_survives),
		cmocka_unit_test(test_step_budget_turns_a_long_execution_into_a_hang),
		cmocka_unit_test(test_json_report_has_schedule_timeline_and_oracles),
		cmocka_unit_test(test_bad_schedules_are_usage_errors),
		cmocka_unit_test(test_explore_needs_exactly_one_target),
		cmocka_unit_test(test_scenarios_lists_the_catalogue),
		cmocka_unit_test(test_boot_explores_under_the_controlled_backend),
		cmocka_unit_test(test_trace_exploration_finds_a_window_free_the_file_order_hides_d8),
		cmocka_unit_test(test_trace_exploration_takes_the_replay_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
