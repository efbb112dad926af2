// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/allocinfo version 2.0 (§2.7): the header, the exact per-tag line,
 * module names, the accurate:no marker, signed bytes, display file names,
 * and which tags a plain read skips.
 */
#include <stdio.h>
#include <stdlib.h>

#include "test_util.h"
#include "alloc_tag/allocinfo.h"
#include "sim/core/sched.h"

#define HEADER "allocinfo - version: 2.0\n#     <size>  <calls> <tag info>\n"

static int setup(void **state)
{
	(void)state;
	test_machine_up(512ULL << 20, 2);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_machine_down();
	return 0;
}

/* A run-time tag with per-CPU counters, as trace replay makes them. */
static struct alloc_tag *new_tag(const char *file, unsigned int line,
				 const char *func, const char *mod)
{
	struct alloc_tag *tag = codetag_new_dynamic(file, line, func, mod);

	assert_non_null(tag);
	assert_int_equal(alloc_tag_counters_attach(tag), 0);
	return tag;
}

/* Counters updated from the host task, i.e. CPU 0's copy. */
static void count(struct alloc_tag *tag, int64_t bytes, int64_t calls)
{
	assert_int_equal(smp_processor_id(), 0);
	this_cpu_add(tag->counters, bytes, bytes);
	this_cpu_add(tag->counters, calls, calls);
}

static const char *line_of(const struct alloc_tag *tag)
{
	static char buf[512];
	size_t n = alloc_tag_to_text(buf, sizeof(buf), tag);

	assert_int_equal(n, strlen(buf));
	return buf;
}

/* allocinfo_print() into a heap string; the caller frees it. */
static char *print_allocinfo(bool all)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	allocinfo_print(f, all);
	assert_int_equal(fclose(f), 0);
	assert_non_null(text);
	return text;
}

static void test_header_is_the_two_version_2_0_lines(void **state)
{
	char *text;

	(void)state;
	text = print_allocinfo(true);
	assert_int_equal(strncmp(text, HEADER, strlen(HEADER)), 0);
	free(text);

	/* Fresh machine, nothing allocated: a plain read is the header alone. */
	text = print_allocinfo(false);
	assert_string_equal(text, HEADER);
	free(text);
}

static void test_tag_line_is_bytes_width_12_calls_width_8_then_site_and_trailing_space(void **state)
{
	struct alloc_tag *tag;

	(void)state;
	tag = new_tag("mm/foo.c", 42, "foo_alloc", NULL);
	count(tag, 8192, 2);
	assert_string_equal(line_of(tag), "        8192        2 mm/foo.c:42 func:foo_alloc \n");
}

static void test_tag_line_names_the_module_in_brackets(void **state)
{
	struct alloc_tag *tag;

	(void)state;
	tag = new_tag("mm/foo.c", 42, "foo_alloc", "mymod");
	count(tag, 4096, 1);
	assert_string_equal(line_of(tag),
			    "        4096        1 mm/foo.c:42 [mymod] func:foo_alloc \n");
}

static void test_inaccurate_tag_line_ends_accurate_no_before_the_trailing_space(void **state)
{
	struct alloc_tag *tag, *mod;

	(void)state;
	tag = new_tag("mm/foo.c", 42, "foo_alloc", NULL);
	mod = new_tag("mm/bar.c", 7, "bar_alloc", "mymod");
	count(tag, 8192, 2);
	alloc_tag_set_inaccurate(tag);
	alloc_tag_set_inaccurate(mod);
	assert_string_equal(line_of(tag),
			    "        8192        2 mm/foo.c:42 func:foo_alloc accurate:no \n");
	assert_string_equal(line_of(mod),
			    "           0        0 mm/bar.c:7 [mymod] func:bar_alloc accurate:no \n");
}

static void test_negative_bytes_print_as_a_signed_number(void **state)
{
	struct alloc_tag *tag;

	(void)state;
	tag = new_tag("mm/foo.c", 42, "foo_alloc", NULL);
	count(tag, -4096, 0);
	assert_string_equal(line_of(tag), "       -4096        0 mm/foo.c:42 func:foo_alloc \n");
}

static void test_calls_print_unsigned_so_a_negative_sum_wraps(void **state)
{
	struct alloc_tag *tag;

	(void)state;
	tag = new_tag("mm/foo.c", 42, "foo_alloc", NULL);
	count(tag, 0, -1);
	assert_string_equal(line_of(tag),
			    "           0 18446744073709551615 mm/foo.c:42 func:foo_alloc \n");
}

static void test_wide_counters_widen_the_columns_without_truncation(void **state)
{
	struct alloc_tag *tag;

	(void)state;
	tag = new_tag("mm/foo.c", 42, "foo_alloc", NULL);
	count(tag, 1234567890123LL, 123456789);
	assert_string_equal(line_of(tag),
			    "1234567890123 123456789 mm/foo.c:42 func:foo_alloc \n");
}

struct cpu_add {
	struct alloc_tag *tag;
	int64_t bytes, calls;
};

static void add_on_cpu(void *arg)
{
	struct cpu_add *a = arg;

	this_cpu_add(a->tag->counters, bytes, a->bytes);
	this_cpu_add(a->tag->counters, calls, a->calls);
}

