// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sim/trace_parse.c: every line form of
 * shared/traces/README.md, every error with its position and expectation,
 * lenient mode, the line-length limit, compressed input and the real sample.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <cmocka.h>

#ifdef HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef HAVE_LZMA
#include <lzma.h>
#endif

#include "sim/trace_parse.h"

#define ALLOC_LINE "cpuhp/2-30     [002] .....     1.913220: mm_page_alloc: " \
	"page=00000000c86e8f4e pfn=0x29fe order=0 migratetype=0 " \
	"gfp_flags=GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP\n"
#define FREE_LINE "<idle>-0       [000] ...1.     1.343480: mm_page_free: " \
	"page=00000000e0dfcb92 pfn=0x2812b order=0\n"

static struct trace_reader *open_text(const char *text)
{
	char err[512];
	struct trace_reader *r = trace_open_mem("t.trace", text, strlen(text),
						err, sizeof(err));

	if (!r)
		fail_msg("open: %s", err);
	return r;
}

/*
 * The first event of @text, which must parse.  ev.text lives in the reader's
 * buffer, so it is copied out before the reader goes.
 */
static struct trace_event first_event(const char *text)
{
	static char text_copy[TRACE_MAX_LINE + 1];
	struct trace_reader *r = open_text(text);
	struct trace_event ev;
	char err[512];
	int ret = trace_next(r, &ev, err, sizeof(err));

	if (ret != 1)
		fail_msg("trace_next %d: %s", ret, err);
	if (ev.text) {
		memcpy(text_copy, ev.text, ev.text_len);
		ev.text = text_copy;
	}
	trace_close(r);
	return ev;
}

static void assert_text(const struct trace_event *ev, const char *want)
{
	assert_non_null(ev->text);
	assert_int_equal(ev->text_len, strlen(want));
	assert_memory_equal(ev->text, want, strlen(want));
}

/* Read @text to the end in strict mode: it must fail with @want exactly. */
static void fails_with(const char *text, const char *want)
{
	struct trace_reader *r = open_text(text);
	struct trace_event ev;
	char err[512];
	int ret;

	while ((ret = trace_next(r, &ev, err, sizeof(err))) == 1)
		;
	assert_int_equal(ret, -1);
	assert_string_equal(err, want);
	trace_close(r);
}

/* Strict mode fails and the message holds every piece (NULL-terminated). */
static void fails_containing(const char *text, size_t len, ...)
{
	char err[512];
	struct trace_reader *r = trace_open_mem("t.trace", text, len, err, sizeof(err));
	struct trace_event ev;
	const char *piece;
	va_list ap;
	int ret;

	assert_non_null(r);
	while ((ret = trace_next(r, &ev, err, sizeof(err))) == 1)
		;
	assert_int_equal(ret, -1);
	va_start(ap, len);
	while ((piece = va_arg(ap, const char *)))
		if (!strstr(err, piece))
			fail_msg("'%s' not in '%s'", piece, err);
	va_end(ap);
	trace_close(r);
}

/* All events of @r to the end; fails the test on an error. */
static unsigned long drain(struct trace_reader *r)
{
	struct trace_event ev;
	unsigned long n = 0;
	char err[512];
	int ret;

	while ((ret = trace_next(r, &ev, err, sizeof(err))) == 1)
		n++;
	if (ret)
		fail_msg("trace_next: %s", err);
	return n;
}

