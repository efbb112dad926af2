// SPDX-License-Identifier: GPL-2.0
/*
 * `boot --record FILE` (sim/trace_record.h): the recorded boot in the text
 * /sys/kernel/tracing/trace prints -- header, the kernel's line prefix, one
 * mm_page_alloc per traced allocation, one mm_page_free per free, the kernel
 * log as console events, bootsim markers in boot order -- byte-identical
 * across controlled runs and without any effect on the schedule.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "test_util.h"
#include "sim/boot.h"
#include "sim/cli.h"
#include "sim/strategy.h"
#include "sim/trace_record.h"
#include "sim/core/controlled.h"

#define MEM_8G		(8ULL << 30)
#define HEADER_LINES	12

static struct boot_options opt;
static struct boot_result res;
static bool booted;
static char path[64];
static char *file_buf;
static size_t file_len;
static char **lines;
static size_t nr_lines;

/* One event line, split at the kernel's fixed columns. */
struct ev_line {
	char task[17];
	int pid, cpu;
	unsigned long long us;
	char event[32];
	const char *text;		/* after "event: " */
};

static void free_file(void)
{
	free(file_buf);
	free(lines);
	file_buf = NULL;
	lines = NULL;
	nr_lines = 0;
}

static int teardown(void **state)
{
	(void)state;
	if (booted)
		boot_result_free(&res);
	booted = false;
	free_file();
	if (path[0])
		unlink(path);
	path[0] = '\0';
	return 0;
}

static void new_path(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/bootsim-record-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
}