static void test_line_sums_the_copies_of_every_cpu(void **state)
{
	struct alloc_tag *tag;
	struct cpu_add a;

	(void)state;
	tag = new_tag("mm/foo.c", 42, "foo_alloc", NULL);
	count(tag, 4096, 1);			/* allocated on CPU 0 */
	a = (struct cpu_add){ tag, 16384, 3 };
	sim_run_as_cpu(1, "cpu1", 11, add_on_cpu, &a);
	a = (struct cpu_add){ tag, -4096, -1 };	/* freed on CPU 1 */
	sim_run_as_cpu(1, "cpu1", 11, add_on_cpu, &a);

	assert_int_equal(per_cpu_read(tag->counters, 1, bytes), 12288);
	assert_string_equal(line_of(tag), "       16384        3 mm/foo.c:42 func:foo_alloc \n");
}

static void test_display_filename_strips_leading_dot_dot_and_dot_slashes(void **state)
{
	(void)state;
	assert_string_equal(codetag_display_filename("../alloc_tag/early_pfn_pool.c"),
			    "alloc_tag/early_pfn_pool.c");
	assert_string_equal(codetag_display_filename("../../../mm/page_alloc.c"),
			    "mm/page_alloc.c");
	assert_string_equal(codetag_display_filename("./lib/alloc_tag.c"), "lib/alloc_tag.c");
	assert_string_equal(codetag_display_filename("./.././../x.c"), "x.c");
	assert_string_equal(codetag_display_filename("mm/foo.c"), "mm/foo.c");
	/* Only whole leading components are stripped. */
	assert_string_equal(codetag_display_filename("..foo/a.c"), "..foo/a.c");
	assert_string_equal(codetag_display_filename(".hidden/a.c"), ".hidden/a.c");
	assert_string_equal(codetag_display_filename("mm/../foo.c"), "mm/../foo.c");
	assert_string_equal(codetag_display_filename("../"), "");
}

static void test_tag_line_shows_the_display_filename(void **state)
{
	struct alloc_tag *tag;

	(void)state;
	tag = new_tag("../../mm/foo.c", 42, "foo_alloc", NULL);
	count(tag, 4096, 1);
	assert_string_equal(line_of(tag), "        4096        1 mm/foo.c:42 func:foo_alloc \n");
}

static void test_plain_read_skips_idle_tags_and_a_full_read_prints_them(void **state)
{
	struct alloc_tag *idle, *busy, *inaccurate, *negative;
	char *plain, *all;

	(void)state;
	idle = new_tag("mm/idle.c", 1, "idle_alloc", NULL);
	busy = new_tag("mm/busy.c", 2, "busy_alloc", NULL);
	inaccurate = new_tag("mm/inacc.c", 3, "inacc_alloc", NULL);
	negative = new_tag("mm/neg.c", 4, "neg_alloc", NULL);
	count(busy, 4096, 1);
	alloc_tag_set_inaccurate(inaccurate);
	count(negative, -4096, 0);
	(void)idle;

	plain = print_allocinfo(false);
	assert_string_equal(plain,
		HEADER
		"        4096        1 mm/busy.c:2 func:busy_alloc \n"
		"           0        0 mm/inacc.c:3 func:inacc_alloc accurate:no \n"
		"       -4096        0 mm/neg.c:4 func:neg_alloc \n");

	all = print_allocinfo(true);
	assert_int_equal(strncmp(all, HEADER, strlen(HEADER)), 0);
	assert_non_null(strstr(all, "\n           0        0 mm/idle.c:1 func:idle_alloc \n"));
	assert_non_null(strstr(all, "\n        4096        1 mm/busy.c:2 func:busy_alloc \n"));
	/* Dynamic tags come last, in creation order. */
	assert_non_null(strstr(all,
		"           0        0 mm/idle.c:1 func:idle_alloc \n"
		"        4096        1 mm/busy.c:2 func:busy_alloc \n"
		"           0        0 mm/inacc.c:3 func:inacc_alloc accurate:no \n"
		"       -4096        0 mm/neg.c:4 func:neg_alloc \n"));
	assert_true(strlen(all) > strlen(plain));
	free(plain);
	free(all);
}

static void test_full_read_skips_tags_without_counters(void **state)
{
	struct alloc_tag *bare;
	char *all;

	(void)state;
	bare = codetag_new_dynamic("mm/bare.c", 5, "bare_alloc", NULL);
	assert_non_null(bare);
	all = print_allocinfo(true);
	assert_null(strstr(all, "bare_alloc"));
	free(all);
}

static void test_a_static_call_site_prints_its_own_file_line_and_function(void **state)
{
	DEFINE_ALLOC_TAG(site);
	char expect[256];

	(void)state;
	assert_non_null(site.counters);	/* machine_setup attached every static tag */
	count(&site, 12288, 3);
	snprintf(expect, sizeof(expect), "       12288        3 %s:%u func:%s \n",
		 codetag_display_filename(__FILE__), site.ct.lineno, __func__);
	assert_string_equal(line_of(&site), expect);
	assert_int_not_equal(strncmp(expect + 22, "../", 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header_is_the_two_version_2_0_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tag_line_is_bytes_width_12_calls_width_8_then_site_and_trailing_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tag_line_names_the_module_in_brackets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inaccurate_tag_line_ends_accurate_no_before_the_trailing_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_negative_bytes_print_as_a_signed_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calls_print_unsigned_so_a_negative_sum_wraps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wide_counters_widen_the_columns_without_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_sums_the_copies_of_every_cpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_display_filename_strips_leading_dot_dot_and_dot_slashes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tag_line_shows_the_display_filename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_read_skips_idle_tags_and_a_full_read_prints_them, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_read_skips_tags_without_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_static_call_site_prints_its_own_file_line_and_function, setup, teardown),
	};

	return cmocka_run_group_tests_name("allocinfo", tests, NULL, NULL);
}
