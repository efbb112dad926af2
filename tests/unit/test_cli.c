// SPDX-License-Identifier: GPL-2.0
/*
 * The command line: bad values exit 2 with a message naming the option and
 * what was expected; good runs print the summary or one JSON object.
 */
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/cli.h"

static char *out_buf, *err_buf;
static size_t out_len, err_len;

static int run(int argc, const char **argv)
{
	FILE *out = open_memstream(&out_buf, &out_len);
	FILE *err = open_memstream(&err_buf, &err_len);
	int ret = bootsim_main(argc, (char **)argv, out, err);

	fclose(out);
	fclose(err);
	return ret;
}

static int teardown(void **state)
{
	(void)state;
	free(out_buf);
	free(err_buf);
	out_buf = err_buf = NULL;
	return 0;
}

#define RUN(...) ({ const char *a[] = { "bootsim", __VA_ARGS__ }; run((int)ARRAY_N(a), a); })
#define ARRAY_N(a) (sizeof(a) / sizeof((a)[0]))

static void test_cpus_zero_exits_2_naming_the_option(void **state)
{
	(void)state;
	assert_int_equal(RUN("boot", "--cpus", "0"), 2);
	assert_non_null(strstr(err_buf, "--cpus: expected a number of CPUs from 1 to 8192, got '0'"));
	assert_int_equal(out_len, 0);
}

static void test_mem_with_unknown_unit_exits_2(void **state)
{
	(void)state;
	assert_int_equal(RUN("boot", "--mem", "1x"), 2);
	assert_non_null(strstr(err_buf, "--mem: expected a size from 16M to 16T"));
	assert_non_null(strstr(err_buf, "got '1x'"));
}

static void test_mem_below_16m_exits_2(void **state)
{
	(void)state;
	assert_int_equal(RUN("boot", "--mem", "8M"), 2);
}

static void test_unknown_variant_exits_2(void **state)
{
	(void)state;
	assert_int_equal(RUN("boot", "--variant", "Z9"), 2);
	assert_non_null(strstr(err_buf, "--variant: expected a variant id"));
}

static void test_bad_page_ext_mode_and_missing_value_exit_2(void **state)
{
	(void)state;
	assert_int_equal(RUN("boot", "--page-ext", "sometimes"), 2);
	assert_non_null(strstr(err_buf, "'early' or 'deferred'"));
	teardown(NULL);
	assert_int_equal(RUN("boot", "--cpus"), 2);
	assert_non_null(strstr(err_buf, "--cpus: missing value"));
	teardown(NULL);
	assert_int_equal(RUN("boot", "--frobnicate"), 2);
	assert_non_null(strstr(err_buf, "unknown option '--frobnicate'"));
}

static void test_unknown_command_and_no_command_exit_2(void **state)
{
	(void)state;
	assert_int_equal(RUN("reboot"), 2);
	teardown(NULL);
	assert_int_equal(run(1, (const char *[]){ "bootsim" }), 2);
}

static void test_parse_size_accepts_binary_units(void **state)
{
	unsigned long long v;

	(void)state;
	assert_int_equal(parse_size("8G", &v), 0);
	assert_int_equal(v, 8ULL << 30);
	assert_int_equal(parse_size("4TiB", &v), 0);
	assert_int_equal(v, 4ULL << 40);
	assert_int_equal(parse_size("512m", &v), 0);
	assert_int_equal(v, 512ULL << 20);
	assert_int_equal(parse_size("1x", &v), -1);
	assert_int_equal(parse_size("G", &v), -1);
	assert_int_equal(parse_size("-1G", &v), -1);
	assert_int_equal(parse_size("99999999999999999999T", &v), -1);
}

static void test_variant_ids_match_case_insensitively(void **state)
{
	(void)state;
	assert_int_equal(RUN("boot", "--variant", "l6", "--cpus", "2", "--mem", "256M",
			     "--quiet", "--json"), 0);
	assert_non_null(strstr(out_buf, "\"variant\": \"L6\""));
}

static void test_json_boot_has_early_count_pool_pages_warnings_and_leaks(void **state)
{
	(void)state;
	assert_int_equal(RUN("boot", "--cpus", "4", "--mem", "1G", "--quiet", "--json"), 0);
	assert_non_null(strstr(out_buf, "\"allocations_before_page_ext_init\": "));
	assert_non_null(strstr(out_buf, "\"pool_pages\": "));
	assert_non_null(strstr(out_buf, "\"warnings\": ["));
	assert_non_null(strstr(out_buf, "\"leaks\": ["));
	assert_non_null(strstr(out_buf, "\"oracle_fired\": false"));
	assert_int_equal(out_buf[0], '{');
}