static char *temp_file(const void *data, size_t len)
{
	char *path = strdup("/tmp/test_trace_parse.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

/* ---- line forms ---- */

static void test_alloc_with_symbolic_gfp_fills_every_field(void **state)
{
	struct trace_event ev = first_event(ALLOC_LINE);

	(void)state;
	assert_int_equal(ev.kind, TEV_ALLOC);
	assert_int_equal(ev.line, 1);
	assert_int_equal(ev.cpu, 2);
	assert_int_equal(ev.pid, 30);
	assert_string_equal(ev.task, "cpuhp/2");
	assert_int_equal(ev.ts_ns, 1913220000ull);
	assert_int_equal(ev.pfn, 0x29fe);
	assert_int_equal(ev.order, 0);
	assert_int_equal(ev.migratetype, 0);
	assert_int_equal(ev.gfp, GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY | __GFP_COMP);
	assert_false(ev.failed);
	assert_null(ev.text);
}

static void test_alloc_with_hex_gfp(void **state)
{
	struct trace_event ev = first_event("x-1 [000] ..... 0.1: mm_page_alloc: "
		"page=0 pfn=0x100 order=3 migratetype=1 gfp_flags=0x140cca\n");

	(void)state;
	assert_int_equal(ev.kind, TEV_ALLOC);
	assert_int_equal(ev.gfp, 0x140cca);
	assert_int_equal(ev.order, 3);
	assert_int_equal(ev.migratetype, 1);
}

static void test_alloc_gfp_with_leftover_hex_bits_and_none(void **state)
{
	struct trace_event ev = first_event("x-1 [000] ..... 0.1: mm_page_alloc: "
		"page=0 pfn=0x100 order=0 migratetype=0 gfp_flags=GFP_KERNEL|0x1000000\n");

	(void)state;
	assert_int_equal(ev.gfp, GFP_KERNEL | __GFP_NO_OBJ_EXT);
	ev = first_event("x-1 [000] ..... 0.1: mm_page_alloc: "
		"page=0 pfn=0x100 order=0 migratetype=0 gfp_flags=none\n");
	assert_int_equal(ev.gfp, 0);
}

static void test_pfn_hex_and_decimal(void **state)
{
	struct trace_event ev;

	(void)state;
	ev = first_event("x-1 [000] ..... 0.1: mm_page_free: page=0 pfn=0x2812B order=0\n");
	assert_int_equal(ev.pfn, 0x2812b);
	ev = first_event("x-1 [000] ..... 0.1: mm_page_free: page=0 pfn=164139 order=0\n");
	assert_int_equal(ev.pfn, 164139);
	ev = first_event("x-1 [000] ..... 0.1: mm_page_free: page=0 "
			 "pfn=0xffffffffffffffff order=0\n");
	assert_int_equal(ev.pfn, ~0ul);
}

static void test_alloc_with_pfn_zero_is_failed(void **state)
{
	struct trace_event ev = first_event("x-1 [000] ..... 0.1: mm_page_alloc: "
		"page=0000000000000000 pfn=0 order=9 migratetype=1 "
		"gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP\n");

	(void)state;
	assert_int_equal(ev.kind, TEV_ALLOC);
	assert_true(ev.failed);
	assert_int_equal(ev.order, 9);
}

static void test_free_line(void **state)
{
	struct trace_event ev = first_event(
		"pgdatinit0-42  [002] .....     2.034021: mm_page_free: "
		"page=00000000bbc3c008 pfn=0x10000 order=10\n");

	(void)state;
	assert_int_equal(ev.kind, TEV_FREE);
	assert_string_equal(ev.task, "pgdatinit0");
	assert_int_equal(ev.pid, 42);
	assert_int_equal(ev.cpu, 2);
	assert_int_equal(ev.pfn, 0x10000);
	assert_int_equal(ev.order, 10);
	assert_int_equal(ev.ts_ns, 2034021000ull);
}

static void test_free_batched_is_its_own_kind(void **state)
{
	struct trace_event ev = first_event(
		"init-1         [000] ...2.     4.373285: mm_page_free_batched: "
		"page=000000002a22c842 pfn=0x275fa order=0\n");

	(void)state;
	assert_int_equal(ev.kind, TEV_FREE_BATCHED);
	assert_int_equal(ev.pfn, 0x275fa);
}

static void test_console_text_is_the_message(void **state)
{
	struct trace_event ev = first_event(
		"<idle>-0       [000] d..1.     0.920357: console: NR_IRQS: 524544, "
		"nr_irqs: 456, preallocated irqs: 16\n");

	(void)state;
	assert_int_equal(ev.kind, TEV_CONSOLE);
	assert_text(&ev, "NR_IRQS: 524544, nr_irqs: 456, preallocated irqs: 16");
}

static void test_function_line_text_is_function_and_parent(void **state)
{
	struct trace_event ev = first_event(
		"init-1         [000] .....     2.092698: page_ext_init <-page_alloc_init_late\n");

	(void)state;
	assert_int_equal(ev.kind, TEV_FUNC);
	assert_text(&ev, "page_ext_init <-page_alloc_init_late");
	ev = first_event("<idle>-0 [000] dp.1. 0.865716: __alloc_pages_noprof "
			 "<-alloc_pages_mpol_noprof   \n");
	assert_text(&ev, "__alloc_pages_noprof <-alloc_pages_mpol_noprof");
	assert_int_equal(ev.cpu, 0);
}

static void test_bootsim_marker_text_follows_the_event_name(void **state)
{
	struct trace_event ev = first_event(
		"swapper/1-0 [001] ..... 0.5: bootsim_marker: page_ext_init\n");

	(void)state;
	assert_int_equal(ev.kind, TEV_MARKER);
	assert_text(&ev, "page_ext_init");
	assert_string_equal(ev.task, "swapper/1");
}

static void test_trace_marker_write_of_a_bootsim_marker_is_a_marker(void **state)
{
	struct trace_event ev = first_event(
		"sh-77 [001] ..... 0.5: tracing_mark_write: bootsim_marker: page_ext_init\n");

	(void)state;
	assert_int_equal(ev.kind, TEV_MARKER);
	assert_text(&ev, "page_ext_init");
	ev = first_event("sh-77 [001] ..... 0.5: tracing_mark_write: hello\n");
	assert_int_equal(ev.kind, TEV_OTHER);
	assert_text(&ev, "tracing_mark_write");
}

static void test_other_event_returned_with_its_name_and_counted(void **state)
{
	struct trace_reader *r = open_text(
		"<idle>-0       [000] d..1.     0.929676: alloc_vmap_area: va_start: "
		"18410910525903863808 size=20480 align=1 failed=0\n" FREE_LINE);
	struct trace_event ev;
	char err[256];

	(void)state;
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 1);
	assert_int_equal(ev.kind, TEV_OTHER);
	assert_text(&ev, "alloc_vmap_area");
	assert_int_equal(ev.ts_ns, 929676000ull);
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 1);
	assert_int_equal(ev.kind, TEV_FREE);
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 0);
	assert_int_equal(trace_stats(r)->events[TEV_OTHER], 1);
	assert_int_equal(trace_stats(r)->events[TEV_FREE], 1);
	trace_close(r);
}

static void test_header_and_blank_lines_are_skipped_and_counted(void **state)
{
	struct trace_reader *r = open_text(
		"# tracer: function\n#\n# entries-in-buffer/entries-written: 1/1   #P:2\n"
		"\n   \n  # indented header\n" FREE_LINE "\n");
	struct trace_event ev;
	char err[256];

	(void)state;
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 1);
	assert_int_equal(ev.kind, TEV_FREE);
	assert_int_equal(ev.line, 7);
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 0);
	assert_int_equal(trace_stats(r)->lines, 8);
	assert_int_equal(trace_stats(r)->header_lines, 4);
	assert_int_equal(trace_stats(r)->blank_lines, 3);
	assert_int_equal(trace_stats(r)->bad_lines, 0);
	trace_close(r);
}

