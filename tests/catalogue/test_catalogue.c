// SPDX-License-Identifier: GPL-2.0
/*
 * The defect catalogue (§4) as tests: one test per (case, variant) pair of
 * the expectations table in sim/catalogue.c, named
 * "<defect>_<variant>_<found|not_found>", asserting what `bootsim matrix`
 * prints for that cell.  Races are searched as matrix searches them, with a
 * smaller budget (a "not found" here is bounded, not a proof; the proofs
 * are the DFS-exhaustive tests in test_exhaustive.c).
 */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "sim/catalogue.h"
#include "sim/matrix.h"

#define TEST_BUDGET	2000UL

struct pair {
	const struct defect_case *dc;
	const struct early_pfn_variant *v;
	enum expectation expect;
	char name[64];
};

static void test_cell_matches_expectation(void **state)
{
	const struct pair *p = *state;
	struct matrix_cell cell;

	matrix_run_cell(p->dc, p->v, TEST_BUDGET, &cell, stderr);
	assert_int_not_equal(cell.result, CELL_ERROR);
	if (p->expect == EXPECT_FOUND) {
		if (cell.result != CELL_FOUND)
			fail_msg("%s on %s: expected the %s oracle (%s) to fire, it did not in %lu "
				 "executions", p->dc->defect, p->v->id, p->dc->defect,
				 p->dc->oracle, cell.executions);
		/* a race's witness is a schedule that replays */
		if (p->dc->race)
			assert_true(cell.schedule[0] != '\0');
	} else if (cell.result != CELL_NOT_FOUND) {
		fail_msg("%s on %s: expected no %s, found it after %lu executions (schedule %s)",
			 p->dc->defect, p->v->id, p->dc->defect, cell.executions,
			 cell.schedule[0] ? cell.schedule : "-");
	}
}

static void test_every_case_names_a_builtin_scenario(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < nr_defect_cases; i++) {
		assert_non_null(scenario_builtin_lookup(defect_cases[i].scenario));
		assert_ptr_equal(defect_case_lookup(defect_cases[i].defect), &defect_cases[i]);
	}
}

static void test_every_expectation_names_a_known_variant(void **state)
{
	(void)state;
	/* found_on and not_applicable lists must not carry typos */
	for (unsigned int i = 0; i < nr_defect_cases; i++) {
		const char *lists[] = { defect_cases[i].found_on, defect_cases[i].not_applicable };

		for (int l = 0; l < 2; l++) {
			char buf[256], *save = NULL;

			snprintf(buf, sizeof(buf), "%s", lists[l]);
			for (char *id = strtok_r(buf, " ", &save); id; id = strtok_r(NULL, " ", &save))
				if (!early_pfn_lookup(id))
					fail_msg("%s: unknown variant '%s'", defect_cases[i].defect, id);
		}
	}
}

int main(void)
{
	unsigned int nr_variants = 0, n = 0;
	struct CMUnitTest *tests;
	struct pair *pairs;
	int ret;

	while (early_pfn_variants[nr_variants])
		nr_variants++;
	pairs = calloc((size_t)nr_defect_cases * nr_variants, sizeof(*pairs));
	tests = calloc((size_t)nr_defect_cases * nr_variants + 2, sizeof(*tests));
	if (!pairs || !tests)
		return 1;
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_every_case_names_a_builtin_scenario);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_every_expectation_names_a_known_variant);
	for (unsigned int c = 0; c < nr_defect_cases; c++) {
		for (unsigned int v = 0; v < nr_variants; v++) {
			struct pair *p = &pairs[c * nr_variants + v];

			p->dc = &defect_cases[c];
			p->v = early_pfn_variants[v];
			p->expect = defect_case_expect(p->dc, p->v);
			if (p->expect == EXPECT_NOT_APPLICABLE)
				continue;
			snprintf(p->name, sizeof(p->name), "%s_%s_%s", p->dc->defect, p->v->id,
				 p->expect == EXPECT_FOUND ? "found" : "not_found");
			tests[n++] = (struct CMUnitTest){
				.name = p->name,
				.test_func = test_cell_matches_expectation,
				.initial_state = p,
			};
		}
	}
	ret = _cmocka_run_group_tests("catalogue", tests, n, NULL, NULL);
	free(tests);
	free(pairs);
	return ret;
}
