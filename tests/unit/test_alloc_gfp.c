// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of alloc/gfp.c: the ftrace gfp_flags= rendering and its parser,
 * and the gfp → zone / migratetype mappings (§2.8).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "alloc/mm.h"
#include "sim/core/random.h"

static const char *show(gfp_t gfp)
{
	static char buf[512];

	gfp_print(buf, sizeof(buf), gfp);
	return buf;
}

static gfp_t parse_ok(const char *s)
{
	const char *bad = NULL;
	gfp_t gfp = 0xdeadbeef;

	assert_int_equal(gfp_parse(s, strlen(s), &gfp, &bad), 0);
	assert_null(bad);
	return gfp;
}

static void test_gfp_print_puts_composite_names_before_single_bits(void **state)
{
	(void)state;
	assert_string_equal(show(GFP_KERNEL | __GFP_ZERO), "GFP_KERNEL|__GFP_ZERO");
	assert_string_equal(show(0x52000), "__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP");
	assert_string_equal(show(GFP_ATOMIC), "GFP_ATOMIC");
	assert_string_equal(show(GFP_TRANSHUGE), "GFP_TRANSHUGE");
	assert_string_equal(show(GFP_TRANSHUGE_LIGHT), "GFP_TRANSHUGE_LIGHT");
	assert_string_equal(show(GFP_HIGHUSER_MOVABLE | __GFP_COMP),
			    "GFP_HIGHUSER_MOVABLE|__GFP_COMP");
	assert_string_equal(show(GFP_KERNEL_ACCOUNT | __GFP_ZERO),
			    "GFP_KERNEL_ACCOUNT|__GFP_ZERO");
	assert_string_equal(show(GFP_KERNEL | __GFP_HIGHMEM | __GFP_NOWARN | __GFP_ZERO),
			    "GFP_KERNEL|__GFP_HIGHMEM|__GFP_NOWARN|__GFP_ZERO");
	assert_string_equal(show(GFP_ATOMIC | __GFP_NOWARN | __GFP_NORETRY | __GFP_COMP |
				 __GFP_RECLAIMABLE),
			    "GFP_ATOMIC|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_RECLAIMABLE");
	assert_string_equal(show(__GFP_DIRECT_RECLAIM), "__GFP_DIRECT_RECLAIM");
	assert_string_equal(show(__GFP_DMA | __GFP_DMA32), "GFP_DMA|GFP_DMA32");
	assert_string_equal(show(0), "none");
}

static void test_gfp_print_shows_unnamed_bits_as_trailing_hex(void **state)
{
	(void)state;
	/* The kernel's table has no __GFP_NO_OBJ_EXT entry. */
	assert_string_equal(show(__GFP_HIGH | __GFP_NO_OBJ_EXT), "__GFP_HIGH|0x1000000");
	assert_string_equal(show(0x200), "0x200");
	assert_string_equal(show(GFP_KERNEL | 0x80000000u), "GFP_KERNEL|0x80000000");
}

static void test_gfp_print_truncates_and_returns_the_written_length(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(gfp_print(buf, sizeof(buf), GFP_KERNEL | __GFP_ZERO), 7);
	assert_string_equal(buf, "GFP_KER");
	assert_int_equal(gfp_print(buf, 1, GFP_KERNEL), 0);
	assert_string_equal(buf, "");
	assert_int_equal(gfp_print(buf, sizeof(buf), 0), 4);
	assert_string_equal(buf, "none");
}