static void test_trace_cmd_report_preamble_columns_and_padding(void **state)
{
	struct trace_reader *r = open_text(
		"version = 6\nCPU 3 is empty\ncpus=4\n"
		"          <idle>-0     [000]     0.921734: mm_page_alloc:        "
		"page=0xffffea0000057f40 pfn=5629 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n");
	struct trace_event ev;
	char err[256];

	(void)state;
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 1);
	assert_int_equal(ev.kind, TEV_ALLOC);
	assert_int_equal(ev.pfn, 5629);
	assert_int_equal(ev.gfp, GFP_KERNEL);
	assert_int_equal(ev.ts_ns, 921734000ull);
	assert_int_equal(ev.line, 4);
	assert_int_equal(trace_stats(r)->header_lines, 3);
	trace_close(r);
}

static void test_tgid_column_is_skipped(void **state)
{
	struct trace_event ev = first_event(
		"bash-1977    (   1977) [001] d..1.  12.500000: mm_page_free: pfn=0x10 order=1\n");

	(void)state;
	assert_string_equal(ev.task, "bash");
	assert_int_equal(ev.pid, 1977);
	assert_int_equal(ev.cpu, 1);
	ev = first_event("<...>-12 (-------) [003] ..... 1.5: mm_page_free: pfn=0x10 order=1\n");
	assert_string_equal(ev.task, "<...>");
	assert_int_equal(ev.cpu, 3);
}

static void test_lost_events_line_is_an_other_event_with_the_count(void **state)
{
	struct trace_event ev = first_event("CPU:1 [LOST 123 EVENTS]\n");

	(void)state;
	assert_int_equal(ev.kind, TEV_OTHER);
	assert_int_equal(ev.cpu, 1);
	assert_int_equal(ev.pid, -1);
	assert_int_equal(ev.lost_events, 123);
	assert_text(&ev, "lost_events");
	ev = first_event("CPU:0 [45 EVENTS DROPPED]\n");
	assert_int_equal(ev.lost_events, 45);
}

static void test_tasks_with_spaces_dashes_and_slashes(void **state)
{
	static const struct {
		const char *line, *task;
		int pid, cpu;
	} cases[] = {
		{ "   kworker/u8:0-44    [001] ..... 1.0: mm_page_free: pfn=1 order=0\n",
		  "kworker/u8:0", 44, 1 },
		{ "<idle>-0 [000] d..1. 1.0: mm_page_free: pfn=1 order=0\n", "<idle>", 0, 0 },
		{ "gdbus worker-1234 [001] ..... 1.0: mm_page_free: pfn=1 order=0\n",
		  "gdbus worker", 1234, 1 },
		{ "my-task-name-77 [017] ..... 1.0: mm_page_free: pfn=1 order=0\n",
		  "my-task-name", 77, 17 },
		{ "x [2]-5 [001] ..... 1.0: mm_page_free: pfn=1 order=0\n", "x [2]", 5, 1 },
		{ "irq/9-acpi-55 [000] ..... 1.0: mm_page_free: pfn=1 order=0\n",
		  "irq/9-acpi", 55, 0 },
		{ "Web Content-3-999 [002] ..... 1.0: mm_page_free: pfn=1 order=0\n",
		  "Web Content-3", 999, 2 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct trace_event ev = first_event(cases[i].line);

		assert_string_equal(ev.task, cases[i].task);
		assert_int_equal(ev.pid, cases[i].pid);
		assert_int_equal(ev.cpu, cases[i].cpu);
	}
}

static void test_long_task_names_are_cut_to_63_bytes(void **state)
{
	char line[256];
	struct trace_event ev;

	(void)state;
	snprintf(line, sizeof(line), "%s-9 [000] ..... 1.0: mm_page_free: pfn=1 order=0\n",
		 "0123456789012345678901234567890123456789012345678901234567890123456789");
	ev = first_event(line);
	assert_int_equal(strlen(ev.task), 63);
	assert_int_equal(ev.pid, 9);
}

static void test_timestamps_become_nanoseconds(void **state)
{
	struct trace_event ev;

	(void)state;
	ev = first_event("x-1 [000] ..... 12345.123456789: mm_page_free: pfn=1 order=0\n");
	assert_int_equal(ev.ts_ns, 12345123456789ull);
	ev = first_event("x-1 [000] ..... 7.5: mm_page_free: pfn=1 order=0\n");
	assert_int_equal(ev.ts_ns, 7500000000ull);
}

static void test_crlf_and_a_last_line_without_newline(void **state)
{
	struct trace_reader *r = open_text(
		"# header\r\n"
		"x-1 [000] ..... 1.0: console: hello\r\n"
		"x-1 [000] ..... 1.0: mm_page_free: pfn=1 order=2");
	struct trace_event ev;
	char err[256];

	(void)state;
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 1);
	assert_text(&ev, "hello");
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 1);
	assert_int_equal(ev.kind, TEV_FREE);
	assert_int_equal(ev.order, 2);
	assert_int_equal(ev.line, 3);
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 0);
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 0);
	trace_close(r);
}

static void test_tabs_are_text(void **state)
{
	struct trace_event ev = first_event("x-1\t[000]\t.....\t1.0:\tconsole:\ta\tb\n");

	(void)state;
	assert_int_equal(ev.kind, TEV_CONSOLE);
	assert_text(&ev, "a\tb");
}

/* ---- errors ---- */