static void load_file(const char *p)
{
	FILE *f = fopen(p, "r");
	size_t cap = 0;

	assert_non_null(f);
	free_file();
	fseek(f, 0, SEEK_END);
	file_len = (size_t)ftell(f);
	rewind(f);
	file_buf = malloc(file_len + 1);
	assert_non_null(file_buf);
	assert_int_equal(fread(file_buf, 1, file_len, f), file_len);
	file_buf[file_len] = '\0';
	fclose(f);
	for (char *s = file_buf, *nl; *s; s = nl + 1) {
		nl = strchr(s, '\n');
		assert_non_null(nl);		/* every line ends with '\n' */
		*nl = '\0';
		if (nr_lines == cap) {
			cap = cap ? cap * 2 : 1024;
			lines = realloc(lines, cap * sizeof(*lines));
			assert_non_null(lines);
		}
		lines[nr_lines++] = s;
	}
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* "%16s-%-7d [%03d] ..... %5llu.%06llu: event: text", column by column. */
static bool parse_line(const char *l, struct ev_line *e)
{
	size_t i, n;
	const char *colon;

	if (strlen(l) < 52)
		return false;
	for (i = 0; i < 16 && l[i] == ' '; i++)
		;
	if (i == 16 || l[16] != '-')
		return false;
	memcpy(e->task, l + i, 16 - i);
	e->task[16 - i] = '\0';
	for (n = 0; n < 7 && l[17 + n] != ' '; n++)
		;
	if (!all_digits(l + 17, n))
		return false;
	for (i = 17 + n; i < 24; i++)
		if (l[i] != ' ')
			return false;
	e->pid = atoi(l + 17);
	if (strncmp(l + 24, " [", 2) || !all_digits(l + 26, 3) || strncmp(l + 29, "] ..... ", 8))
		return false;
	e->cpu = atoi(l + 26);
	for (i = 37; i < 42 && l[i] == ' '; i++)
		;
	if (!all_digits(l + i, 42 - i) || l[42] != '.' || !all_digits(l + 43, 6) ||
	    strncmp(l + 49, ": ", 2))
		return false;
	e->us = strtoull(l + i, NULL, 10) * 1000000 + strtoull(l + 43, NULL, 10);
	colon = strstr(l + 51, ": ");
	if (!colon || (size_t)(colon - (l + 51)) >= sizeof(e->event))
		return false;
	memcpy(e->event, l + 51, (size_t)(colon - (l + 51)));
	e->event[colon - (l + 51)] = '\0';
	e->text = colon + 2;
	return true;
}

static void parse_event(size_t i, struct ev_line *e)
{
	if (!parse_line(lines[i], e))
		fail_msg("line %zu does not have the ftrace prefix: '%s'", i + 1, lines[i]);
}

static size_t count_events(const char *event)
{
	size_t n = 0;
	struct ev_line e;

	for (size_t i = HEADER_LINES; i < nr_lines; i++) {
		parse_event(i, &e);
		n += !strcmp(e.event, event);
	}
	return n;
}

/* Index of the first line from @from whose event text is @text, or SIZE_MAX. */
static size_t find_text(size_t from, const char *event, const char *text)
{
	struct ev_line e;

	for (size_t i = from > HEADER_LINES ? from : HEADER_LINES; i < nr_lines; i++) {
		parse_event(i, &e);
		if (!strcmp(e.event, event) && !strcmp(e.text, text))
			return i;
	}
	return SIZE_MAX;
}

/* The controlled backend's decisions, as a count and a hash. */
struct sched_log {
	struct chooser *ch;
	uint64_t hash;
	unsigned long n;
};

static int choose_logged(void *priv, const struct sim_ctl_decision *d)
{
	struct sched_log *l = priv;
	int cpu = chooser_choose(l->ch, d);

	l->hash = (l->hash ^ (uint64_t)(cpu + 1)) * 1099511628211ULL;
	l->n++;
	return cpu;
}

static void controlled_boot(struct sched_log *l)
{
	struct exec_plan plan = { .kind = PLAN_RANDOM, .seed = opt.seed };
	struct sim_ctl_hooks hooks = { .choose = choose_logged, .priv = l };
	char err[256];

	l->ch = chooser_new(&plan, opt.machine.cpus);
	l->hash = 14695981039346656037ULL;
	l->n = 0;
	assert_non_null(l->ch);
	assert_int_equal(sim_ctl_begin(opt.machine.cpus, &hooks), 0);
	assert_int_equal(boot_run(&opt, &res, err, sizeof(err)), 0);
	sim_ctl_end();
	chooser_free(l->ch);
	booted = true;
}

static void boot_options(unsigned int cpus)
{
	boot_options_defaults(&opt);
	opt.machine.cpus = cpus;
	opt.machine.mem_bytes = MEM_8G;
	opt.log = NULL;
}

/* Boot @cpus CPUs (free backend, or controlled when @l) with --record. */
static void record_boot(unsigned int cpus, struct sched_log *l)
{
	struct trace_record *rec;
	char err[256];

	new_path();
	rec = trace_record_open(path);
	assert_non_null(rec);
	opt.record = rec;
	if (l) {
		controlled_boot(l);
	} else {
		assert_int_equal(boot_run(&opt, &res, err, sizeof(err)), 0);
		booted = true;
	}
	assert_int_equal(trace_record_write(rec), 0);
	assert_int_equal(trace_record_close(rec), 0);
	opt.record = NULL;
	load_file(path);
}

static void zone_calls(unsigned long *allocs, unsigned long *frees)
{
	struct mem_zone_stats zs[MAX_NR_ZONES];
	int n = mem_zone_stats(zs, MAX_NR_ZONES);

	*allocs = *frees = 0;
	for (int i = 0; i < n; i++) {
		*allocs += zs[i].nr_alloc_calls;
		*frees += zs[i].nr_free_calls;
	}
}

static long bulk_pages(unsigned int cpus)
{
	return (long)opt.wl.stacks_per_cpu * opt.wl.stack_pages * cpus;
}

/* ------------------------------------------------------------------ */

static void test_recorded_file_starts_with_the_ftrace_header(void **state)
{
	char want[128];

	(void)state;
	boot_options(4);
	record_boot(4, NULL);
	assert_true(nr_lines > HEADER_LINES);
	assert_string_equal(lines[0], "# tracer: nop");
	assert_string_equal(lines[1], "#");
	snprintf(want, sizeof(want), "# entries-in-buffer/entries-written: %zu/%zu   #P:4",
		 nr_lines - HEADER_LINES, nr_lines - HEADER_LINES);
	assert_string_equal(lines[2], want);
	assert_string_equal(lines[3], "#");
	assert_string_equal(lines[4], "#                                _-----=> irqs-off/BH-disabled");
	assert_string_equal(lines[5], "#                               / _----=> need-resched");
	assert_string_equal(lines[6], "#                              | / _---=> hardirq/softirq");
	assert_string_equal(lines[7], "#                              || / _--=> preempt-depth");
	assert_string_equal(lines[8], "#                              ||| / _-=> migrate-disable");
	assert_string_equal(lines[9], "#                              |||| /     delay");
	assert_string_equal(lines[10], "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION");
	assert_string_equal(lines[11], "#              | |         |   |||||     |         |");
	for (size_t i = HEADER_LINES; i < nr_lines; i++)
		assert_true(lines[i][0] != '#');
}

static void test_every_line_has_the_kernel_prefix_task_cpu_and_merged_time(void **state)
{
	unsigned long long prev = 0;
	struct ev_line e;

	(void)state;
	boot_options(4);
	record_boot(4, NULL);
	for (size_t i = HEADER_LINES; i < nr_lines; i++) {
		char want[17];
		int cpu;

		parse_event(i, &e);
		if (!strcmp(e.task, "swapper/0")) {
			assert_int_equal(e.pid, 0);
			assert_int_equal(e.cpu, 0);
		} else if (!strcmp(e.task, "init")) {
			assert_int_equal(e.pid, 1);
			assert_int_equal(e.cpu, 0);
		} else if (sscanf(e.task, "cpuhp/%d", &cpu) == 1) {
			snprintf(want, sizeof(want), "cpuhp/%d", e.cpu);
			assert_string_equal(e.task, want);
			assert_int_equal(e.pid, 10 + e.cpu);
		} else {
			snprintf(want, sizeof(want), "kworker/%d:1", e.cpu);
			assert_string_equal(e.task, want);
			assert_int_equal(e.pid, 1000 + e.cpu);
		}
		assert_true(e.cpu >= 0 && e.cpu < 4);
		assert_true(!strcmp(e.event, "mm_page_alloc") || !strcmp(e.event, "mm_page_free") ||
			    !strcmp(e.event, "console") || !strcmp(e.event, "bootsim_marker"));
		/* merged across CPUs by timestamp, as the kernel's trace file */
		assert_true(e.us >= prev);
		prev = e.us;
	}
}

static void test_alloc_and_free_lines_give_pfn_as_page_order_and_kernel_gfp_names(void **state)
{
	bool slab = false, pcpu = false;
	struct ev_line e;

	(void)state;
	boot_options(2);
	record_boot(2, NULL);
	for (size_t i = HEADER_LINES; i < nr_lines; i++) {
		unsigned long long page, pfn;
		unsigned int order;
		int mt, n = 0;
		char gfp[256];

		parse_event(i, &e);
		if (!strcmp(e.event, "mm_page_alloc")) {
			assert_int_equal(sscanf(e.text, "page=%16llx pfn=0x%llx order=%u migratetype=%d "
						"gfp_flags=%255s%n", &page, &pfn, &order, &mt, gfp, &n), 5);
			assert_int_equal(e.text[n], '\0');
			assert_int_equal(strncmp(e.text + 5, "0000", 4), 0);	/* %016lx */
			slab |= !strcmp(gfp, "GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP");
			pcpu |= !strcmp(gfp, "GFP_KERNEL|__GFP_ZERO");
		} else if (!strcmp(e.event, "mm_page_free")) {
			assert_int_equal(sscanf(e.text, "page=%16llx pfn=0x%llx order=%u%n",
						&page, &pfn, &order, &n), 3);
			assert_int_equal(e.text[n], '\0');
		} else {
			continue;
		}
		assert_int_equal(page, pfn);
		assert_true(order <= MAX_PAGE_ORDER);
	}
	assert_true(slab);
	assert_true(pcpu);
}

/*
 * Bulk allocations emit no mm_page_alloc (traces/README.md item 4); the
 * allocations the tagging hook, the page_ext walk and kmemleak make do.
 */
static void test_one_mm_page_alloc_per_allocation_the_boot_counts_plus_the_walks_own(void **state)
{
	unsigned long zone_allocs, zone_frees;

	(void)state;
	boot_options(4);
	record_boot(4, NULL);
	assert_int_equal(res.alloc_failures, 0);
	assert_int_equal(count_events("mm_page_alloc"),
			 res.allocs - bulk_pages(4) + res.early.tracking_pages_alloc +
			 (long)res.page_ext.sections_published +
			 (long)res.page_ext.kmemleak_slab_pages);
	zone_calls(&zone_allocs, &zone_frees);
	assert_int_equal(count_events("mm_page_alloc"), zone_allocs - bulk_pages(4));
}

static void test_one_mm_page_free_per_free_including_tracking_pages(void **state)
{
	unsigned long zone_allocs, zone_frees;

	(void)state;
	boot_options(4);
	record_boot(4, NULL);
	assert_int_equal(count_events("mm_page_free"),
			 res.frees + res.early.tracking_pages_freed_clear +
			 res.early.tracking_pages_lost_race);
	zone_calls(&zone_allocs, &zone_frees);
	assert_int_equal(count_events("mm_page_free"), zone_frees);
}

/* Every free matches a live traced block, except the bulk-allocated pages. */
static void test_frees_without_an_alloc_line_are_exactly_the_bulk_pages(void **state)
{
	unsigned long max = MEM_8G >> PAGE_SHIFT;
	signed char *live = calloc(max, 1);	/* order + 1 of a live traced block */
	long unmatched = 0;
	struct ev_line e;

	(void)state;
	assert_non_null(live);
	boot_options(2);
	record_boot(2, NULL);
	for (size_t i = HEADER_LINES; i < nr_lines; i++) {
		unsigned long long page, pfn;
		unsigned int order;

		parse_event(i, &e);
		if (strcmp(e.event, "mm_page_alloc") && strcmp(e.event, "mm_page_free"))
			continue;
		assert_int_equal(sscanf(e.text, "page=%llx pfn=0x%llx order=%u", &page, &pfn,
					&order), 3);
		assert_true(pfn < max);
		if (!strcmp(e.event, "mm_page_alloc")) {
			assert_int_equal(live[pfn], 0);
			live[pfn] = (signed char)(order + 1);
		} else if (live[pfn]) {
			assert_int_equal(live[pfn], order + 1);
			live[pfn] = 0;
		} else {
			assert_int_equal(order, 0);
			unmatched++;
		}
	}
	free(live);
	assert_int_equal(unmatched, bulk_pages(2));
}

static void test_markers_appear_in_boot_order(void **state)
{
	size_t start, clear_start, clear_done, done, prev;
	unsigned long sections = 0;
	struct ev_line e;

	(void)state;
	boot_options(4);
	record_boot(4, NULL);
	start = find_text(0, "bootsim_marker", "page_ext_init start");
	clear_start = find_text(0, "bootsim_marker", "clear_early_alloc_pfn_tag_refs start");
	clear_done = find_text(0, "bootsim_marker", "clear_early_alloc_pfn_tag_refs done");
	done = find_text(0, "bootsim_marker", "page_ext_init done");
	assert_true(start < clear_start);
	assert_true(clear_start < clear_done);
	assert_true(clear_done < done);
	assert_true(done < nr_lines);
	/* progressive walk: sections in order, all between start and CLEAR */
	prev = start;
	for (size_t i = HEADER_LINES; i < nr_lines; i++) {
		unsigned long nr;
		char tail[16];

		parse_event(i, &e);
		if (strcmp(e.event, "bootsim_marker") ||
		    sscanf(e.text, "page_ext section=%lu %15s", &nr, tail) != 2)
			continue;
		assert_string_equal(tail, "published");
		assert_int_equal(nr, sections);
		assert_true(i > prev && i < clear_start);
		/* deferred boot: the init task runs page_ext_init() on CPU 0 */
		assert_string_equal(e.task, "init");
		assert_int_equal(e.cpu, 0);
		prev = i;
		sections++;
	}
	assert_int_equal(sections, res.page_ext.sections_published);
	assert_int_equal(count_events("bootsim_marker"), 4 + sections);
}

static void test_console_lines_carry_the_page_ext_message_after_the_walk(void **state)
{
	char text[64];
	size_t at;

	(void)state;
	boot_options(4);
	record_boot(4, NULL);
	snprintf(text, sizeof(text), "allocated %ld bytes of page_ext", res.page_ext.total_usage);
	at = find_text(0, "console", text);
	assert_true(at < nr_lines);
	assert_true(at > find_text(0, "bootsim_marker", "page_ext section=63 published"));
	assert_true(at < find_text(0, "bootsim_marker", "clear_early_alloc_pfn_tag_refs start"));
}

static void test_each_line_of_a_warning_is_its_own_console_event(void **state)
{
	struct sched_log l;
	size_t cut;
	struct ev_line e;

	(void)state;
	boot_options(2);
	opt.machine.variant = early_pfn_lookup("none");	/* nothing stamps early pages */
	record_boot(2, &l);
	assert_true(res.oracles.warnings > 0);
	cut = find_text(0, "console", "------------[ cut here ]------------");
	assert_true(cut + 3 < nr_lines);
	parse_event(cut + 1, &e);
	assert_string_equal(e.text, "alloc_tag was not set");
	parse_event(cut + 2, &e);
	assert_int_equal(strncmp(e.text, "WARNING: CPU: ", 14), 0);
	parse_event(cut + 3, &e);
	assert_string_equal(e.text, "---[ end trace ]---");
	/* the free whose subtraction warned comes first */
	parse_event(cut - 1, &e);
	assert_string_equal(e.event, "mm_page_free");
}

static int run_cli(int argc, const char **argv, char **out, char **err)
{
	size_t out_len, err_len;
	FILE *fo = open_memstream(out, &out_len);
	FILE *fe = open_memstream(err, &err_len);
	int ret = bootsim_main(argc, (char **)argv, fo, fe);

	fclose(fo);
	fclose(fe);
	return ret;
}

static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "r");
	char *buf;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(*len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

static void test_controlled_recording_is_byte_identical_across_two_runs(void **state)
{
	char *file[2], *out = NULL, *err = NULL;
	size_t len[2];

	(void)state;
	new_path();
	for (int run = 0; run < 2; run++) {
		const char *argv[] = { "bootsim", "boot", "--cpus", "4", "--mode", "controlled",
				       "--seed", "11", "--quiet", "--record", path };

		assert_int_equal(run_cli((int)ARRAY_SIZE(argv), argv, &out, &err), 0);
		assert_string_equal(err, "");
		free(out);
		free(err);
		file[run] = slurp(path, &len[run]);
	}
	assert_int_equal(len[0], len[1]);
	assert_true(len[0] > 100000);
	assert_memory_equal(file[0], file[1], len[0]);
	free(file[0]);
	free(file[1]);
}

static void test_recording_does_not_change_the_controlled_schedule(void **state)
{
	struct sched_log plain, recorded;
	long allocs, frees;

	(void)state;
	boot_options(4);
	opt.seed = 5;
	controlled_boot(&plain);
	allocs = res.allocs;
	frees = res.frees;
	boot_result_free(&res);
	booted = false;
	record_boot(4, &recorded);
	assert_true(plain.n > 1000);
	assert_int_equal(recorded.n, plain.n);
	assert_true(recorded.hash == plain.hash);
	assert_int_equal(res.allocs, allocs);
	assert_int_equal(res.frees, frees);
}

static void test_record_to_an_unwritable_path_exits_2_with_strerror(void **state)
{
	const char *argv[] = { "bootsim", "boot", "--record", "/nonexistent-bootsim-dir/x.trace" };
	char *out = NULL, *err = NULL;

	(void)state;
	assert_int_equal(run_cli((int)ARRAY_SIZE(argv), argv, &out, &err), 2);
	assert_string_equal(err, "bootsim: --record /nonexistent-bootsim-dir/x.trace: "
			    "No such file or directory\n");
	assert_string_equal(out, "");
	free(out);
	free(err);
}

/* The trace is written after the boot: a full disk shows there, same message. */
static void test_record_to_a_full_device_exits_2_with_strerror(void **state)
{
	const char *argv[] = { "bootsim", "boot", "--cpus", "2", "--quiet", "--record",
			       "/dev/full" };
	char *out = NULL, *err = NULL;

	(void)state;
	if (access("/dev/full", W_OK))
		skip();
	assert_int_equal(run_cli((int)ARRAY_SIZE(argv), argv, &out, &err), 2);
	assert_string_equal(err, "bootsim: --record /dev/full: No space left on device\n");
	free(out);
	free(err);
}

static void test_explore_refuses_record(void **state)
{
	const char *argv[] = { "bootsim", "explore", "--boot", "--record", "x.trace" };
	char *out = NULL, *err = NULL;

	(void)state;
	assert_int_equal(run_cli((int)ARRAY_SIZE(argv), argv, &out, &err), 2);
	assert_non_null(strstr(err, "--record belongs to 'bootsim boot'"));
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_recorded_file_starts_with_the_ftrace_header, teardown),
		cmocka_unit_test_teardown(test_every_line_has_the_kernel_prefix_task_cpu_and_merged_time, teardown),
		cmocka_unit_test_teardown(test_alloc_and_free_lines_give_pfn_as_page_order_and_kernel_gfp_names, teardown),
		cmocka_unit_test_teardown(test_one_mm_page_alloc_per_allocation_the_boot_counts_plus_the_walks_own, teardown),
		cmocka_unit_test_teardown(test_one_mm_page_free_per_free_including_tracking_pages, teardown),
		cmocka_unit_test_teardown(test_frees_without_an_alloc_line_are_exactly_the_bulk_pages, teardown),
		cmocka_unit_test_teardown(test_markers_appear_in_boot_order, teardown),
		cmocka_unit_test_teardown(test_console_lines_carry_the_page_ext_message_after_the_walk, teardown),
		cmocka_unit_test_teardown(test_each_line_of_a_warning_is_its_own_console_event, teardown),
		cmocka_unit_test_teardown(test_controlled_recording_is_byte_identical_across_two_runs, teardown),
		cmocka_unit_test_teardown(test_recording_does_not_change_the_controlled_schedule, teardown),
		cmocka_unit_test_teardown(test_record_to_an_unwritable_path_exits_2_with_strerror, teardown),
		cmocka_unit_test_teardown(test_record_to_a_full_device_exits_2_with_strerror, teardown),
		cmocka_unit_test_teardown(test_explore_refuses_record, teardown),
	};

	return cmocka_run_group_tests_name("trace_record", tests, NULL, NULL);
}
