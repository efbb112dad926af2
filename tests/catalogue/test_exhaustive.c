// SPDX-License-Identifier: GPL-2.0
/*
 * "Not found" proofs: DFS exhausts the schedule tree of a race scenario on a
 * variant that fixed the race, with no oracle firing at all.  Bound: one
 * preemption (the witnesses of D7, D10 and D5-like races need one).
 * The pool-boundary scenario of D12/D13 has a tree of about 140 000
 * schedules; it is split in shards that meson runs in parallel
 * (argv: --defect D | --scenario NAME, then VARIANT [SHARD/COUNT]).  With
 * --defect only that defect's detector counts; with --scenario any oracle.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/cli.h"

static char *argv_what, *argv_scenario, *argv_variant, *argv_shard;

static void test_dfs_exhausts_the_tree_without_a_finding(void **state)
{
	char *args[16], *out_text = NULL, *err_text = NULL;
	size_t out_len = 0, err_len = 0;
	FILE *out, *err;
	int n = 0, status;

	(void)state;
	args[n++] = "bootsim";
	args[n++] = "explore";
	args[n++] = argv_what;
	args[n++] = argv_scenario;
	args[n++] = "--variant";
	args[n++] = argv_variant;
	args[n++] = "--strategy";
	args[n++] = "dfs";
	args[n++] = "--preemptions";
	args[n++] = "1";
	args[n++] = "--no-progress";
	if (argv_shard) {
		args[n++] = "--shard";
		args[n++] = argv_shard;
	}
	args[n] = NULL;
	out = open_memstream(&out_text, &out_len);
	err = open_memstream(&err_text, &err_len);
	assert_non_null(out);
	assert_non_null(err);
	status = bootsim_main(n, args, out, err);
	fclose(out);
	fclose(err);
	if (status != 0)
		fail_msg("%s on %s: exit %d\n%s%s", argv_scenario, argv_variant, status,
			 out_text, err_text);
	assert_non_null(strstr(out_text, "the schedule space is exhausted"));
	free(out_text);
	free(err_text);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dfs_exhausts_the_tree_without_a_finding),
	};

	if (argc < 4)
		return 2;
	argv_what = argv[1];
	argv_scenario = argv[2];
	argv_variant = argv[3];
	argv_shard = argc > 4 ? argv[4] : NULL;
	return cmocka_run_group_tests_name("exhaustive", tests, NULL, NULL);
}
