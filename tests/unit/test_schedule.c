// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sim/schedule.c: the decision array, its run-length text
 * form and parser errors, switch counting and hashing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/schedule.h"

static void build(struct schedule *s, const int *cpus, size_t n)
{
	schedule_reset(s);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(schedule_push(s, cpus[i]), 0);
}

/* Parse @str and expect failure with exactly @msg. */
static void parse_fails(const char *str, unsigned int max_cpus, const char *msg)
{
	struct schedule s = { 0 };
	char err[256];

	assert_int_equal(schedule_parse(str, max_cpus, &s, err, sizeof(err)), -1);
	assert_string_equal(err, msg);
	schedule_free(&s);
}

static void test_schedule_push_grows_and_reset_keeps_memory(void **state)
{
	struct schedule s = { 0 };

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(schedule_push(&s, i % 3), 0);
	assert_int_equal(s.len, 1000);
	assert_int_equal(s.cpu[999], 999 % 3);
	schedule_reset(&s);
	assert_int_equal(s.len, 0);
	assert_non_null(s.cpu);
	assert_true(s.cap >= 1000);
	schedule_free(&s);
	assert_null(s.cpu);
	assert_int_equal(s.cap, 0);
}

static void test_schedule_push_rejects_cpus_outside_uint16(void **state)
{
	struct schedule s = { 0 };

	(void)state;
	assert_int_not_equal(schedule_push(&s, -1), 0);
	assert_int_not_equal(schedule_push(&s, 65536), 0);
	assert_int_equal(schedule_push(&s, 65535), 0);
	assert_int_equal(s.len, 1);
	schedule_free(&s);
}

static void test_schedule_copy_duplicates_the_decisions(void **state)
{
	static const int cpus[] = { 0, 0, 1, 2, 2, 0 };
	struct schedule a = { 0 }, b = { 0 };

	(void)state;
	build(&a, cpus, 6);
	assert_int_equal(schedule_push(&b, 7), 0);
	assert_int_equal(schedule_copy(&b, &a), 0);
	assert_int_equal(b.len, 6);
	assert_memory_equal(a.cpu, b.cpu, 6 * sizeof(*a.cpu));
	assert_ptr_not_equal(a.cpu, b.cpu);
	schedule_free(&a);
	schedule_free(&b);
}

static void test_schedule_format_run_length_encodes_segments(void **state)
{
	static const int cpus[] = { 0, 0, 0, 1, 0, 2, 2 };
	struct schedule s = { 0 };
	char *str;

	(void)state;
	build(&s, cpus, 7);
	str = schedule_format(&s);
	assert_non_null(str);
	assert_string_equal(str, "0:3,1:1,0:1,2:2");
	free(str);
	schedule_free(&s);
}

static void test_schedule_format_of_the_empty_schedule_is_empty(void **state)
{
	struct schedule s = { 0 };
	char *str;

	(void)state;
	str = schedule_format(&s);
	assert_non_null(str);
	assert_string_equal(str, "");
	free(str);
	assert_int_equal(schedule_parse("", 4, &s, NULL, 0), 0);
	assert_int_equal(s.len, 0);
	schedule_free(&s);
}

static void test_schedule_parse_then_format_round_trips(void **state)
{
	static const char *const texts[] = {
		"0:41,1:7,0:3,2:12", "3:1", "65535:2,0:1", "1:1,0:1,1:1,0:1",
	};
	struct schedule s = { 0 };
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *str;

		assert_int_equal(schedule_parse(texts[i], 0, &s, err, sizeof(err)), 0);
		assert_string_equal(err, "");
		str = schedule_format(&s);
		assert_non_null(str);
		assert_string_equal(str, texts[i]);
		free(str);
	}
	assert_int_equal(schedule_parse("0:41,1:7,0:3,2:12", 3, &s, err, sizeof(err)), 0);
	assert_int_equal(s.len, 63);
	assert_int_equal(s.cpu[40], 0);
	assert_int_equal(s.cpu[41], 1);
	assert_int_equal(s.cpu[62], 2);
	schedule_free(&s);
}

static void test_schedule_format_then_parse_round_trips(void **state)
{
	struct schedule a = { 0 }, b = { 0 };
	unsigned int x = 12345;
	char err[128];
	char *str;

	(void)state;
	for (int i = 0; i < 500; i++) {
		x = x * 1103515245u + 12345u;
		assert_int_equal(schedule_push(&a, (int)((x >> 16) % 5)), 0);
	}
	str = schedule_format(&a);
	assert_non_null(str);
	assert_int_equal(schedule_parse(str, 5, &b, err, sizeof(err)), 0);
	assert_int_equal(b.len, a.len);
	assert_memory_equal(a.cpu, b.cpu, a.len * sizeof(*a.cpu));
	free(str);
	schedule_free(&a);
	schedule_free(&b);
}