static void test_bits_other_than_32_or_64_exits_2(void **state)
{
	(void)state;
	assert_int_equal(RUN("boot", "--bits", "16"), 2);
	assert_non_null(strstr(err_buf, "bootsim: --bits: expected 32 or 64, got '16'"));
	assert_int_equal(out_len, 0);
	teardown(NULL);
	assert_int_equal(RUN("boot", "--bits"), 2);
	assert_non_null(strstr(err_buf, "--bits: missing value"));
	teardown(NULL);
	/* explore --boot shares the boot options */
	assert_int_equal(RUN("explore", "--boot", "--bits", "128"), 2);
	assert_non_null(strstr(err_buf, "--bits: expected 32 or 64, got '128'"));
}

static void test_bits_32_with_more_than_4g_exits_2_saying_so(void **state)
{
	(void)state;
	assert_int_equal(RUN("boot", "--bits", "32", "--mem", "8G"), 2);
	assert_non_null(strstr(err_buf, "bootsim: --mem: expected at most 4G with --bits 32 "
			       "(a 32-bit machine addresses 4 GiB), got '8G'"));
	assert_int_equal(out_len, 0);
}

static void test_bad_or_too_large_movable_exits_2(void **state)
{
	(void)state;
	assert_int_equal(RUN("boot", "--movable", "lots"), 2);
	assert_non_null(strstr(err_buf, "--movable: expected a size such as 256M or 2G "
			       "(0: no ZONE_MOVABLE), got 'lots'"));
	teardown(NULL);
	assert_int_equal(RUN("boot", "--mem", "64M", "--movable", "49M"), 2);
	assert_non_null(strstr(err_buf, "--movable: expected a size that leaves at least 16M "
			       "of --mem to the other zones, got '49M'"));
	teardown(NULL);
	/* The 8G default is what --movable is measured against. */
	assert_int_equal(RUN("boot", "--movable", "8G"), 2);
	assert_non_null(strstr(err_buf, "--movable: expected a size that leaves"));
}

static void test_bits_32_compressed_movable_boot_reports_its_machine_and_zones(void **state)
{
	(void)state;
	/* --bits 32 alone makes the memory 4G rather than the 8G default. */
	assert_int_equal(RUN("boot", "--bits", "32", "--movable", "512M", "--compressed",
			     "--cpus", "2", "--quiet"), 0);
	assert_non_null(strstr(out_buf, "2 CPUs, 4 GiB 32-bit, ZONE_MOVABLE 512 MiB, page_ext "
			       "deferred (progressive), tags compressed in page flags, seed 1"));
	assert_non_null(strstr(out_buf, "zones (present/free pages):           DMA 3840/"));
	assert_non_null(strstr(out_buf, "HighMem 688128/688128, Movable 131072/131072"));
	assert_non_null(strstr(out_buf, "allocations without a page_ext slot:  0 "));
	teardown(NULL);
	assert_int_equal(RUN("boot", "--bits", "32", "--mem", "1G", "--compressed", "--cpus", "2",
			     "--quiet", "--json"), 0);
	assert_non_null(strstr(out_buf, "\"bits_per_long\": 32, \"compressed\": true,\n"));
	assert_non_null(strstr(out_buf, "\"name\": \"HighMem\", \"start_pfn\": 229376"));
	assert_non_null(strstr(out_buf, "\"pfns_recorded\": 0,"));
	assert_non_null(strstr(out_buf, "\"oracle_fired\": false"));
	teardown(NULL);
	/* The default machine's report says none of it. */
	assert_int_equal(RUN("boot", "--cpus", "2", "--mem", "256M", "--quiet", "--json"), 0);
	assert_null(strstr(out_buf, "bits_per_long"));
	assert_null(strstr(out_buf, "compressed"));
	assert_null(strstr(out_buf, "\"zones\""));
}

static void test_variants_lists_l6_as_default(void **state)
{
	(void)state;
	assert_int_equal(RUN("variants"), 0);
	assert_non_null(strstr(out_buf, "L6"));
	assert_non_null(strstr(out_buf, "[default]"));
}

static void test_variants_lists_every_variant_in_section_3_order_one_line_each(void **state)
{
	static const char *const ids[] = { "none ", "A1 ", "A2 ", "A3 ", "L1 ", "L2 ", "L3 ",
					   "L4pre ", "L4 ", "L5 ", "L6 ", "L7 ", "proposed " };
	const char *line;

	(void)state;
	assert_int_equal(RUN("variants"), 0);
	line = out_buf;
	for (size_t i = 0; i < ARRAY_N(ids); i++) {
		assert_true(!strncmp(line, ids[i], strlen(ids[i])));
		line = strchr(line, '\n');
		assert_non_null(line);
		line++;
	}
	assert_string_equal(line, "");
	assert_non_null(strstr(out_buf, "[default]"));
	assert_null(strstr(strstr(out_buf, "[default]") + 1, "[default]"));
	assert_non_null(strstr(out_buf, "§3.10 list v6"));
}

