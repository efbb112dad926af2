// SPDX-License-Identifier: GPL-2.0
/*
 * `bootsim bench alloc` and `alloc-mt`: page allocator throughput through
 * the hooked entry points the boot model uses (alloc_pages() with its
 * alloc_hooks() tag, __free_pages()), so the tagging hooks run on every
 * call, as in a kernel with CONFIG_MEM_ALLOC_PROFILING.
 *
 * The machine is set up once and page_ext_init() runs first, so every page
 * has its slot and nothing is "early": the figures are the steady state
 * after boot, not RECORD's.  "Tagging off" is sysctl vm.mem_profiling=0
 * (mem_profiling.enabled false): the hooks are still called and return at
 * once, which is what the kernel's static key leaves of them.
 *
 * Each CPU allocates a batch of blocks and then frees them, rather than
 * freeing each block at once, so the free lists are walked as a real
 * workload walks them instead of one block bouncing in and out.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/printk.h"
#include "sim/core/sched.h"
#include "alloc/alloc_pages.h"
#include "alloc_tag/alloc_tag.h"
#include "bench.h"
#include "cli.h"
#include "machine.h"

#define BATCH		16
#define MAX_THREADS	2

struct alloc_job {
	unsigned long pairs;
	bool mixed;			/* orders 0..3 instead of order 0 */
	pthread_barrier_t *start;
	double t0, t1;
	unsigned long failures;
};

/* Orders 0..3 from a xorshift: the same sequence on every run and CPU count. */
static unsigned int next_order(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (unsigned int)(*x >> 32) & 3;
}

static void alloc_cpu_main(void *arg)
{
	struct alloc_job *job = arg;
	struct page *pages[BATCH];
	unsigned int orders[BATCH];
	uint64_t x = 0x9e3779b97f4a7c15ULL + (uint64_t)smp_processor_id();
	unsigned long done = 0;

	pthread_barrier_wait(job->start);
	job->t0 = bench_now();
	while (done < job->pairs) {
		unsigned int n = job->pairs - done < BATCH ? (unsigned int)(job->pairs - done) : BATCH;

		for (unsigned int i = 0; i < n; i++) {
			orders[i] = job->mixed ? next_order(&x) : 0;
			pages[i] = alloc_pages(GFP_KERNEL, orders[i]);
		}
		for (unsigned int i = 0; i < n; i++) {
			if (pages[i])
				__free_pages(pages[i], orders[i]);
			else
				job->failures++;
		}
		done += n;
	}
	job->t1 = bench_now();
}

/*
 * One measurement: @threads simulated CPUs, each making @pairs pairs; the
 * rate is all pairs over the span from the first start to the last end.
 */
static int alloc_measure(unsigned int threads, bool mixed, unsigned long pairs,
			 double *rate, FILE *err)
{
	struct alloc_job jobs[MAX_THREADS];
	pthread_barrier_t start;
	double t0, t1;
	unsigned long failures = 0;
	int ret = 0;

	pthread_barrier_init(&start, NULL, threads);
	for (unsigned int i = 0; i < threads; i++) {
		static const char *const comm[MAX_THREADS] = { "bench/0", "bench/1" };

		jobs[i] = (struct alloc_job){ .pairs = pairs, .mixed = mixed, .start = &start };
		ret = sim_cpu_start((int)i, comm[i], 100 + (int)i, alloc_cpu_main, &jobs[i]);
		if (ret) {
			/* the started ones wait on the barrier: cannot release them */
			fprintf(err, "bootsim: bench: cannot start a CPU thread: %s\n",
				strerror(ret));
			abort();
		}
	}
	sim_cpu_join_all();
	pthread_barrier_destroy(&start);
	t0 = jobs[0].t0;
	t1 = jobs[0].t1;
	for (unsigned int i = 0; i < threads; i++) {
		t0 = jobs[i].t0 < t0 ? jobs[i].t0 : t0;
		t1 = jobs[i].t1 > t1 ? jobs[i].t1 : t1;
		failures += jobs[i].failures;
	}
	if (failures) {
		fprintf(err, "bootsim: bench: %lu allocations failed on an idle 1 GiB machine\n",
			failures);
		ret = EXIT_INTERNAL;
	}
	*rate = (double)pairs * threads / (t1 - t0 > 1e-9 ? t1 - t0 : 1e-9);
	return ret;
}