static void test_error_line_without_cpu_column(void **state)
{
	(void)state;
	fails_with("# ok\nhello world\n",
		   "t.trace:2: found 'hello world'; expected TASK-PID [CPU] TIMESTAMP: "
		   "EVENT (an ftrace text line)");
	fails_with("x-1 [0x] ..... 1.0: mm_page_free: pfn=1 order=0\n",
		   "t.trace:1: found 'x-1 [0x] ..... 1.0: mm_page_free: pfn=1 order=0'; "
		   "expected TASK-PID [CPU] TIMESTAMP: EVENT (an ftrace text line)");
	fails_with("x [000] ..... 1.0: console: no pid\n",
		   "t.trace:1: found 'x [000] ..... 1.0: console: no pid'; expected "
		   "TASK-PID [CPU] TIMESTAMP: EVENT (an ftrace text line)");
}

static void test_error_line_without_timestamp(void **state)
{
	(void)state;
	fails_with("x-1 [000] ..... mm_page_free: pfn=1 order=0\n",
		   "t.trace:1: found 'mm_page_free:'; expected a timestamp "
		   "SECONDS.MICROSECONDS: after [CPU]");
	fails_with("x-1 [000] ..... 1.5 mm_page_free: pfn=1 order=0\n",
		   "t.trace:1: found '1.5'; expected a timestamp SECONDS.MICROSECONDS: after [CPU]");
	fails_with("x-1 [000] 1.0123456789: console: ten digits\n",
		   "t.trace:1: found '1.0123456789:'; expected a timestamp "
		   "SECONDS.MICROSECONDS: after [CPU]");
	fails_with("x-1 [000] 1.0: \n",
		   "t.trace:1: found ''; expected an event name or a function after the timestamp");
}

static void test_error_bad_numbers(void **state)
{
	(void)state;
	fails_with("x-1 [000] ..... 1.0: mm_page_free: pfn=0xzz order=0\n",
		   "t.trace:1: found 'pfn=0xzz'; expected pfn=0xHEX or pfn=DECIMAL");
	fails_with("x-1 [000] ..... 1.0: mm_page_free: pfn=0x10000000000000000 order=0\n",
		   "t.trace:1: found 'pfn=0x10000000000000000'; expected pfn=0xHEX or pfn=DECIMAL");
	fails_with("x-1 [000] ..... 1.0: mm_page_free: pfn=12a order=0\n",
		   "t.trace:1: found 'pfn=12a'; expected pfn=0xHEX or pfn=DECIMAL");
	fails_with("x-1 [000] ..... 1.0: mm_page_alloc: pfn=1 order=0 migratetype=-1 "
		   "gfp_flags=GFP_KERNEL\n",
		   "t.trace:1: found 'migratetype=-1'; expected migratetype=DECIMAL");
	fails_with("x-99999999999 [000] ..... 1.0: mm_page_free: pfn=1 order=0\n",
		   "t.trace:1: found 'x-99999999999 [000] ..... 1.0: mm_page_free: pfn=1 order=0'; "
		   "expected TASK-PID [CPU] TIMESTAMP: EVENT (an ftrace text line)");
}

static void test_error_order_above_10(void **state)
{
	(void)state;
	fails_with("# h\nx-1 [000] ..... 1.0: mm_page_free: pfn=0x100 order=11\n",
		   "t.trace:2: found 'order=11'; expected order=0..10");
	fails_with("x-1 [000] ..... 1.0: mm_page_free: pfn=0x100 order=\n",
		   "t.trace:1: found 'order='; expected order=0..10");
}

static void test_error_unknown_gfp_name_says_which(void **state)
{
	(void)state;
	fails_with("x-1 [000] ..... 1.0: mm_page_alloc: page=0 pfn=0x100 order=0 "
		   "migratetype=0 gfp_flags=GFP_KERNEL|__GFP_BOGUS|__GFP_ZERO\n",
		   "t.trace:1: found '__GFP_BOGUS'; expected a gfp flag name like GFP_KERNEL "
		   "or __GFP_ZERO, or 0xHEX (an unknown gfp_flags= name)");
}

static void test_error_missing_fields(void **state)
{
	(void)state;
	fails_with("x-1 [000] ..... 1.0: mm_page_free: page=0 order=0\n",
		   "t.trace:1: found 'page=0 order=0'; expected a pfn= field");
	fails_with("x-1 [000] ..... 1.0: mm_page_free: pfn=1\n",
		   "t.trace:1: found 'pfn=1'; expected an order= field");
	fails_with("x-1 [000] ..... 1.0: mm_page_alloc: pfn=1 order=0 gfp_flags=GFP_KERNEL\n",
		   "t.trace:1: found 'pfn=1 order=0 gfp_flags=GFP_KERNEL'; expected a "
		   "migratetype= field");
	fails_with("x-1 [000] ..... 1.0: mm_page_alloc: pfn=1 order=0 migratetype=0\n",
		   "t.trace:1: found 'pfn=1 order=0 migratetype=0'; expected a gfp_flags= field");
	fails_with("x-1 [000] ..... 1.0: mm_page_free: pfn=1 order=0 junk\n",
		   "t.trace:1: found 'junk'; expected KEY=VALUE fields");
}

static void test_error_offending_text_is_cut_to_60_characters(void **state)
{
	(void)state;
	fails_with("0123456789012345678901234567890123456789012345678901234567890123456789\n",
		   "t.trace:1: found '012345678901234567890123456789012345678901234567890123456789"
		   "...'; expected TASK-PID [CPU] TIMESTAMP: EVENT (an ftrace text line)");
}

static void test_error_nul_byte_is_escaped(void **state)
{
	static const char text[] = "# h\nx-1 [000] ..... 1.0: console: a\0b\n";

	(void)state;
	fails_containing(text, sizeof(text) - 1, "t.trace:2: found 'x-1 [000] ..... 1.0: console: a\\x00b'",
			 "; expected text (control byte \\x00 at column 32)", NULL);
}