static void test_variants_verbose_wraps_details_under_each_line_within_79_columns(void **state)
{
	(void)state;
	assert_int_equal(RUN("variants", "--verbose"), 0);
	assert_non_null(strstr(out_buf, "\nA1        §3.1  array v1 [REC]"));
	assert_non_null(strstr(out_buf, "\n          [REC] readings:"));
	for (const char *l = out_buf; *l;) {
		const char *nl = strchr(l, '\n');

		assert_non_null(nl);
		/* detail lines (indented) wrap; summary lines are one line each */
		if (!strncmp(l, "          ", 10))
			assert_true(nl - l <= 79);
		l = nl + 1;
	}
}

static void test_bench_unknown_name_or_bad_option_exits_2_naming_it(void **state)
{
	(void)state;
	assert_int_equal(RUN("bench", "allocate"), 2);
	assert_non_null(strstr(err_buf, "bench: unknown benchmark 'allocate' (expected alloc, "
			       "alloc-mt, boot, replay or explore"));
	assert_int_equal(out_len, 0);
	teardown(NULL);
	assert_int_equal(RUN("bench", "alloc", "--runs", "0"), 2);
	assert_non_null(strstr(err_buf, "bench: --runs: expected a number of runs from 1 to 1000, "
			       "got '0'"));
	teardown(NULL);
	assert_int_equal(RUN("bench", "alloc", "--iterations"), 2);
	assert_non_null(strstr(err_buf, "bench: --iterations: missing value"));
	teardown(NULL);
	assert_int_equal(RUN("bench", "boot", "--iterations", "10"), 2);
	assert_non_null(strstr(err_buf, "bench boot: --iterations: not used by this benchmark"));
	teardown(NULL);
	assert_int_equal(RUN("bench", "alloc", "replay"), 2);
	assert_non_null(strstr(err_buf, "unexpected argument 'replay'"));
}

static void test_bench_without_a_name_lists_every_benchmark(void **state)
{
	static const char *const names[] = { "\n  alloc ", "\n  alloc-mt ", "\n  boot ",
					     "\n  replay ", "\n  explore " };

	(void)state;
	assert_int_equal(RUN("bench"), 0);
	for (size_t i = 0; i < ARRAY_N(names); i++)
		assert_non_null(strstr(out_buf, names[i]));
	assert_non_null(strstr(out_buf, "Headline: --pcp, tagging on, order 0"));
}

/* The last line is what scripts read: exactly "alloc: VALUE pairs/s". */
static void test_bench_alloc_ends_with_its_headline_figure(void **state)
{
	regex_t re;
	char *last;

	(void)state;
	assert_int_equal(RUN("bench", "alloc", "--runs", "3", "--iterations", "2000"), 0);
	assert_true(out_len > 0 && out_buf[out_len - 1] == '\n');
	out_buf[out_len - 1] = '\0';
	last = strrchr(out_buf, '\n');
	assert_non_null(last);
	assert_int_equal(regcomp(&re, "^alloc: [0-9.]+ pairs/s$", REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&re, last + 1, 0, NULL, 0), 0);
	regfree(&re);
	/* the sub-figures come first, each with the median of 3 runs */
	assert_non_null(strstr(out_buf, "\nalloc-tagging-off: "));
	assert_non_null(strstr(out_buf, "\nalloc-tagging-on: "));
	assert_non_null(strstr(out_buf, "\nalloc-mixed-0-3: "));
	assert_non_null(strstr(out_buf, " pairs/s (median of 3 runs; min "));
	assert_int_equal(err_len, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, teardown)
	const struct CMUnitTest tests[] = {
		T(test_cpus_zero_exits_2_naming_the_option),
		T(test_mem_with_unknown_unit_exits_2),
		T(test_mem_below_16m_exits_2),
		T(test_unknown_variant_exits_2),
		T(test_bad_page_ext_mode_and_missing_value_exit_2),
		T(test_unknown_command_and_no_command_exit_2),
		T(test_parse_size_accepts_binary_units),
		T(test_variant_ids_match_case_insensitively),
		T(test_json_boot_has_early_count_pool_pages_warnings_and_leaks),
		T(test_variants_lists_l6_as_default),
		T(test_bits_other_than_32_or_64_exits_2),
		T(test_bits_32_with_more_than_4g_exits_2_saying_so),
		T(test_bad_or_too_large_movable_exits_2),
		T(test_bits_32_compressed_movable_boot_reports_its_machine_and_zones),
		T(test_variants_lists_every_variant_in_section_3_order_one_line_each),
		T(test_variants_verbose_wraps_details_under_each_line_within_79_columns),
		T(test_bench_unknown_name_or_bad_option_exits_2_naming_it),
		T(test_bench_without_a_name_lists_every_benchmark),
		T(test_bench_alloc_ends_with_its_headline_figure),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
