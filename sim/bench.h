/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/bench.h - `bootsim bench NAME`: the benchmarks of issue 6.
 *
 * Every benchmark repeats its measurement --runs times (default 5) and
 * prints the median; sub-figures (with min and max) come first, and the
 * last line of stdout is always "NAME: VALUE UNIT" with VALUE a plain
 * decimal number, so scripts and `meson test --benchmark` logs can read it
 * with one regular expression.
 *
 *   | name     | headline (last line)                                        |
 *   |----------|-------------------------------------------------------------|
 *   | alloc    | order-0 alloc+free pairs/s, one CPU, tagging on             |
 *   | alloc-mt | the same on two simulated CPUs at once, both summed         |
 *   | boot     | wall seconds of the 4096-CPU / 4 TiB deferred boot          |
 *   | replay   | events/s of replay_run() over a 1M-event trace, both passes |
 *   | explore  | executions/s over three race scenarios x {pct, random}      |
 */
#ifndef SIM_BENCH_H
#define SIM_BENCH_H

#include <stdio.h>

int bench_main(int argc, char **argv, FILE *out, FILE *err);

/* For the bench_*.c files: what one benchmark is asked to do. */
struct bench_opts {
	unsigned int runs;
	unsigned long iterations;	/* the benchmark's unit of work per run */
	FILE *out, *err;
};

struct bench_stats {
	double median, min, max;
};

double bench_now(void);
void bench_stats(const double *v, unsigned int n, struct bench_stats *s);
/* "NAME: MEDIAN UNIT (median of N runs; min MIN, max MAX)[; NOTE]" */
void bench_print_figure(FILE *out, const char *name, const struct bench_stats *s,
			unsigned int runs, int decimals, const char *unit, const char *note);

/* Each returns an exit status (0, or 3 when bootsim itself failed). */
int bench_alloc(const struct bench_opts *o);
int bench_alloc_mt(const struct bench_opts *o);

#endif /* SIM_BENCH_H */