static void run_page_ext_init(void *arg)
{
	page_ext_init();
}

/*
 * A quiet 1 GiB machine with page_ext initialised on CPU 0; @pcp turns on
 * the per-CPU page lists (boot --pcp).
 */
static int alloc_machine_up(unsigned int cpus, bool pcp, FILE *err)
{
	struct machine_config cfg;
	char msg[256];

	machine_config_defaults(&cfg);
	cfg.cpus = cpus;
	cfg.mem_bytes = 1ULL << 30;
	cfg.kmemleak = false;
	cfg.pcp = pcp;
	sim_log_set_stream(NULL);
	if (machine_setup(&cfg, msg, sizeof(msg))) {
		fprintf(err, "bootsim: bench: %s\n", msg);
		return EXIT_INTERNAL;
	}
	sim_run_as_cpu(0, "swapper/0", 1, run_page_ext_init, NULL);
	return 0;
}

struct alloc_case {
	const char *name;
	unsigned int threads;
	bool mixed, tagging;
	bool pcp;			/* per-CPU page lists: a machine of its own */
	const char *note;
};

/*
 * Measures the cases whose .pcp is @pcp into @vals (case-major, @o->runs
 * per case) on one machine of as many CPUs as the widest case, interleaved
 * (case A, B, C, A, B, C...) so that a slow spell of the host hurts every
 * case alike.
 */
static int alloc_cases_on(const struct bench_opts *o, const struct alloc_case *cases,
			  unsigned int nr, bool pcp, double *vals)
{
	unsigned int cpus = 0;
	int ret;

	for (unsigned int c = 0; c < nr; c++)
		if (cases[c].pcp == pcp && cases[c].threads > cpus)
			cpus = cases[c].threads;
	if (!cpus)
		return 0;
	ret = alloc_machine_up(cpus, pcp, o->err);
	if (ret)
		return ret;
	/* warm up: fault in the struct pages and bodies the batches use */
	for (unsigned int c = 0; c < nr && !ret; c++) {
		double rate;

		if (cases[c].pcp != pcp)
			continue;
		mem_profiling.enabled = cases[c].tagging;
		ret = alloc_measure(cases[c].threads, cases[c].mixed, o->iterations / 8 + 1,
				    &rate, o->err);
	}
	for (unsigned int r = 0; r < o->runs && !ret; r++) {
		for (unsigned int c = 0; c < nr && !ret; c++) {
			if (cases[c].pcp != pcp)
				continue;
			mem_profiling.enabled = cases[c].tagging;
			ret = alloc_measure(cases[c].threads, cases[c].mixed, o->iterations,
					    &vals[c * o->runs + r], o->err);
		}
	}
	mem_profiling.enabled = true;
	machine_teardown();
	return ret;
}

/*
 * Measures every case @o->runs times, the default allocator's cases on one
 * machine and the per-CPU-list cases on another; @medians gets each case's
 * median.  Prints one figure line per case.
 */
static int alloc_cases(const struct bench_opts *o, const struct alloc_case *cases,
		       unsigned int nr, double *medians)
{
	double *vals = calloc((size_t)nr * o->runs, sizeof(double));
	int ret = vals ? 0 : EXIT_INTERNAL;

	if (!ret)
		ret = alloc_cases_on(o, cases, nr, false, vals);
	if (!ret)
		ret = alloc_cases_on(o, cases, nr, true, vals);
	for (unsigned int c = 0; c < nr && !ret; c++) {
		struct bench_stats s;

		bench_stats(&vals[c * o->runs], o->runs, &s);
		bench_print_figure(o->out, cases[c].name, &s, o->runs, 0, "pairs/s", cases[c].note);
		medians[c] = s.median;
	}
	free(vals);
	return ret;
}

