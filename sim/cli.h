/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/cli.h - the bootsim command line.  Exit status (DESIGN.md): 0 no
 * oracle fired, 1 an oracle fired, 2 bad usage or input, 3 internal error.
 */
#ifndef SIM_CLI_H
#define SIM_CLI_H

#include <stdio.h>

enum {
	EXIT_CLEAN = 0,
	EXIT_FINDING = 1,
	EXIT_USAGE = 2,
	EXIT_INTERNAL = 3,
};

int bootsim_main(int argc, char **argv, FILE *out, FILE *err);

/* "8G", "512M", "4TiB", "1048576": binary units; 0 or -1 on bad input. */
int parse_size(const char *s, unsigned long long *out);
int parse_uint(const char *s, unsigned long long max, unsigned long long *out);
/* "bootsim: OPT: expected EXPECTED, got 'VAL'" on @err; returns EXIT_USAGE. */
int bad_value(FILE *err, const char *opt, const char *val, const char *expected);

#endif /* SIM_CLI_H */
