// SPDX-License-Identifier: GPL-2.0
/*
 * `bootsim bench NAME`: options, the shared median/min/max reporting, and
 * the benchmarks that drive whole runs through the public APIs: boot
 * (boot_run() in a child per boot, so its peak RSS is its own), replay
 * (replay_run() over a generated trace) and explore (explore_search()).
 * The allocator benchmarks are in bench_alloc.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/core/compiler.h"
#include "bench.h"
#include "boot.h"
#include "cli.h"
#include "explore.h"
#include "replay.h"
#include "scenario.h"

struct bench_def {
	const char *name;
	int (*run)(const struct bench_opts *o);
	unsigned long iterations;	/* default; 0: --iterations not used */
	const char *help;
};

double bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bench_stats(const double *v, unsigned int n, struct bench_stats *s)
{
	double *sorted = malloc(n * sizeof(*sorted));

	if (!sorted || !n) {
		free(sorted);
		*s = (struct bench_stats){ 0 };
		return;
	}
	memcpy(sorted, v, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	s->min = sorted[0];
	s->max = sorted[n - 1];
	/* an even count takes the mean of the middle two */
	s->median = n & 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
	free(sorted);
}

void bench_print_figure(FILE *out, const char *name, const struct bench_stats *s,
			unsigned int runs, int decimals, const char *unit, const char *note)
{
	fprintf(out, "%s: %.*f %s (median of %u runs; min %.*f, max %.*f)%s%s\n", name,
		decimals, s->median, unit, runs, decimals, s->min, decimals, s->max,
		note ? "; " : "", note ? note : "");
}

/* ---- boot ------------------------------------------------------------ */

static const struct boot_config {
	unsigned int cpus;
	unsigned long long mem;
	const char *mem_arg, *label;
} boot_configs[] = {
	{ 8, 4ULL << 30, "4G", "8 CPUs, 4 GiB" },
	{ 256, 256ULL << 30, "256G", "256 CPUs, 256 GiB" },
	{ 4096, 4ULL << 40, "4T", "4096 CPUs, 4 TiB" },
};

/*
 * One `bootsim boot --cpus C --mem M --page-ext deferred --quiet` in a
 * child, from fork to reaped exit (the teardown of the simulated memory is
 * part of what a user waits for); its ru_maxrss is that boot's alone.
 */
static int boot_once(const struct boot_config *bc, double *wall, double *rss_mib, FILE *err)
{
	struct rusage ru;
	double t0 = bench_now();
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(err, "bootsim: bench boot: fork: %s\n", strerror(errno));
		return EXIT_INTERNAL;
	}
	if (!pid) {
		struct boot_options bo;
		struct boot_result res;
		char msg[256];
		int ret;

		boot_options_defaults(&bo);
		bo.machine.cpus = bc->cpus;
		bo.machine.mem_bytes = bc->mem;
		bo.timing = BOOT_PAGE_EXT_DEFERRED;
		bo.log = NULL;
		if (boot_run(&bo, &res, msg, sizeof(msg))) {
			fprintf(stderr, "bootsim: bench boot: %s\n", msg);
			_exit(EXIT_INTERNAL);
		}
		ret = res.oracles.fired ? EXIT_FINDING : EXIT_CLEAN;
		boot_result_free(&res);
		_exit(ret);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		fprintf(err, "bootsim: bench boot: wait4: %s\n", strerror(errno));
		return EXIT_INTERNAL;
	}
	*wall = bench_now() - t0;
	*rss_mib = (double)ru.ru_maxrss / 1024;
	/* an oracle firing is the boot's finding, not a failed measurement */
	if (!WIFEXITED(status) || WEXITSTATUS(status) > EXIT_FINDING) {
		fprintf(err, "bootsim: bench boot: the %s boot failed (%s %d)\n", bc->label,
			WIFEXITED(status) ? "exit status" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return EXIT_INTERNAL;
	}
	return 0;
}

static int bench_boot(const struct bench_opts *o)
{
	enum { NR = ARRAY_SIZE(boot_configs) };
	double *wall = calloc((size_t)NR * o->runs, sizeof(double));
	double *rss = calloc((size_t)NR * o->runs, sizeof(double));
	struct bench_stats w = { 0 }, m;
	int ret = wall && rss ? 0 : EXIT_INTERNAL;

	fprintf(o->out, "bench boot: bootsim boot --cpus C --mem M --page-ext deferred --quiet, "
		"each boot in its own child process (wall: fork to exit; RSS: its ru_maxrss), "
		"%u runs\n", o->runs);
	/* configurations interleaved per run, so a slow spell hits each alike */
	for (unsigned int r = 0; r < o->runs && !ret; r++)
		for (unsigned int c = 0; c < NR && !ret; c++)
			ret = boot_once(&boot_configs[c], &wall[c * o->runs + r],
					&rss[c * o->runs + r], o->err);
	for (unsigned int c = 0; c < NR && !ret; c++) {
		char name[32];

		bench_stats(&wall[c * o->runs], o->runs, &w);
		bench_stats(&rss[c * o->runs], o->runs, &m);
		snprintf(name, sizeof(name), "boot-%u-cpus-%s", boot_configs[c].cpus,
			 boot_configs[c].mem_arg);
		fprintf(o->out, "%s: %.3f s (median of %u runs; min %.3f, max %.3f); "
			"peak RSS %.1f MiB (median; min %.1f, max %.1f); %s\n", name, w.median,
			o->runs, w.min, w.max, m.median, m.min, m.max, boot_configs[c].label);
	}
	if (!ret)
		fprintf(o->out, "boot: %.3f s\n", w.median);
	free(wall);
	free(rss);
	return ret;
}

/* ---- replay ---------------------------------------------------------- */

/*
 * A synthetic trace that replays strictly: 4 CPUs, two tasks each, allocate
 * (orders 0-3, GFP_KERNEL family) and free blocks of a 512 MiB window; any
 * CPU may free any live block.  The live set hovers around half the window's
 * 16384 slots (allocation is likelier the fewer are live).  page_ext appears
 * after the first 1% of the events (a bootsim marker), so RECORD and CLEAR
 * take part; everything still live at the end is freed, so the replay ends
 * clean.  The same bytes every time: a fixed xorshift seed.
 */
#define SYN_CPUS	4
#define SYN_SLOTS	16384
#define SYN_SLOT_PAGES	8		/* holds an order-3 block, aligned */
#define SYN_BASE_PFN	0x8000UL	/* 128 MiB: clear of the reserved low pages */

struct syn {
	FILE *f;
	uint64_t x;
	unsigned long long us;		/* timestamp of the next line */
	unsigned long events;
	uint32_t *free_slots, *live;	/* stacks of slot numbers */
	uint8_t *order;			/* per slot */
	unsigned int nr_free, nr_live;
};

static uint64_t syn_rand(struct syn *s)
{
	s->x ^= s->x << 13;
	s->x ^= s->x >> 7;
	s->x ^= s->x << 17;
	return s->x;
}

static void syn_prefix(struct syn *s, unsigned int cpu, unsigned int task)
{
	static const char *const comm[] = { "kworker/%u:1", "systemd-udevd" };
	char name[24];

	snprintf(name, sizeof(name), comm[task], cpu);
	fprintf(s->f, "%16s-%-7u [%03u] ..... %5llu.%06llu: ", name, 20 + cpu * 2 + task, cpu,
		s->us / 1000000, s->us % 1000000);
	s->us++;
}

static void syn_alloc(struct syn *s, uint64_t r)
{
	static const char *const gfps[] = {
		"GFP_KERNEL", "GFP_KERNEL|__GFP_COMP",
		"GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP", "GFP_KERNEL_ACCOUNT|__GFP_ZERO",
	};
	unsigned int pick = (unsigned int)(r >> 20) % 100;
	unsigned int order = pick < 70 ? 0 : pick < 85 ? 1 : pick < 95 ? 2 : 3;
	unsigned int slot_i = (unsigned int)(r >> 28) % s->nr_free;
	uint32_t slot = s->free_slots[slot_i];
	unsigned long pfn = SYN_BASE_PFN + (unsigned long)slot * SYN_SLOT_PAGES;
	unsigned int g = (unsigned int)(r >> 40) % 16;

	s->free_slots[slot_i] = s->free_slots[--s->nr_free];
	s->live[s->nr_live++] = slot;
	s->order[slot] = (uint8_t)order;
	syn_prefix(s, (unsigned int)(r >> 8) % SYN_CPUS, (unsigned int)(r >> 12) & 1);
	fprintf(s->f, "mm_page_alloc: page=%016lx pfn=0x%lx order=%u migratetype=0 gfp_flags=%s\n",
		pfn, pfn, order, gfps[g == 15 ? 3 : g % 3]);
	s->events++;
}

static void syn_free(struct syn *s, unsigned int live_i, uint64_t r)
{
	uint32_t slot = s->live[live_i];
	unsigned long pfn = SYN_BASE_PFN + (unsigned long)slot * SYN_SLOT_PAGES;

	s->live[live_i] = s->live[--s->nr_live];
	s->free_slots[s->nr_free++] = slot;
	syn_prefix(s, (unsigned int)(r >> 8) % SYN_CPUS, (unsigned int)(r >> 12) & 1);
	fprintf(s->f, "mm_page_free: page=%016lx pfn=0x%lx order=%u\n", pfn, pfn, s->order[slot]);
	s->events++;
}

/* Writes about @events alloc/free events to @f; returns the exact count. */
static unsigned long synth_trace(FILE *f, unsigned long events)
{
	struct syn s = {
		.f = f, .x = 0x2545f4914f6cdd1dULL, .us = 1000000,
		.free_slots = malloc(SYN_SLOTS * sizeof(uint32_t)),
		.live = malloc(SYN_SLOTS * sizeof(uint32_t)),
		.order = malloc(SYN_SLOTS),
		.nr_free = SYN_SLOTS,
	};
	unsigned long marker_at = events / 100;
	bool marked = false;

	if (!s.free_slots || !s.live || !s.order) {
		events = 0;
		goto out;
	}
	for (unsigned int i = 0; i < SYN_SLOTS; i++)
		s.free_slots[i] = SYN_SLOTS - 1 - i;
	fprintf(f, "# tracer: nop\n#\n# entries-in-buffer/entries-written: %lu/%lu   #P:%u\n#\n"
		"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
		"#              | |         |   |||||     |         |\n", events, events, SYN_CPUS);
	/* every allocation adds two events (itself and its final free) */
	while (s.events + s.nr_live < events) {
		uint64_t r = syn_rand(&s);

		if (!marked && s.events >= marker_at) {
			syn_prefix(&s, 0, 0);
			fputs("bootsim_marker: page_ext_init start\n", f);
			marked = true;
		}
		if ((r & 0xffff) % SYN_SLOTS >= s.nr_live)
			syn_alloc(&s, r);
		else
			syn_free(&s, (unsigned int)(r >> 32) % s.nr_live, r);
	}
	while (s.nr_live)
		syn_free(&s, s.nr_live - 1, syn_rand(&s));
	events = s.events;
out:
	free(s.free_slots);
	free(s.live);
	free(s.order);
	return events;
}

static int bench_replay(const struct bench_opts *o)
{
	const char *tmpdir = getenv("TMPDIR");
	double *pass = calloc(o->runs, sizeof(double)), *whole = calloc(o->runs, sizeof(double));
	char path[4096];
	struct bench_stats sp, sw;
	unsigned long events = 0;
	FILE *f = NULL;
	int fd, ret = EXIT_INTERNAL;

	snprintf(path, sizeof(path), "%s/bootsim-bench-replay-XXXXXX",
		 tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = pass && whole ? mkstemp(path) : -1;
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(o->err, "bootsim: bench replay: cannot create %s: %s\n", path,
			strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		goto out;
	}
	events = synth_trace(f, o->iterations);
	if (fclose(f) || !events) {
		fprintf(o->err, "bootsim: bench replay: cannot write %s: %s\n", path,
			events ? strerror(errno) : "out of host memory");
		goto out_unlink;
	}
	fprintf(o->out, "bench replay: replay_run() of a generated trace (%s), %lu alloc/free "
		"events on %u CPUs, ordering timestamp, variant L6, strict; %u runs\n", path,
		events, SYN_CPUS, o->runs);
	for (unsigned int r = 0; r < o->runs; r++) {
		struct replay_options ro;
		struct replay_result res;
		char msg[1024] = "";
		unsigned long n;

		replay_options_defaults(&ro);
		ro.path = path;
		ro.ordering = REPLAY_ORDER_TIMESTAMP;
		ro.log = NULL;
		ret = replay_run(&ro, &res, msg, sizeof(msg));
		if (ret) {
			fprintf(o->err, "bootsim: bench replay: %s\n", msg);
			goto out_unlink;
		}
		n = res.counts.allocs + res.counts.frees;
		if (n != events || res.oracles.fired) {
			fprintf(o->err, "bootsim: bench replay: replayed %lu of %lu events%s\n", n,
				events, res.oracles.fired ? ", and an oracle fired" : "");
			ret = EXIT_INTERNAL;
		}
		pass[r] = n / (res.replay_seconds > 1e-9 ? res.replay_seconds : 1e-9);
		whole[r] = n / (res.wall_seconds > 1e-9 ? res.wall_seconds : 1e-9);
		replay_result_free(&res);
		if (ret)
			goto out_unlink;
	}
	bench_stats(pass, o->runs, &sp);
	bench_stats(whole, o->runs, &sw);
	bench_print_figure(o->out, "replay-pass", &sp, o->runs, 0, "events/s",
			   "the second (replaying) pass alone");
	bench_print_figure(o->out, "replay-whole", &sw, o->runs, 0, "events/s",
			   "the whole run: sizing pass, machine setup, replay pass, oracles");
	fprintf(o->out, "replay: %.0f events/s\n", sw.median);
out_unlink:
	unlink(path);
out:
	free(pass);
	free(whole);
	return ret;
}

/* ---- explore --------------------------------------------------------- */

static const char *const explore_scenarios[] = {
	"clean-two-cpus", "d7-clear-vs-alloc", "d8-free-in-window",
};
static const enum strategy_kind explore_strategies[] = { STRATEGY_PCT, STRATEGY_RANDOM };
#define NR_EXPLORE_CASES (ARRAY_SIZE(explore_scenarios) * ARRAY_SIZE(explore_strategies))

/* One search of @budget executions that does not stop at findings. */
static int explore_once(struct scenario *sc, enum strategy_kind kind, unsigned long budget,
			unsigned long *executions, double *seconds, FILE *err)
{
	struct explore_options eo;
	struct explore_outcome res = { 0 };
	double t0;
	int ret;

	explore_options_defaults(&eo);
	eo.scenario = sc;
	eo.strategy.kind = kind;
	eo.strategy.runs = budget;
	eo.strategy.nr_cpus = scenario_cpus(sc);
	eo.all = true;
	eo.shrink = false;
	eo.progress = false;
	eo.err = err;
	t0 = bench_now();
	ret = explore_search(&eo, &res);
	*seconds = bench_now() - t0;
	*executions = res.executions;
	free(res.schedule);
	return ret;
}

static int bench_explore(const struct bench_opts *o)
{
	enum { NR = NR_EXPLORE_CASES };
	struct scenario *sc[ARRAY_SIZE(explore_scenarios)] = { NULL };
	double *rate = calloc((size_t)(NR + 1) * o->runs, sizeof(double));
	double *agg = rate ? rate + (size_t)NR * o->runs : NULL;
	struct bench_stats s;
	int ret = rate ? 0 : EXIT_INTERNAL;

	for (unsigned int i = 0; i < ARRAY_SIZE(explore_scenarios) && !ret; i++) {
		char msg[512];

		sc[i] = scenario_open(explore_scenarios[i], msg, sizeof(msg));
		if (!sc[i]) {
			fprintf(o->err, "bootsim: bench explore: %s\n", msg);
			ret = EXIT_INTERNAL;
		}
	}
	fprintf(o->out, "bench explore: explore_search() of %lu executions each (--all, no "
		"shrink, seed 1, variant L6) on clean-two-cpus, d7-clear-vs-alloc, "
		"d8-free-in-window with pct (depth 2) and random; %u runs\n", o->iterations, o->runs);
	for (unsigned int r = 0; r < o->runs && !ret; r++) {
		unsigned long total = 0;
		double secs = 0;

		for (unsigned int c = 0; c < NR && !ret; c++) {
			unsigned long n;
			double t;

			ret = explore_once(sc[c / ARRAY_SIZE(explore_strategies)],
					   explore_strategies[c % ARRAY_SIZE(explore_strategies)],
					   o->iterations, &n, &t, o->err);
			rate[c * o->runs + r] = n / (t > 1e-9 ? t : 1e-9);
			total += n;
			secs += t;
		}
		agg[r] = total / (secs > 1e-9 ? secs : 1e-9);
	}
	for (unsigned int c = 0; c < NR && !ret; c++) {
		char name[64];

		snprintf(name, sizeof(name), "explore-%s-%s",
			 explore_scenarios[c / ARRAY_SIZE(explore_strategies)],
			 strategy_name(explore_strategies[c % ARRAY_SIZE(explore_strategies)]));
		bench_stats(&rate[c * o->runs], o->runs, &s);
		bench_print_figure(o->out, name, &s, o->runs, 0, "exec/s", NULL);
	}
	if (!ret) {
		bench_stats(agg, o->runs, &s);
		bench_print_figure(o->out, "explore-aggregate", &s, o->runs, 0, "exec/s",
				   "all executions of a run over its wall time; the headline");
		fprintf(o->out, "explore: %.0f exec/s\n", s.median);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(explore_scenarios); i++)
		scenario_free(sc[i]);
	free(rate);
	return ret;
}

/* ---- command line ---------------------------------------------------- */

static const struct bench_def benches[] = {
	{ "alloc", bench_alloc, 2000000,
	  "order-0 alloc_pages()+__free_pages() pairs/s on one\n"
	  "                 simulated CPU through the tagging hooks; also tagging\n"
	  "                 off (mem_profiling disabled) and orders 0..3 mixed;\n"
	  "                 each without and with per-CPU page lists (--pcp).\n"
	  "                 Headline: --pcp, tagging on, order 0.  --iterations:\n"
	  "                 pairs per run (2000000)" },
	{ "alloc-mt", bench_alloc_mt, 2000000,
	  "the same on 2 simulated CPUs at once (free backend), and\n"
	  "                 the scaling over 1 CPU, without and with --pcp.\n"
	  "                 Headline: --pcp, tagging on, order 0, both CPUs\n"
	  "                 summed.  --iterations: pairs per CPU per run (2000000)" },
	{ "boot", bench_boot, 0,
	  "wall time and peak RSS of `boot --page-ext deferred --quiet`\n"
	  "                 with 8 CPUs/4G, 256/256G and 4096/4T, each boot in a\n"
	  "                 child process.  Headline: wall seconds of 4096/4T" },
	{ "replay", bench_replay, 1000000,
	  "events/s of replay_run() over a generated, strictly\n"
	  "                 replayable 4-CPU trace (ordering timestamp); also the\n"
	  "                 replay pass alone.  Headline: the whole run (both\n"
	  "                 passes).  --iterations: events in the trace (1000000)" },
	{ "explore", bench_explore, 3000,
	  "executions/s of explore_search() --all on clean-two-cpus,\n"
	  "                 d7-clear-vs-alloc and d8-free-in-window, strategies pct\n"
	  "                 and random.  Headline: all executions over all wall\n"
	  "                 time.  --iterations: executions per scenario and\n"
	  "                 strategy (3000)" },
};

static void bench_usage(FILE *f)
{
	fputs("usage: bootsim bench NAME [--runs N] [--iterations N]\n"
	      "Runs benchmark NAME --runs times (default 5) and prints the median, min\n"
	      "and max; the last line is always 'NAME: VALUE UNIT'.  Benchmarks:\n", f);
	for (size_t i = 0; i < ARRAY_SIZE(benches); i++)
		fprintf(f, "  %-14s %s\n", benches[i].name, benches[i].help);
}

enum { OPT_B_RUNS = 1, OPT_B_ITERATIONS, OPT_B_HELP };

static const struct option bench_longopts[] = {
	{ "runs", required_argument, NULL, OPT_B_RUNS },
	{ "iterations", required_argument, NULL, OPT_B_ITERATIONS },
	{ "help", no_argument, NULL, OPT_B_HELP },
	{ NULL, 0, NULL, 0 },
};

int bench_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct bench_opts o = { .runs = 5, .out = out, .err = err };
	const struct bench_def *def = NULL;
	const char *iterations_arg = NULL;
	unsigned long long v;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", bench_longopts, NULL)) != -1) {
		const char *name = argv[optind - 1];

		switch (c) {
		case OPT_B_RUNS:
			if (parse_uint(optarg, 1000, &v) || !v)
				return bad_value(err, "bench: --runs", optarg,
						 "a number of runs from 1 to 1000");
			o.runs = (unsigned int)v;
			break;
		case OPT_B_ITERATIONS:
			if (parse_uint(optarg, 1000000000000ULL, &v) || !v)
				return bad_value(err, "bench: --iterations", optarg,
						 "a count from 1 to 1000000000000");
			o.iterations = (unsigned long)v;
			iterations_arg = optarg;
			break;
		case OPT_B_HELP:
			bench_usage(out);
			return EXIT_CLEAN;
		case ':':
			fprintf(err, "bootsim: bench: %s: missing value\n", name);
			return EXIT_USAGE;
		default:
			fprintf(err, "bootsim: bench: unknown option '%s' (see bootsim bench --help)\n",
				name);
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		bench_usage(out);
		return EXIT_CLEAN;
	}
	if (optind < argc - 1) {
		fprintf(err, "bootsim: bench: unexpected argument '%s' (one benchmark at a time)\n",
			argv[optind + 1]);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(benches); i++)
		if (!strcmp(argv[optind], benches[i].name))
			def = &benches[i];
	if (!def) {
		fprintf(err, "bootsim: bench: unknown benchmark '%s' (expected alloc, alloc-mt, "
			"boot, replay or explore; see bootsim bench --help)\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (iterations_arg && !def->iterations) {
		fprintf(err, "bootsim: bench %s: --iterations: not used by this benchmark (each run "
			"boots its three machines once; give --runs), got '%s'\n", def->name,
			iterations_arg);
		return EXIT_USAGE;
	}
	if (!o.iterations)
		o.iterations = def->iterations;
	return def->run(&o);
}