int bench_alloc(const struct bench_opts *o)
{
	static const struct alloc_case cases[] = {
		{ "alloc-tagging-off", 1, false, false, false,
		  "order 0, mem_profiling disabled (sysctl vm.mem_profiling=0)" },
		{ "alloc-tagging-on", 1, false, true, false,
		  "order 0, tagging on with page_ext initialised" },
		{ "alloc-mixed-0-3", 1, true, true, false,
		  "orders 0..3 mixed, tagging on" },
		{ "alloc-pcp-tagging-off", 1, false, false, true,
		  "order 0 through per-CPU page lists (--pcp), mem_profiling disabled" },
		{ "alloc-pcp-tagging-on", 1, false, true, true,
		  "order 0 through per-CPU page lists (--pcp), tagging on; the headline" },
		{ "alloc-pcp-mixed-0-3", 1, true, true, true,
		  "orders 0..3 mixed through per-CPU page lists (--pcp), tagging on" },
	};
	double med[ARRAY_SIZE(cases)];
	int ret;

	fprintf(o->out, "bench alloc: alloc_pages(GFP_KERNEL)+__free_pages() pairs on 1 simulated "
		"CPU, batches of %d, %lu pairs per run, %u runs; 1 GiB machine, variant L6, "
		"page_ext_init() done; without and with the per-CPU page lists (the kernel's "
		"order-0 fast path, boot --pcp)\n", BATCH, o->iterations, o->runs);
	ret = alloc_cases(o, cases, ARRAY_SIZE(cases), med);
	if (!ret)
		fprintf(o->out, "alloc: %.0f pairs/s\n", med[4]);
	return ret;
}

int bench_alloc_mt(const struct bench_opts *o)
{
	static const struct alloc_case cases[] = {
		{ "alloc-mt-1-thread", 1, false, true, false,
		  "order 0, tagging on, one CPU thread" },
		{ "alloc-mt-tagging-off", 2, false, false, false,
		  "order 0, mem_profiling disabled, 2 CPU threads" },
		{ "alloc-mt-tagging-on", 2, false, true, false,
		  "order 0, tagging on, 2 CPU threads (every pair takes zone->lock)" },
		{ "alloc-mt-pcp-1-thread", 1, false, true, true,
		  "order 0 through per-CPU page lists (--pcp), tagging on, one CPU thread" },
		{ "alloc-mt-pcp-tagging-on", 2, false, true, true,
		  "order 0 through per-CPU page lists (--pcp), tagging on, 2 CPU threads; "
		  "the headline" },
	};
	double med[ARRAY_SIZE(cases)];
	int ret;

	fprintf(o->out, "bench alloc-mt: alloc_pages(GFP_KERNEL)+__free_pages() pairs on 2 "
		"simulated CPUs at once (free backend), batches of %d, %lu pairs per CPU per run, "
		"%u runs; rates are both CPUs' pairs over the wall time\n", BATCH, o->iterations,
		o->runs);
	ret = alloc_cases(o, cases, ARRAY_SIZE(cases), med);
	if (ret)
		return ret;
	fprintf(o->out, "alloc-mt-scaling: %.2f x (2 threads over 1 thread, medians, tagging on, "
		"zone->lock only)\n", med[0] > 0 ? med[2] / med[0] : 0);
	fprintf(o->out, "alloc-mt-pcp-scaling: %.2f x (2 threads over 1 thread, medians, tagging "
		"on, per-CPU page lists)\n", med[3] > 0 ? med[4] / med[3] : 0);
	fprintf(o->out, "alloc-mt: %.0f pairs/s\n", med[4]);
	return 0;
}