static void test_error_control_bytes_but_not_tab_or_cr(void **state)
{
	(void)state;
	fails_with("x-1 [000] ..... 1.0: console: bell\a\n",
		   "t.trace:1: found 'x-1 [000] ..... 1.0: console: bell\\x07'; "
		   "expected text (control byte \\x07 at column 35)");
}

static void test_error_binary_trace_cmd_file_is_named(void **state)
{
	static const char dat[] = "\x17\x08\x44tracing6\0\0\0";
	char err[256];

	(void)state;
	assert_null(trace_open_mem("trace.dat", dat, sizeof(dat), err, sizeof(err)));
	assert_string_equal(err, "trace.dat: a trace-cmd binary file; expected text "
			    "(convert it with trace-cmd report -i FILE)");
}

static void test_error_is_sticky(void **state)
{
	struct trace_reader *r = open_text("bad\n" FREE_LINE);
	struct trace_event ev;
	char err[256], err2[256];

	(void)state;
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), -1);
	assert_int_equal(trace_next(r, &ev, err2, sizeof(err2)), -1);
	assert_string_equal(err, err2);
	trace_close(r);
}

static void test_empty_file_is_an_error(void **state)
{
	(void)state;
	fails_with("", "t.trace: empty trace; expected ftrace text with "
		   "mm_page_alloc/mm_page_free lines");
}

static void test_file_of_only_header_lines_is_an_empty_trace(void **state)
{
	(void)state;
	fails_with("# tracer: nop\n#\n\n", "t.trace: empty trace; expected ftrace text with "
		   "mm_page_alloc/mm_page_free lines");
}

static void test_missing_file_is_an_error(void **state)
{
	char err[256];

	(void)state;
	assert_null(trace_open("/nonexistent/x.trace", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/x.trace: cannot open: No such file or directory");
}

static void test_directory_is_an_error(void **state)
{
	char dir[] = "/tmp/test_trace_parse.XXXXXX", err[256], want[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_null(trace_open(dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: is a directory; expected a trace file", dir);
	assert_string_equal(err, want);
	rmdir(dir);
}

/* ---- line length ---- */

static char *line_of(size_t len)
{
	char *s = malloc(len + 2);

	memset(s, 'a', len);
	s[len] = '\n';
	s[len + 1] = '\0';
	return s;
}

static void test_line_of_exactly_4096_bytes_is_accepted(void **state)
{
	static const char head[] = "x-1 [000] ..... 1.0: console: ";
	char *s = line_of(TRACE_MAX_LINE);
	struct trace_event ev;

	(void)state;
	memcpy(s, head, strlen(head));
	ev = first_event(s);
	assert_int_equal(ev.kind, TEV_CONSOLE);
	assert_int_equal(ev.text_len, TRACE_MAX_LINE - strlen(head));
	free(s);
}

static void test_line_longer_than_4096_bytes_is_an_error(void **state)
{
	char *s = line_of(TRACE_MAX_LINE + 1);

	(void)state;
	fails_containing(s, strlen(s), "t.trace:1: line longer than 4096 bytes; found 'aaaa",
			 "...'; expected at most 4096 bytes per line", NULL);
	free(s);
}

/* One 1 MB line between two good ones, through small and default blocks. */
static void test_1mb_line_fails_or_is_skipped_whole_in_lenient_mode(void **state)
{
	size_t big = 1u << 20;
	size_t len = strlen(FREE_LINE) * 2 + big + 1;
	char *text = malloc(len + 1), err[256];

	(void)state;
	strcpy(text, FREE_LINE);
	memset(text + strlen(FREE_LINE), 'x', big);
	text[strlen(FREE_LINE) + big] = '\n';
	strcpy(text + strlen(FREE_LINE) + big + 1, FREE_LINE);
	for (int lenient = 0; lenient < 2; lenient++) {
		for (int small = 0; small < 2; small++) {
			struct trace_reader *r = trace_open_mem("big", text, len, err, sizeof(err));
			struct trace_event ev;

			assert_non_null(r);
			if (small)
				assert_int_equal(trace_set_block_size(r, 5000), 0);
			trace_set_lenient(r, lenient);
			assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 1);
			if (!lenient) {
				assert_int_equal(trace_next(r, &ev, err, sizeof(err)), -1);
				assert_non_null(strstr(err, "big:2: line longer than 4096 bytes"));
			} else {
				assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 1);
				assert_int_equal(ev.line, 3);
				assert_int_equal(ev.kind, TEV_FREE);
				assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 0);
				assert_int_equal(trace_stats(r)->bad_lines, 1);
				assert_int_equal(trace_stats(r)->lines, 3);
				assert_non_null(strstr(trace_first_error(r),
						       "big:2: line longer than 4096 bytes"));
			}
			trace_close(r);
		}
	}
	free(text);
}

/* ---- lenient mode ---- */

static void test_lenient_mode_skips_and_counts_bad_lines(void **state)
{
	struct trace_reader *r = open_text(
		"garbage\n" FREE_LINE
		"x-1 [000] ..... 1.0: mm_page_free: pfn=1 order=12\n"
		"x-1 [000] ..... 1.0: console: \x01\n" ALLOC_LINE);
	struct trace_event ev;
	char err[256];

	(void)state;
	trace_set_lenient(r, true);
	assert_null(trace_first_error(r));
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 1);
	assert_int_equal(ev.kind, TEV_FREE);
	assert_int_equal(ev.line, 2);
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 1);
	assert_int_equal(ev.kind, TEV_ALLOC);
	assert_int_equal(ev.line, 5);
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), 0);
	assert_int_equal(trace_stats(r)->bad_lines, 3);
	assert_int_equal(trace_stats(r)->lines, 5);
	assert_string_equal(trace_first_error(r), "t.trace:1: found 'garbage'; expected "
			    "TASK-PID [CPU] TIMESTAMP: EVENT (an ftrace text line)");
	trace_close(r);
}