static void test_schedule_parse_merges_adjacent_segments_of_one_cpu(void **state)
{
	struct schedule s = { 0 };
	char *str;

	(void)state;
	assert_int_equal(schedule_parse("1:2,1:3,0:1", 2, &s, NULL, 0), 0);
	assert_int_equal(s.len, 6);
	assert_int_equal(schedule_switches(&s), 1);
	str = schedule_format(&s);
	assert_string_equal(str, "1:5,0:1");
	free(str);
	schedule_free(&s);
}

static void test_schedule_parse_accepts_leading_zeros(void **state)
{
	struct schedule s = { 0 };

	(void)state;
	assert_int_equal(schedule_parse("01:002", 2, &s, NULL, 0), 0);
	assert_int_equal(s.len, 2);
	assert_int_equal(s.cpu[0], 1);
	schedule_free(&s);
}

static void test_schedule_parse_rejects_a_non_digit_where_a_cpu_starts(void **state)
{
	(void)state;
	parse_fails("x", 0, "at character 1: found 'x', expected a digit");
	parse_fails("0:1,1:2,x:3", 0, "at character 9: found 'x', expected a digit");
	parse_fails(":3", 0, "at character 1: found ':', expected a digit");
	parse_fails("-1:3", 0, "at character 1: found '-', expected a digit");
}

static void test_schedule_parse_rejects_a_missing_colon(void **state)
{
	(void)state;
	parse_fails("0", 0, "at character 2: found end of input, expected a digit or ':'");
	parse_fails("12x3", 0, "at character 3: found 'x', expected a digit or ':'");
	parse_fails("1,2", 0, "at character 2: found ',', expected a digit or ':'");
}

static void test_schedule_parse_rejects_a_missing_count(void **state)
{
	(void)state;
	parse_fails("0:", 0, "at character 3: found end of input, expected a digit");
	parse_fails("0:,1:1", 0, "at character 3: found ',', expected a digit");
}

static void test_schedule_parse_rejects_zero_count(void **state)
{
	(void)state;
	parse_fails("0:3,1:0", 0,
		    "at character 7: step count 0, a segment needs at least 1 step");
	parse_fails("0:000", 0,
		    "at character 3: step count 0, a segment needs at least 1 step");
}

static void test_schedule_parse_rejects_a_trailing_comma(void **state)
{
	(void)state;
	parse_fails("0:3,", 0, "at character 5: found end of input, expected a digit");
	parse_fails("0:3,,1:1", 0, "at character 5: found ',', expected a digit");
}

static void test_schedule_parse_rejects_garbage_after_a_count(void **state)
{
	(void)state;
	parse_fails("0:3;1:2", 0,
		    "at character 4: found ';', expected a digit, ',' or end of input");
	parse_fails("0:3:1", 0,
		    "at character 4: found ':', expected a digit, ',' or end of input");
}

static void test_schedule_parse_rejects_whitespace(void **state)
{
	(void)state;
	parse_fails(" 0:3", 0, "at character 1: found ' ', expected a digit");
	parse_fails("0:3, 1:2", 0, "at character 5: found ' ', expected a digit");
	parse_fails("0:3\n", 0,
		    "at character 4: found '\\x0a', expected a digit, ',' or end of input");
	parse_fails("0 :3", 0, "at character 2: found ' ', expected a digit or ':'");
}

static void test_schedule_parse_rejects_cpus_at_or_above_max_cpus(void **state)
{
	struct schedule s = { 0 };

	(void)state;
	parse_fails("0:1,4:2", 4, "at character 5: CPU 4 is not below the CPU count 4");
	assert_int_equal(schedule_parse("3:1", 4, &s, NULL, 0), 0);
	/* 0: any CPU a uint16_t holds. */
	assert_int_equal(schedule_parse("4:1", 0, &s, NULL, 0), 0);
	schedule_free(&s);
}

static void test_schedule_parse_rejects_numbers_that_overflow(void **state)
{
	(void)state;
	parse_fails("65536:1", 0, "at character 1: CPU number too large (max 65535)");
	parse_fails("1:2,99999999999999999999999:1", 0,
		    "at character 5: CPU number too large (max 65535)");
	parse_fails("0:99999999999999999999999", 0,
		    "at character 3: step count too large (max 67108864)");
	parse_fails("0:67108865", 0, "at character 3: step count too large (max 67108864)");
}

