// SPDX-License-Identifier: GPL-2.0
/*
 * bench_alloc_core - alloc+free pairs per second through the whole allocator
 * core: __alloc_pages_noprof() with its hooks, then __free_pages(), on one
 * simulated CPU of the free-running backend.
 *
 *   bench_alloc_core [PAIRS [RUNS]]        every case (default 2000000 pairs, 5 runs)
 *   bench_alloc_core --case NAME [PAIRS [RUNS]]   one case, e.g. for perf record
 *
 * Cases: order 0 or orders 0..3 mixed (a fixed pseudo-random sequence), each
 * with allocation tagging off (mem_profiling.enabled false: the hooks return
 * at once) and on (after page_ext_init(), so every allocation and free goes
 * through the page_ext slot, §2.4, §2.5), each without and with ("-pcp")
 * per-CPU page lists.  A pair allocates one block and
 * frees it again at once; "batch" cases keep 16 blocks live and free them
 * in allocation order, so free lists and buddies are exercised too.  Prints
 * the median of RUNS runs in pairs/s, with min and max, measured in wall
 * time and in the CPU thread's own CPU time: on a loaded host (other test
 * suites running) the second stays close to what an idle host gives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc/alloc_pages.h"
#include "alloc_tag/alloc_tag.h"
#include "page_ext/page_ext.h"
#include "sim/core/printk.h"
#include "sim/core/sched.h"
#include "sim/machine.h"

#define BATCH	16

struct bench_case {
	const char *name;
	bool tagging;
	bool mixed;		/* orders 0..3, else order 0 */
	bool batch;		/* BATCH live blocks, else alloc/free pairs */
	bool pcp;		/* machine_config.pcp: per-CPU page lists */
};

static const struct bench_case cases[] = {
	{ "order0-off", false, false, false, false },
	{ "order0-on", true, false, false, false },
	{ "mixed-off", false, true, false, false },
	{ "mixed-on", true, true, false, false },
	{ "batch-order0-off", false, false, true, false },
	{ "batch-order0-on", true, false, true, false },
	{ "batch-mixed-off", false, true, true, false },
	{ "batch-mixed-on", true, true, true, false },
	{ "order0-off-pcp", false, false, false, true },
	{ "order0-on-pcp", true, false, false, true },
	{ "mixed-off-pcp", false, true, false, true },
	{ "mixed-on-pcp", true, true, false, true },
	{ "batch-order0-off-pcp", false, false, true, true },
	{ "batch-order0-on-pcp", true, false, true, true },
	{ "batch-mixed-off-pcp", false, true, true, true },
	{ "batch-mixed-on-pcp", true, true, true, true },
};

struct bench_run {
	const struct bench_case *c;
	unsigned long pairs;
	unsigned int runs;
	double *rate;		/* per run, pairs/s of wall time */
	double *cpu_rate;	/* per run, pairs/s of the thread's CPU time */
	unsigned long failed;
};

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline unsigned int next_order(uint64_t *x, bool mixed)
{
	if (!mixed)
		return 0;
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (unsigned int)(*x >> 33) & 3;
}

static unsigned long run_pairs(unsigned long pairs, bool mixed)
{
	uint64_t x = 88172645463325252ull;
	unsigned long failed = 0;

	for (unsigned long i = 0; i < pairs; i++) {
		unsigned int order = next_order(&x, mixed);
		struct page *page = alloc_pages(GFP_KERNEL, order);

		if (!page) {
			failed++;
			continue;
		}
		__free_pages(page, order);
	}
	return failed;
}

static unsigned long run_batches(unsigned long pairs, bool mixed)
{
	uint64_t x = 88172645463325252ull;
	struct page *pages[BATCH];
	unsigned int orders[BATCH];
	unsigned long failed = 0;

	for (unsigned long i = 0; i < pairs; i += BATCH) {
		for (int j = 0; j < BATCH; j++) {
			orders[j] = next_order(&x, mixed);
			pages[j] = alloc_pages(GFP_KERNEL, orders[j]);
			failed += !pages[j];
		}
		for (int j = 0; j < BATCH; j++)
			if (pages[j])
				__free_pages(pages[j], orders[j]);
	}
	return failed;
}