static void test_lenient_file_of_only_bad_lines_is_an_empty_trace(void **state)
{
	struct trace_reader *r = open_text("garbage\nmore garbage\n");
	struct trace_event ev;
	char err[256];

	(void)state;
	trace_set_lenient(r, true);
	assert_int_equal(trace_next(r, &ev, err, sizeof(err)), -1);
	assert_string_equal(err, "t.trace: empty trace; expected ftrace text with "
			    "mm_page_alloc/mm_page_free lines");
	assert_int_equal(trace_stats(r)->bad_lines, 2);
	trace_close(r);
}

static void test_every_line_is_counted_once(void **state)
{
	struct trace_reader *r = open_text(
		"version = 6\n# h\n\n" FREE_LINE "bad\nCPU:1 [LOST 2 EVENTS]\n"
		"x-1 [000] ..... 1.0: page_ext_init <-page_alloc_init_late\n" ALLOC_LINE);
	const struct trace_stats *st = trace_stats(r);
	unsigned long events = 0;

	(void)state;
	trace_set_lenient(r, true);
	events = drain(r);
	assert_int_equal(events, 4);
	assert_int_equal(st->lines, 8);
	assert_int_equal(st->lines, st->header_lines + st->blank_lines + st->bad_lines + events);
	assert_int_equal(st->events[TEV_FREE] + st->events[TEV_ALLOC] + st->events[TEV_FUNC] +
			 st->events[TEV_OTHER], events);
	trace_close(r);
}

/* ---- blocks, files, compression ---- */

static char *many_lines(unsigned int n, size_t *len)
{
	size_t cap = (size_t)n * 200 + 1, pos = 0;
	char *s = malloc(cap);

	for (unsigned int i = 0; i < n; i++) {
		switch (i % 4) {
		case 0:
			pos += (size_t)snprintf(s + pos, cap - pos,
				"kworker/u8:%u-%u [%03u] ..... %u.%06u: mm_page_alloc: page=0 "
				"pfn=0x%x order=%u migratetype=0 gfp_flags=GFP_KERNEL|__GFP_ZERO\n",
				i % 7, i, i % 4, i / 1000, i % 1000000, i, i % 11);
			break;
		case 1:
			pos += (size_t)snprintf(s + pos, cap - pos,
				"<idle>-0 [%03u] d..1. %u.%06u: mm_page_free: page=0 pfn=%u order=%u\n",
				i % 4, i / 1000, i % 1000000, i, i % 11);
			break;
		case 2:
			pos += (size_t)snprintf(s + pos, cap - pos,
				"init-1 [000] ..... %u.%06u: console: message number %u\n",
				i / 1000, i % 1000000, i);
			break;
		default:
			pos += (size_t)snprintf(s + pos, cap - pos, "# header %u\n", i);
		}
	}
	*len = pos;
	return s;
}

/* Sum of what matters in every event: equal sums, equal parses. */
static uint64_t digest(struct trace_reader *r)
{
	struct trace_event ev;
	uint64_t h = 0;
	char err[256];
	int ret;

	while ((ret = trace_next(r, &ev, err, sizeof(err))) == 1) {
		h = h * 31 + ev.kind + ev.line * 7 + ev.pfn * 13 + ev.order + ev.gfp + ev.ts_ns +
		    (uint64_t)ev.cpu + (uint64_t)ev.pid + ev.text_len + strlen(ev.task);
		if (ev.text_len)
			h += (unsigned char)ev.text[ev.text_len - 1];
	}
	if (ret)
		fail_msg("%s", err);
	return h;
}

static void test_small_blocks_split_lines_across_refills(void **state)
{
	size_t len;
	char *text = many_lines(20000, &len), err[256];
	struct trace_reader *a = trace_open_mem("a", text, len, err, sizeof(err));
	struct trace_reader *b = trace_open_mem("b", text, len, err, sizeof(err));

	(void)state;
	assert_int_equal(trace_set_block_size(b, 4097), 0);
	assert_int_equal(digest(a), digest(b));
	assert_int_equal(trace_stats(a)->lines, 20000);
	assert_int_equal(trace_stats(b)->lines, 20000);
	assert_int_equal(trace_stats(b)->events[TEV_ALLOC], 5000);
	assert_int_equal(trace_stats(b)->header_lines, 5000);
	assert_int_equal(trace_stats(b)->bytes, len);
	assert_int_equal(trace_set_block_size(b, 8192), -1);	/* too late */
	trace_close(a);
	trace_close(b);
	free(text);
}

static void test_plain_file_reads_like_memory(void **state)
{
	size_t len;
	char *text = many_lines(5000, &len), err[256];
	char *path = temp_file(text, len);
	struct trace_reader *a = trace_open(path, err, sizeof(err));
	struct trace_reader *b = trace_open_mem("b", text, len, err, sizeof(err));

	(void)state;
	assert_non_null(a);
	assert_string_equal(trace_name(a), path);
	assert_int_equal(digest(a), digest(b));
	trace_close(a);
	trace_close(b);
	unlink(path);
	free(path);
	free(text);
}