static void test_schedule_parse_rejects_schedules_longer_than_the_limit(void **state)
{
	(void)state;
	/* Validated before anything is allocated. */
	parse_fails("0:67108864,1:1", 0,
		    "at character 14: schedule longer than 67108864 decisions");
}

static void test_schedule_parse_failure_leaves_an_empty_schedule(void **state)
{
	struct schedule s = { 0 };
	char err[8];

	(void)state;
	assert_int_equal(schedule_push(&s, 1), 0);
	/* A short buffer truncates but stays terminated. */
	assert_int_equal(schedule_parse("0:1,x", 0, &s, err, sizeof(err)), -1);
	assert_string_equal(err, "at char");
	assert_int_equal(s.len, 0);
	/* No buffer at all is fine too. */
	assert_int_equal(schedule_parse("x", 0, &s, NULL, 0), -1);
	schedule_free(&s);
}

static void test_schedule_switches_counts_cpu_changes(void **state)
{
	static const int cpus[] = { 0, 0, 1, 1, 0, 2, 2, 2, 1 };
	struct schedule s = { 0 };

	(void)state;
	assert_int_equal(schedule_switches(&s), 0);
	build(&s, cpus, 1);
	assert_int_equal(schedule_switches(&s), 0);
	build(&s, cpus, 9);
	assert_int_equal(schedule_switches(&s), 4);
	schedule_free(&s);
}

static void test_schedule_hash_differs_for_different_schedules(void **state)
{
	static const int a[] = { 0, 1, 0 };
	static const int b[] = { 0, 0, 1 };
	static const int c[] = { 0, 1, 0, 0 };
	static const int wide[] = { 256 };
	static const int narrow[] = { 1 };
	struct schedule s = { 0 };
	uint64_t ha, hb, hc, hempty, hwide, hnarrow;

	(void)state;
	hempty = schedule_hash(&s);
	build(&s, a, 3);
	ha = schedule_hash(&s);
	assert_int_equal(schedule_hash(&s), ha);
	build(&s, b, 3);
	hb = schedule_hash(&s);
	build(&s, c, 4);
	hc = schedule_hash(&s);
	build(&s, wide, 1);
	hwide = schedule_hash(&s);
	build(&s, narrow, 1);
	hnarrow = schedule_hash(&s);
	assert_true(ha != hb && ha != hc && hb != hc);
	assert_true(hempty != ha && hempty != hwide);
	assert_true(hwide != hnarrow);
	/* The same decisions hash the same wherever they live. */
	build(&s, a, 3);
	assert_int_equal(schedule_hash(&s), ha);
	schedule_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schedule_push_grows_and_reset_keeps_memory),
		cmocka_unit_test(test_schedule_push_rejects_cpus_outside_uint16),
		cmocka_unit_test(test_schedule_copy_duplicates_the_decisions),
		cmocka_unit_test(test_schedule_format_run_length_encodes_segments),
		cmocka_unit_test(test_schedule_format_of_the_empty_schedule_is_empty),
		cmocka_unit_test(test_schedule_parse_then_format_round_trips),
		cmocka_unit_test(test_schedule_format_then_parse_round_trips),
		cmocka_unit_test(test_schedule_parse_merges_adjacent_segments_of_one_cpu),
		cmocka_unit_test(test_schedule_parse_accepts_leading_zeros),
		cmocka_unit_test(test_schedule_parse_rejects_a_non_digit_where_a_cpu_starts),
		cmocka_unit_test(test_schedule_parse_rejects_a_missing_colon),
		cmocka_unit_test(test_schedule_parse_rejects_a_missing_count),
		cmocka_unit_test(test_schedule_parse_rejects_zero_count),
		cmocka_unit_test(test_schedule_parse_rejects_a_trailing_comma),
		cmocka_unit_test(test_schedule_parse_rejects_garbage_after_a_count),
		cmocka_unit_test(test_schedule_parse_rejects_whitespace),
		cmocka_unit_test(test_schedule_parse_rejects_cpus_at_or_above_max_cpus),
		cmocka_unit_test(test_schedule_parse_rejects_numbers_that_overflow),
		cmocka_unit_test(test_schedule_parse_rejects_schedules_longer_than_the_limit),
		cmocka_unit_test(test_schedule_parse_failure_leaves_an_empty_schedule),
		cmocka_unit_test(test_schedule_switches_counts_cpu_changes),
		cmocka_unit_test(test_schedule_hash_differs_for_different_schedules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
