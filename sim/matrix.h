/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/matrix.h - `bootsim matrix`: the variant × defect table (catalogue.h).
 */
#ifndef SIM_MATRIX_H
#define SIM_MATRIX_H

#include <stdbool.h>
#include <stdio.h>

#include "catalogue.h"

enum cell_result {
	CELL_NOT_APPLICABLE,
	CELL_FOUND,
	CELL_NOT_FOUND,
	CELL_ERROR,
};

struct matrix_cell {
	enum cell_result result;
	bool exhausted;			/* not found: the DFS tree is done */
	unsigned long executions;	/* to the witness, or all of them */
	char schedule[1024];		/* race witness, "" otherwise */
};

/*
 * One case on one variant, as `matrix` runs it: the single schedule of a
 * one-CPU case, or the case's strategy up to @budget executions for a race.
 * Errors (a scenario that does not parse) go to @err as CELL_ERROR.
 */
void matrix_run_cell(const struct defect_case *dc, const struct early_pfn_variant *v,
		     unsigned long budget, struct matrix_cell *cell, FILE *err);
bool matrix_cell_matches(const struct defect_case *dc, const struct early_pfn_variant *v,
			 const struct matrix_cell *c);

/* argv[0] is "matrix"; returns the exit status. */
int matrix_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* SIM_MATRIX_H */