static void test_stdin_is_read_for_dash(void **state)
{
	char *path = temp_file(FREE_LINE ALLOC_LINE, strlen(FREE_LINE ALLOC_LINE)), err[256];
	int saved = dup(STDIN_FILENO), fd = open(path, O_RDONLY);
	struct trace_reader *r;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDIN_FILENO);
	close(fd);
	r = trace_open("-", err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(trace_name(r), "<stdin>");
	assert_int_equal(drain(r), 2);
	trace_close(r);
	dup2(saved, STDIN_FILENO);
	close(saved);
	unlink(path);
	free(path);
}

#ifdef HAVE_ZLIB
/* @text gzip-compressed as @members concatenated members, into a file. */
static char *gzip_file(const char *text, size_t len, int members, size_t cut)
{
	char *path = strdup("/tmp/test_trace_parse.XXXXXX");
	int fd = mkstemp(path);
	size_t per = len / (size_t)members;

	assert_true(fd >= 0);
	close(fd);
	for (int m = 0; m < members; m++) {
		gzFile gz = gzopen(path, m ? "ab" : "wb");
		size_t from = per * (size_t)m, to = m == members - 1 ? len : from + per;

		assert_non_null(gz);
		assert_int_equal(gzwrite(gz, text + from, (unsigned int)(to - from)),
				 (int)(to - from));
		gzclose(gz);
	}
	if (cut)
		assert_int_equal(truncate(path, cut), 0);
	return path;
}
#endif

static void test_gzip_file_is_decompressed_including_multi_member(void **state)
{
#ifdef HAVE_ZLIB
	size_t len;
	char *text = many_lines(30000, &len), err[256];
	char *path = gzip_file(text, len, 3, 0);
	struct trace_reader *a = trace_open(path, err, sizeof(err));
	struct trace_reader *b = trace_open_mem("b", text, len, err, sizeof(err));

	(void)state;
	assert_non_null(a);
	assert_int_equal(digest(a), digest(b));
	assert_int_equal(trace_stats(a)->bytes, len);
	trace_close(a);
	trace_close(b);
	unlink(path);
	free(path);
	free(text);
#else
	(void)state;
	skip();
#endif
}

static void test_truncated_gzip_is_an_error(void **state)
{
#ifdef HAVE_ZLIB
	size_t len;
	char *text = many_lines(3000, &len), err[256];
	char *path = gzip_file(text, len, 1, 2000);
	struct trace_reader *r = trace_open(path, err, sizeof(err));
	struct trace_event ev;
	char want[256];
	int ret;

	(void)state;
	assert_non_null(r);
	trace_set_lenient(r, true);
	while ((ret = trace_next(r, &ev, err, sizeof(err))) == 1)
		;
	assert_int_equal(ret, -1);
	snprintf(want, sizeof(want), "%s: truncated gzip data", path);
	assert_string_equal(err, want);
	trace_close(r);
	unlink(path);
	free(path);
	free(text);
#else
	(void)state;
	skip();
#endif
}

static void test_xz_in_memory_is_decompressed_and_corruption_reported(void **state)
{
#ifdef HAVE_LZMA
	size_t len, out_pos = 0;
	char *text = many_lines(10000, &len), err[256];
	size_t cap = lzma_stream_buffer_bound(len);
	uint8_t *xz = malloc(cap);
	struct trace_reader *a, *b;

	(void)state;
	assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL,
						 (const uint8_t *)text, len, xz, &out_pos, cap),
			 LZMA_OK);
	a = trace_open_mem("a.xz", xz, out_pos, err, sizeof(err));
	b = trace_open_mem("b", text, len, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(trace_set_block_size(a, 5000), 0);
	assert_int_equal(digest(a), digest(b));
	trace_close(a);
	trace_close(b);
	/* Cut short: an error even in lenient mode. */
	a = trace_open_mem("a.xz", xz, out_pos / 2, err, sizeof(err));
	trace_set_lenient(a, true);
	{
		struct trace_event ev;
		int ret;

		while ((ret = trace_next(a, &ev, err, sizeof(err))) == 1)
			;
		assert_int_equal(ret, -1);
		assert_string_equal(err, "a.xz: truncated xz data");
	}
	trace_close(a);
	free(xz);
	free(text);
#else
	(void)state;
	skip();
#endif
}

static void test_other_compressions_are_named(void **state)
{
	char err[256];

	(void)state;
	assert_null(trace_open_mem("t.zst", "\x28\xb5\x2f\xfd\0\0", 6, err, sizeof(err)));
	assert_string_equal(err, "t.zst: zstd-compressed; expected plain, gzip or xz text "
			    "(decompress it first)");
	assert_null(trace_open_mem("t.bz2", "BZh91AY&SY", 10, err, sizeof(err)));
	assert_string_equal(err, "t.bz2: bzip2-compressed; expected plain, gzip or xz text "
			    "(decompress it first)");
}

static void test_compressed_input_without_its_library_is_named(void **state)
{
	char err[256];

	(void)state;
#ifndef HAVE_ZLIB
	assert_null(trace_open_mem("t.gz", "\x1f\x8b\x08\0\0\0\0\0", 8, err, sizeof(err)));
	assert_string_equal(err, "t.gz: gzip-compressed, but bootsim was built without zlib "
			    "(install zlib1g-dev and rebuild, or gunzip it first)");
#endif
#ifndef HAVE_LZMA
	assert_null(trace_open_mem("t.xz", "\xfd" "7zXZ\0\0\0", 8, err, sizeof(err)));
	assert_string_equal(err, "t.xz: xz-compressed, but bootsim was built without liblzma "
			    "(install liblzma-dev and rebuild, or unxz it first)");
#endif
#if defined(HAVE_ZLIB) && defined(HAVE_LZMA)
	(void)err;
	skip();
#endif
}

