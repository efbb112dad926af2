/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/matrix.h - `bootsim matrix`: the variant × defect table (catalogue.h).
 */
#ifndef SIM_MATRIX_H
#define SIM_MATRIX_H

#include <stdio.h>

/* argv[0] is "matrix"; returns the exit status. */
int matrix_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* SIM_MATRIX_H */