static void bench_cpu(void *arg)
{
	struct bench_run *r = arg;
	unsigned long (*fn)(unsigned long, bool) = r->c->batch ? run_batches : run_pairs;

	if (r->c->tagging)
		page_ext_init();
	/* Warm-up: fault in the struct pages and page bodies the runs touch. */
	fn(r->pairs / 10 + BATCH, r->c->mixed);
	for (unsigned int i = 0; i < r->runs; i++) {
		double t0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_THREAD_CPUTIME_ID);

		r->failed += fn(r->pairs, r->c->mixed);
		r->cpu_rate[i] = (double)r->pairs / (now_s(CLOCK_THREAD_CPUTIME_ID) - c0);
		r->rate[i] = (double)r->pairs / (now_s(CLOCK_MONOTONIC) - t0);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int bench_one(const struct bench_case *c, unsigned long pairs, unsigned int runs)
{
	struct machine_config cfg;
	struct bench_run r = { .c = c, .pairs = pairs, .runs = runs };
	char err[256];

	machine_config_defaults(&cfg);
	cfg.cpus = 1;
	cfg.mem_bytes = 1ULL << 30;
	cfg.kmemleak = false;
	cfg.pcp = c->pcp;
	sim_log_set_stream(NULL);
	if (machine_setup(&cfg, err, sizeof(err))) {
		fprintf(stderr, "bench_alloc_core: %s\n", err);
		return 1;
	}
	/* The static key: every hook returns before touching a slot. */
	mem_profiling.enabled = c->tagging;
	r.rate = calloc(runs, sizeof(double));
	r.cpu_rate = calloc(runs, sizeof(double));
	if (!r.rate || !r.cpu_rate || sim_cpu_start(0, "bench", 1, bench_cpu, &r)) {
		fprintf(stderr, "bench_alloc_core: cannot start the simulated CPU\n");
		return 1;
	}
	sim_cpu_join_all();
	machine_teardown();
	qsort(r.rate, runs, sizeof(double), cmp_double);
	qsort(r.cpu_rate, runs, sizeof(double), cmp_double);
	printf("%-20s %6.2f M pairs/s wall (min %.2f, max %.2f), %6.2f M pairs/s CPU "
	       "(min %.2f, max %.2f); median of %u, %lu pairs/run%s\n",
	       c->name, r.rate[runs / 2] / 1e6, r.rate[0] / 1e6, r.rate[runs - 1] / 1e6,
	       r.cpu_rate[runs / 2] / 1e6, r.cpu_rate[0] / 1e6, r.cpu_rate[runs - 1] / 1e6,
	       runs, pairs, r.failed ? ", SOME ALLOCATIONS FAILED" : "");
	fflush(stdout);
	free(r.rate);
	free(r.cpu_rate);
	return r.failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	unsigned long pairs = 2000000;
	unsigned int runs = 5;
	int ret = 0, found = 0;

	if (argc > 2 && !strcmp(argv[1], "--case")) {
		only = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc > 1)
		pairs = strtoul(argv[1], NULL, 0);
	if (argc > 2)
		runs = (unsigned int)strtoul(argv[2], NULL, 0);
	if (!pairs || !runs) {
		fprintf(stderr, "usage: bench_alloc_core [--case NAME] [PAIRS [RUNS]]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (only && strcmp(only, cases[i].name))
			continue;
		found++;
		ret |= bench_one(&cases[i], pairs, runs);
	}
	if (!found) {
		fprintf(stderr, "bench_alloc_core: no case %s\n", only);
		return 2;
	}
	return ret;
}