/* ---- the real sample (shared/traces/README.md) ---- */

static void test_real_sample_counts_match_the_readme(void **state)
{
	const char *path = SHARED_TRACES "/boot-smp2-m2G.trace.xz";
	unsigned long alloc_pages = 0, free_pages = 0, marker_line = 0;
	struct trace_reader *r;
	struct trace_event ev;
	char err[512];
	int ret;

	(void)state;
	if (access(path, R_OK))
		skip();
#ifndef HAVE_LZMA
	skip();
#endif
	r = trace_open(path, err, sizeof(err));
	if (!r)
		fail_msg("%s", err);
	while ((ret = trace_next(r, &ev, err, sizeof(err))) == 1) {
		if (ev.kind == TEV_ALLOC)
			alloc_pages += 1ul << ev.order;
		else if (ev.kind == TEV_FREE)
			free_pages += 1ul << ev.order;
		else if (ev.kind == TEV_FUNC && ev.text_len == 36 &&
			 !memcmp(ev.text, "page_ext_init <-page_alloc_init_late", 36))
			marker_line = ev.line;
	}
	if (ret)
		fail_msg("%s", err);
	assert_int_equal(trace_stats(r)->events[TEV_ALLOC], 3258);
	assert_int_equal(alloc_pages, 6426);
	assert_int_equal(trace_stats(r)->events[TEV_FREE], 5822);
	assert_int_equal(free_pages, 442146);
	assert_int_equal(trace_stats(r)->events[TEV_FREE_BATCHED], 222);
	assert_int_equal(trace_stats(r)->events[TEV_CONSOLE], 302);
	assert_int_equal(trace_stats(r)->lines, 13243);
	assert_int_equal(trace_stats(r)->bad_lines, 0);
	assert_int_equal(trace_stats(r)->header_lines, 12);
	assert_true(marker_line > 0);
	trace_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_with_symbolic_gfp_fills_every_field),
		cmocka_unit_test(test_alloc_with_hex_gfp),
		cmocka_unit_test(test_alloc_gfp_with_leftover_hex_bits_and_none),
		cmocka_unit_test(test_pfn_hex_and_decimal),
		cmocka_unit_test(test_alloc_with_pfn_zero_is_failed),
		cmocka_unit_test(test_free_line),
		cmocka_unit_test(test_free_batched_is_its_own_kind),
		cmocka_unit_test(test_console_text_is_the_message),
		cmocka_unit_test(test_function_line_text_is_function_and_parent),
		cmocka_unit_test(test_bootsim_marker_text_follows_the_event_name),
		cmocka_unit_test(test_trace_marker_write_of_a_bootsim_marker_is_a_marker),
		cmocka_unit_test(test_other_event_returned_with_its_name_and_counted),
		cmocka_unit_test(test_header_and_blank_lines_are_skipped_and_counted),
		cmocka_unit_test(test_trace_cmd_report_preamble_columns_and_padding),
		cmocka_unit_test(test_tgid_column_is_skipped),
		cmocka_unit_test(test_lost_events_line_is_an_other_event_with_the_count),
		cmocka_unit_test(test_tasks_with_spaces_dashes_and_slashes),
		cmocka_unit_test(test_long_task_names_are_cut_to_63_bytes),
		cmocka_unit_test(test_timestamps_become_nanoseconds),
		cmocka_unit_test(test_crlf_and_a_last_line_without_newline),
		cmocka_unit_test(test_tabs_are_text),
		cmocka_unit_test(test_error_line_without_cpu_column),
		cmocka_unit_test(test_error_line_without_timestamp),
		cmocka_unit_test(test_error_bad_numbers),
		cmocka_unit_test(test_error_order_above_10),
		cmocka_unit_test(test_error_unknown_gfp_name_says_which),
		cmocka_unit_test(test_error_missing_fields),
		cmocka_unit_test(test_error_offending_text_is_cut_to_60_characters),
		cmocka_unit_test(test_error_nul_byte_is_escaped),
		cmocka_unit_test(test_error_control_bytes_but_not_tab_or_cr),
		cmocka_unit_test(test_error_binary_trace_cmd_file_is_named),
		cmocka_unit_test(test_error_is_sticky),
		cmocka_unit_test(test_empty_file_is_an_error),
		cmocka_unit_test(test_file_of_only_header_lines_is_an_empty_trace),
		cmocka_unit_test(test_missing_file_is_an_error),
		cmocka_unit_test(test_directory_is_an_error),
		cmocka_unit_test(test_line_of_exactly_4096_bytes_is_accepted),
		cmocka_unit_test(test_line_longer_than_4096_bytes_is_an_error),
		cmocka_unit_test(test_1mb_line_fails_or_is_skipped_whole_in_lenient_mode),
		cmocka_unit_test(test_lenient_mode_skips_and_counts_bad_lines),
		cmocka_unit_test(test_lenient_file_of_only_bad_lines_is_an_empty_trace),
		cmocka_unit_test(test_every_line_is_counted_once),
		cmocka_unit_test(test_small_blocks_split_lines_across_refills),
		cmocka_unit_test(test_plain_file_reads_like_memory),
		cmocka_unit_test(test_stdin_is_read_for_dash),
		cmocka_unit_test(test_gzip_file_is_decompressed_including_multi_member),
		cmocka_unit_test(test_truncated_gzip_is_an_error),
		cmocka_unit_test(test_xz_in_memory_is_decompressed_and_corruption_reported),
		cmocka_unit_test(test_other_compressions_are_named),
		cmocka_unit_test(test_compressed_input_without_its_library_is_named),
		cmocka_unit_test(test_real_sample_counts_match_the_readme),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