static void test_gfp_parse_round_trips_real_trace_strings(void **state)
{
	static const struct {
		const char *text;
		gfp_t gfp;
	} cases[] = {
		{ "GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP", 0x52cc0 },
		{ "__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP", 0x52000 },
		{ "GFP_KERNEL|__GFP_RETRY_MAYFAIL|__GFP_COMP|__GFP_ZERO", 0x44dc0 },
		{ "GFP_NOWAIT|__GFP_COMP", 0x42800 },
		{ "none", 0 },
		{ "GFP_HIGHUSER_MOVABLE|__GFP_COMP", 0x140cca },
		{ "__GFP_IO|__GFP_FS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC",
		  0xd20c0 },
		{ "GFP_NOWAIT|__GFP_NORETRY|__GFP_COMP|__GFP_THISNODE", 0x252800 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(parse_ok(cases[i].text), cases[i].gfp);
		assert_string_equal(show(cases[i].gfp), cases[i].text);
	}
}

static void test_gfp_parse_reports_the_unknown_name(void **state)
{
	const char *s = "GFP_KERNEL|__GFP_BOGUS|__GFP_COMP";
	const char *bad = NULL;
	gfp_t gfp = 0;

	(void)state;
	assert_int_equal(gfp_parse(s, strlen(s), &gfp, &bad), -1);
	assert_ptr_equal(bad, s + strlen("GFP_KERNEL|"));
	assert_int_equal(gfp_parse("", 0, &gfp, &bad), -1);
	assert_int_equal(gfp_parse("GFP_KERNEL||__GFP_COMP", 22, &gfp, &bad), -1);
	assert_int_equal(gfp_parse("0x", 2, &gfp, &bad), -1);
	assert_int_equal(gfp_parse("0x1g", 4, &gfp, &bad), -1);
	/* Not configured here (no KASAN_HW_TAGS, no lockdep): unknown. */
	assert_int_equal(gfp_parse("__GFP_NOLOCKDEP", 15, &gfp, &bad), -1);
}

static void test_gfp_parse_accepts_hex_no_obj_ext_and_a_length_limit(void **state)
{
	const char *s = "GFP_KERNEL|__GFP_COMP gfp_flags";
	const char *bad = NULL;
	gfp_t gfp = 0;

	(void)state;
	assert_int_equal(parse_ok("0x820"), GFP_ATOMIC);
	assert_int_equal(parse_ok("__GFP_HIGH|__GFP_NO_OBJ_EXT"), 0x1000020);
	assert_int_equal(parse_ok("__GFP_HIGH|0x1000000"), 0x1000020);
	assert_int_equal(parse_ok("__GFP_DMA|__GFP_DMA32"), 0x5);
	assert_int_equal(parse_ok("GFP_KERNEL | __GFP_ZERO"), 0xdc0);
	assert_int_equal(gfp_parse(s, strlen("GFP_KERNEL|__GFP_COMP"), &gfp, &bad), 0);
	assert_int_equal(gfp, GFP_KERNEL | __GFP_COMP);
}

static void test_gfp_print_then_parse_is_the_identity_on_every_bit_and_random_masks(void **state)
{
	struct sim_rng rng;

	(void)state;
	for (int bit = 0; bit < 32; bit++)
		assert_int_equal(parse_ok(show(1u << bit)), 1u << bit);
	sim_rng_seed(&rng, 1, 0);
	for (int i = 0; i < 20000; i++) {
		gfp_t gfp = (gfp_t)sim_rng_next(&rng) & __GFP_BITS_MASK;

		assert_int_equal(parse_ok(show(gfp)), gfp);
	}
}

static void test_gfp_zone_maps_zone_modifiers_for_64bit(void **state)
{
	(void)state;
	/* No machine set up: a 64-bit kernel's table. */
	assert_int_equal(mem_bits_per_long(), 64);
	assert_int_equal(gfp_zone(GFP_KERNEL), ZONE_NORMAL);
	assert_int_equal(gfp_zone(GFP_DMA), ZONE_DMA);
	assert_int_equal(gfp_zone(GFP_KERNEL | __GFP_DMA32), ZONE_DMA32);
	assert_int_equal(gfp_zone(__GFP_MOVABLE | __GFP_DMA32), ZONE_DMA32);
	assert_int_equal(gfp_zone(__GFP_MOVABLE | __GFP_DMA), ZONE_DMA);
	/* __GFP_MOVABLE alone is a migratetype, not a zone. */
	assert_int_equal(gfp_zone(__GFP_MOVABLE), ZONE_NORMAL);
	/* No ZONE_HIGHMEM on 64-bit: OPT_ZONE_HIGHMEM is Normal. */
	assert_int_equal(gfp_zone(GFP_HIGHUSER), ZONE_NORMAL);
	/* ZONE_MOVABLE always exists in the table; the zonelist skips it when empty. */
	assert_int_equal(gfp_zone(GFP_HIGHUSER_MOVABLE), ZONE_MOVABLE);
}

static void test_gfp_migratetype_follows_the_mobility_bits(void **state)
{
	(void)state;
	assert_int_equal(gfp_migratetype(GFP_KERNEL), MIGRATE_UNMOVABLE);
	assert_int_equal(gfp_migratetype(GFP_ATOMIC), MIGRATE_UNMOVABLE);
	assert_int_equal(gfp_migratetype(GFP_HIGHUSER_MOVABLE), MIGRATE_MOVABLE);
	assert_int_equal(gfp_migratetype(GFP_KERNEL | __GFP_RECLAIMABLE), MIGRATE_RECLAIMABLE);
	assert_int_equal(gfp_migratetype(GFP_MOVABLE_MASK), MIGRATE_MOVABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gfp_print_puts_composite_names_before_single_bits),
		cmocka_unit_test(test_gfp_print_shows_unnamed_bits_as_trailing_hex),
		cmocka_unit_test(test_gfp_print_truncates_and_returns_the_written_length),
		cmocka_unit_test(test_gfp_parse_round_trips_real_trace_strings),
		cmocka_unit_test(test_gfp_parse_reports_the_unknown_name),
		cmocka_unit_test(test_gfp_parse_accepts_hex_no_obj_ext_and_a_length_limit),
		cmocka_unit_test(test_gfp_print_then_parse_is_the_identity_on_every_bit_and_random_masks),
		cmocka_unit_test(test_gfp_zone_maps_zone_modifiers_for_64bit),
		cmocka_unit_test(test_gfp_migratetype_follows_the_mobility_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
