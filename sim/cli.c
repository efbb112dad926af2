// SPDX-License-Identifier: GPL-2.0
/*
 * Command-line parsing and dispatch.  Every bad value is rejected before a
 * machine is built, with a message naming the option and what was expected.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alloc_tag/allocinfo.h"
#include "alloc_tag/early_pfn.h"
#include "bench.h"
#include "boot.h"
#include "explore.h"
#include "scenario.h"
#include "catalogue.h"
#include "matrix.h"
#include "replay_cmd.h"
#include "cli.h"
#include "report.h"
#include "trace_record.h"
#include "version.h"

#define MAX_CPUS	8192		/* the kernel's NR_CPUS ceiling */
#define MIN_MEM		(16ULL << 20)
#define MAX_MEM		(16ULL << 40)	/* PFNs are 32-bit in struct page links */

int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_size(const char *s, unsigned long long *out)
{
	static const char units[] = "KMGT";
	unsigned long long v, mult = 1;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		const char *u = strchr(units, toupper((unsigned char)*end));

		if (!u)
			return -1;
		mult = 1ULL << (10 * (u - units + 1));
		end++;
		if (!strcasecmp(end, "iB") || !strcasecmp(end, "B"))
			end += strlen(end);
		if (*end)
			return -1;
	}
	if (v > ~0ULL / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: bootsim boot [options]      simulate a boot with N CPUs\n"
	      "       bootsim explore (--scenario NAME|FILE | --boot [boot options]) [explore options]\n"
	      "                                    search interleavings until an oracle fires\n"
	      "       bootsim matrix [options]      every defect case against every variant\n"
	      "       bootsim replay TRACE [options] replay an ftrace allocation trace\n"
	      "       bootsim bench [NAME] [--runs N] [--iterations N]\n"
	      "                                    run a benchmark (no NAME: list them)\n"
	      "       bootsim scenarios [--verbose] list the built-in scenarios\n"
	      "       bootsim variants [--verbose] list the early-PFN variants\n"
	      "       bootsim --help | --version\n"
	      "\n"
	      "boot options:\n"
	      "  --cpus N               simulated CPUs, 1..8192 (default 4)\n"
	      "  --mem SIZE             memory, e.g. 2G, 64G, 4T (default 8G, 4G with --bits 32; min 16M)\n"
	      "  --bits 32|64           machine word size (default 64); 32: x86-32 zones DMA, Normal,\n"
	      "                         HighMem (unmapped above 896M), at most 4G of memory\n"
	      "  --movable SIZE         ZONE_MOVABLE of SIZE at the top of memory (movablecore=);\n"
	      "                         the other zones keep at least 16M (default 0: none)\n"
	      "  --compressed           tag references in spare page flags (mem_profiling=1,compressed):\n"
	      "                         no page_ext client, so no early PFNs and no CLEAR\n"
	      "  --pcp                  per-CPU page lists for orders 0..3 (the kernel's pcp): other\n"
	      "                         PFNs and scheduling points than the default, which recorded\n"
	      "                         schedules expect\n"
	      "  --page-ext MODE        early | deferred: when page_ext_init() runs (default deferred)\n"
	      "  --publish MODE         progressive | flat: how page_ext sections appear (default progressive)\n"
	      "  --variant ID           early-PFN variant (default L6; see `bootsim variants`)\n"
	      "  --mode MODE            free (real parallel threads; default) or controlled (one CPU\n"
	      "                         at a time, random choices from --seed; reproducible)\n"
	      "  --seed S               workload seed (default 1)\n"
	      "  --jitter NS            random delays up to NS ns at scheduling points (default 0)\n"
	      "  --json                 print one JSON object instead of the text summary\n"
	      "  --allocinfo FILE       write /proc/allocinfo after boot ('-' for stdout)\n"
	      "  --record FILE          write every page allocation and free, the kernel log and\n"
	      "                         bootsim markers as ftrace text (/sys/kernel/tracing/trace)\n"
	      "  --log FILE             kernel log destination (default stderr)\n"
	      "  --quiet                no kernel log\n"
	      "  --no-kmemleak          no kmemleak object cache (CONFIG_DEBUG_KMEMLEAK=n)\n"
	      "  --no-debug             CONFIG_MEM_ALLOC_PROFILING_DEBUG=n (no checks, no early-PFN code)\n"
	      "  --debug-invariants     check allocator invariants after every operation (slow)\n"
	      "workload (defaults calibrated on real 6.12 boot traces):\n"
	      "  --base-early N         boot-CPU allocations before smp_init (86)\n"
	      "  --per-cpu-early X      per-CPU allocations during bring-up (7.7)\n"
	      "  --stacks-per-cpu N     bulk thread-stack allocations per CPU (7)\n"
	      "  --stack-pages N        order-0 pages per stack, 1..64 (4)\n"
	      "  --churn-ops N          allocations per secondary CPU while page_ext_init runs (256)\n"
	      "  --churn-free-pct P     % of churn steps that free a page allocated in the window (0)\n"
	      "  --early-free-pct P     % of churn steps that free one of the CPU's early pages (0)\n"
	      "explore options (controlled backend: one CPU runs at a time):\n"
	      "  --scenario NAME|FILE   a built-in scenario (bootsim scenarios) or a scenario file\n"
	      "  --boot                 explore the boot model instead (boot options above apply)\n"
	      "  --trace FILE           explore a trace: each CPU's events on its own CPU, ordered\n"
	      "                         only by events on the same pages (replay --ordering free);\n"
	      "                         the machine is sized from the trace unless --mem is given.\n"
	      "                         With it, replay's --lenient, --tag-by task|gfp and\n"
	      "                         --page-ext-at SECONDS|LINE\n"
	      "  --defect D             only D's oracle counts (bootsim matrix ids: D7, D13det...);\n"
	      "                         without --scenario, D's own scenario\n"
	      "  --variant ID           as for boot (default L6)\n"
	      "  --strategy S           random | pct | dfs (default pct)\n"
	      "  --seed S               strategy seed (default 1)\n"
	      "  --runs R               at most R executions (default 10000; dfs: until exhausted)\n"
	      "  --depth D              PCT bug depth: D-1 priority change points (default 2)\n"
	      "  --preemptions K        DFS preemption bound (default 2)\n"
	      "  --shard I/N            run only shard I of N (seed range or DFS subtrees)\n"
	      "  --schedule STR         replay exactly this schedule and print its report\n"
	      "  --all                  keep exploring after the first finding\n"
	      "  --no-shrink            print the failing schedule as found\n"
	      "  --max-steps N          decisions per execution before it counts as a hang (2000000)\n"
	      "  --timeout S            wall seconds per execution before it counts as a hang (60)\n"
	      "  --full-timeline        print every timeline row\n"
	      "  --no-progress          no progress line on stderr\n"
	      "  --json                 one JSON object (schedule, timeline, oracle results)\n",
	      f);
}

enum {
	OPT_CPUS = 256, OPT_MEM, OPT_PAGE_EXT, OPT_PUBLISH, OPT_VARIANT, OPT_MODE,
	OPT_SEED, OPT_JITTER, OPT_JSON, OPT_ALLOCINFO, OPT_LOG, OPT_QUIET,
	OPT_NO_KMEMLEAK, OPT_NO_DEBUG, OPT_DEBUG_INV, OPT_BASE_EARLY, OPT_PER_CPU,
	OPT_STACKS, OPT_STACK_PAGES, OPT_CHURN, OPT_CHURN_FREE, OPT_EARLY_FREE,
	OPT_HELP, OPT_RECORD, OPT_BITS, OPT_MOVABLE, OPT_COMPRESSED, OPT_PCP,
	/* explore only */
	OPT_SCENARIO, OPT_BOOT, OPT_TRACE, OPT_STRATEGY, OPT_RUNS, OPT_DEPTH, OPT_PREEMPTIONS,
	OPT_SHARD, OPT_SCHEDULE, OPT_ALL, OPT_NO_SHRINK, OPT_MAX_STEPS, OPT_TIMEOUT,
	OPT_FULL_TIMELINE, OPT_DEFECT, OPT_LENIENT, OPT_TAG_BY, OPT_PAGE_EXT_AT,
	OPT_NO_PROGRESS,
};

static const struct option boot_longopts[] = {
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "page-ext", required_argument, NULL, OPT_PAGE_EXT },
	{ "publish", required_argument, NULL, OPT_PUBLISH },
	{ "variant", required_argument, NULL, OPT_VARIANT },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "jitter", required_argument, NULL, OPT_JITTER },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "allocinfo", required_argument, NULL, OPT_ALLOCINFO },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "no-kmemleak", no_argument, NULL, OPT_NO_KMEMLEAK },
	{ "no-debug", no_argument, NULL, OPT_NO_DEBUG },
	{ "debug-invariants", no_argument, NULL, OPT_DEBUG_INV },
	{ "base-early", required_argument, NULL, OPT_BASE_EARLY },
	{ "per-cpu-early", required_argument, NULL, OPT_PER_CPU },
	{ "stacks-per-cpu", required_argument, NULL, OPT_STACKS },
	{ "stack-pages", required_argument, NULL, OPT_STACK_PAGES },
	{ "churn-ops", required_argument, NULL, OPT_CHURN },
	{ "churn-free-pct", required_argument, NULL, OPT_CHURN_FREE },
	{ "early-free-pct", required_argument, NULL, OPT_EARLY_FREE },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "bits", required_argument, NULL, OPT_BITS },
	{ "movable", required_argument, NULL, OPT_MOVABLE },
	{ "compressed", no_argument, NULL, OPT_COMPRESSED },
	{ "pcp", no_argument, NULL, OPT_PCP },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "scenario", required_argument, NULL, OPT_SCENARIO },
	{ "boot", no_argument, NULL, OPT_BOOT },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "strategy", required_argument, NULL, OPT_STRATEGY },
	{ "runs", required_argument, NULL, OPT_RUNS },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "preemptions", required_argument, NULL, OPT_PREEMPTIONS },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "schedule", required_argument, NULL, OPT_SCHEDULE },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "no-shrink", no_argument, NULL, OPT_NO_SHRINK },
	{ "max-steps", required_argument, NULL, OPT_MAX_STEPS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "full-timeline", no_argument, NULL, OPT_FULL_TIMELINE },
	{ "defect", required_argument, NULL, OPT_DEFECT },
	{ "lenient", no_argument, NULL, OPT_LENIENT },
	{ "tag-by", required_argument, NULL, OPT_TAG_BY },
	{ "page-ext-at", required_argument, NULL, OPT_PAGE_EXT_AT },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ NULL, 0, NULL, 0 },
};

struct cli_boot {
	struct boot_options opt;
	bool json;
	const char *allocinfo;
	const char *record;
	const char *log_path;
	bool quiet;
	bool controlled;
	const char *mem_arg;		/* --mem's value; NULL: the default size */
	struct cli_explore *explore;	/* NULL: explore options are refused */
};

struct cli_explore {
	struct explore_options opt;
	const char *scenario;
	const char *trace;
	const struct defect_case *defect;
	bool boot;
	bool runs_given;
	/* replay's trace options (--lenient...), for --trace only */
	struct replay_options replay;
	const char *replay_option;	/* the first one given, for the error */
};

static int parse_explore_option(int c, const char *name, struct cli_explore *ce, FILE *err);

int bad_value(FILE *err, const char *opt, const char *val, const char *expected)
{
	fprintf(err, "bootsim: %s: expected %s, got '%s'\n", opt, expected, val);
	return EXIT_USAGE;
}

/*
 * The machine the options describe together, as mem_setup() will judge it:
 * refused here, naming the option at fault, rather than at machine setup.
 */
static int check_machine_options(struct machine_config *m, const char *mem_arg,
				 const char *movable_arg, FILE *err)
{
	struct mem_params mp;
	enum mem_params_fault fault;

	/* A 32-bit machine cannot have the 64-bit default of 8G. */
	if (!mem_arg && m->bits_per_long == 32)
		m->mem_bytes = MEM_MAX_BYTES_32BIT;
	machine_mem_params(m, &mp);
	fault = mem_check_params(&mp);
	switch (fault) {
	case MEM_PARAMS_OK:
		return 0;
	case MEM_PARAMS_OVER_4G_32BIT:
		return bad_value(err, "--mem", mem_arg,
				 "at most 4G with --bits 32 (a 32-bit machine addresses 4 GiB)");
	case MEM_PARAMS_MOVABLE_TOO_BIG:
		return bad_value(err, "--movable", movable_arg,
				 "a size that leaves at least 16M of --mem to the other zones");
	default:
		fprintf(err, "bootsim: --mem: expected a size the allocator accepts, got '%s' (%s)\n",
			mem_arg ? mem_arg : "8G", mem_params_fault_text(fault));
		return EXIT_USAGE;
	}
}

static int parse_boot_options(int argc, char **argv, struct cli_boot *cb, FILE *out, FILE *err)
{
	struct boot_options *opt = &cb->opt;
	const char *movable_arg = NULL;
	unsigned long long v;
	int c, longindex = -1;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", boot_longopts, &longindex)) != -1) {
		/* argv[optind - 1] is the value when it came as a separate argument */
		const char *name = argv[optind - 1];
		char long_name[32];

		if (longindex >= 0 && c == boot_longopts[longindex].val) {
			snprintf(long_name, sizeof(long_name), "--%s", boot_longopts[longindex].name);
			name = long_name;
		}
		longindex = -1;

		switch (c) {
		case OPT_CPUS:
			if (parse_uint(optarg, MAX_CPUS, &v) || v < 1)
				return bad_value(err, "--cpus", optarg, "a number of CPUs from 1 to 8192");
			opt->machine.cpus = (unsigned int)v;
			break;
		case OPT_MEM:
			if (parse_size(optarg, &v) || v < MIN_MEM || v > MAX_MEM)
				return bad_value(err, "--mem", optarg,
						 "a size from 16M to 16T such as 512M, 8G or 4T");
			opt->machine.mem_bytes = v;
			cb->mem_arg = optarg;
			break;
		case OPT_BITS:
			if (strcmp(optarg, "32") && strcmp(optarg, "64"))
				return bad_value(err, "--bits", optarg, "32 or 64");
			opt->machine.bits_per_long = optarg[0] == '3' ? 32 : 64;
			break;
		case OPT_MOVABLE:
			if (parse_size(optarg, &v))
				return bad_value(err, "--movable", optarg,
						 "a size such as 256M or 2G (0: no ZONE_MOVABLE)");
			opt->machine.movable_bytes = v;
			movable_arg = optarg;
			break;
		case OPT_COMPRESSED:
			opt->machine.compressed = true;
			break;
		case OPT_PCP:
			opt->machine.pcp = true;
			break;
		case OPT_PAGE_EXT:
			if (!strcasecmp(optarg, "early"))
				opt->timing = BOOT_PAGE_EXT_EARLY;
			else if (!strcasecmp(optarg, "deferred"))
				opt->timing = BOOT_PAGE_EXT_DEFERRED;
			else
				return bad_value(err, "--page-ext", optarg, "'early' or 'deferred'");
			break;
		case OPT_PUBLISH:
			if (!strcasecmp(optarg, "progressive"))
				opt->machine.publish = PAGE_EXT_PROGRESSIVE;
			else if (!strcasecmp(optarg, "flat"))
				opt->machine.publish = PAGE_EXT_FLAT;
			else
				return bad_value(err, "--publish", optarg, "'progressive' or 'flat'");
			break;
		case OPT_VARIANT:
			opt->machine.variant = early_pfn_lookup(optarg);
			if (!opt->machine.variant)
				return bad_value(err, "--variant", optarg,
						 "a variant id listed by 'bootsim variants'");
			break;
		case OPT_MODE:
			if (!strcasecmp(optarg, "free"))
				break;
			if (!strcasecmp(optarg, "controlled")) {
				cb->controlled = true;
				break;
			}
			return bad_value(err, "--mode", optarg, "'free' or 'controlled'");
		case OPT_SEED:
			if (parse_uint(optarg, ~0ULL, &v))
				return bad_value(err, "--seed", optarg, "an unsigned 64-bit number");
			opt->seed = v;
			if (cb->explore)
				cb->explore->opt.strategy.seed = v;
			break;
		case OPT_JITTER:
			if (parse_uint(optarg, 100000000ULL, &v))
				return bad_value(err, "--jitter", optarg, "nanoseconds from 0 to 100000000");
			opt->jitter_ns = (unsigned int)v;
			break;
		case OPT_JSON:
			cb->json = true;
			break;
		case OPT_ALLOCINFO:
			cb->allocinfo = optarg;
			break;
		case OPT_LOG:
			cb->log_path = optarg;
			break;
		case OPT_QUIET:
			cb->quiet = true;
			break;
		case OPT_NO_KMEMLEAK:
			opt->machine.kmemleak = false;
			break;
		case OPT_NO_DEBUG:
			opt->machine.profiling_debug = false;
			break;
		case OPT_DEBUG_INV:
			opt->machine.debug_level = 1;
			break;
		case OPT_BASE_EARLY:
			if (parse_uint(optarg, 10000000, &v))
				return bad_value(err, "--base-early", optarg, "a count from 0 to 10000000");
			opt->wl.base_early = (unsigned int)v;
			break;
		case OPT_PER_CPU: {
			char *end;
			double d;

			errno = 0;
			d = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(d >= 0 && d <= 100000))
				return bad_value(err, "--per-cpu-early", optarg,
						 "a number from 0 to 100000 such as 7.7");
			opt->wl.per_cpu_early = d;
			break;
		}
		case OPT_STACKS:
			if (parse_uint(optarg, 100000, &v))
				return bad_value(err, "--stacks-per-cpu", optarg, "a count from 0 to 100000");
			opt->wl.stacks_per_cpu = (unsigned int)v;
			break;
		case OPT_STACK_PAGES:
			if (parse_uint(optarg, 64, &v) || v < 1)
				return bad_value(err, "--stack-pages", optarg, "a count from 1 to 64");
			opt->wl.stack_pages = (unsigned int)v;
			break;
		case OPT_CHURN:
			if (parse_uint(optarg, 10000000, &v))
				return bad_value(err, "--churn-ops", optarg, "a count from 0 to 10000000");
			opt->wl.churn_ops = (unsigned int)v;
			break;
		case OPT_CHURN_FREE:
			if (parse_uint(optarg, 100, &v))
				return bad_value(err, "--churn-free-pct", optarg, "a percentage from 0 to 100");
			opt->wl.churn_free_pct = (unsigned int)v;
			break;
		case OPT_EARLY_FREE:
			if (parse_uint(optarg, 100, &v))
				return bad_value(err, "--early-free-pct", optarg, "a percentage from 0 to 100");
			opt->wl.early_free_pct = (unsigned int)v;
			break;
		case OPT_RECORD:
			if (cb->explore) {
				fprintf(err, "bootsim: explore: --record belongs to 'bootsim boot'\n");
				return EXIT_USAGE;
			}
			cb->record = optarg;
			break;
		case OPT_HELP:
			usage(out);
			return -1;
		case OPT_SCENARIO ... OPT_NO_PROGRESS:
			if (!cb->explore) {
				fprintf(err, "bootsim: boot: %s belongs to 'bootsim explore'\n", name);
				return EXIT_USAGE;
			}
			{
				int r = parse_explore_option(c, name, cb->explore, err);

				if (r)
					return r;
			}
			break;
		case ':':
			fprintf(err, "bootsim: %s: missing value\n", name);
			return EXIT_USAGE;
		default:
			fprintf(err, "bootsim: %s: unknown option '%s' (see bootsim --help)\n",
				cb->explore ? "explore" : "boot", name);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(err, "bootsim: %s: unexpected argument '%s'\n",
			cb->explore ? "explore" : "boot", argv[optind]);
		return EXIT_USAGE;
	}
	if (opt->wl.early_free_pct + opt->wl.churn_free_pct > 100) {
		fprintf(err, "bootsim: --early-free-pct + --churn-free-pct: expected at most 100 together, got %u\n",
			opt->wl.early_free_pct + opt->wl.churn_free_pct);
		return EXIT_USAGE;
	}
	return check_machine_options(&opt->machine, cb->mem_arg, movable_arg, err);
}

static FILE *open_output(const char *path, FILE *out, FILE *err, const char *what)
{
	FILE *f;

	if (!strcmp(path, "-"))
		return out;
	f = fopen(path, "w");
	if (!f)
		fprintf(err, "bootsim: %s: cannot open '%s' for writing: %s\n", what, path,
			strerror(errno));
	return f;
}

static FILE *controlled_boot_err;

static __noreturn void controlled_boot_abort(void *priv, enum sim_ctl_abort why)
{
	char desc[8192];

	sim_ctl_describe_cpus(desc, sizeof(desc));
	fprintf(controlled_boot_err, "bootsim: boot: %s\n%s", sim_ctl_abort_name(why), desc);
	fflush(NULL);
	_exit(EXIT_FINDING);
}

/*
 * --mode controlled: one execution, one CPU at a time, a uniformly random
 * choice at each scheduling point from --seed (`bootsim explore --boot`
 * searches many).
 */
static int controlled_boot(const struct boot_options *opt, struct boot_result *res,
			   char *msg, size_t msglen, FILE *err)
{
	struct exec_plan plan = { .kind = PLAN_RANDOM, .seed = opt->seed };
	struct chooser *ch = chooser_new(&plan, opt->machine.cpus);
	struct sim_ctl_hooks hooks = {
		.choose = chooser_choose,
		.abort = controlled_boot_abort,
		.priv = ch,
	};
	int ret;

	controlled_boot_err = err;
	if (!ch || sim_ctl_begin(opt->machine.cpus, &hooks)) {
		chooser_free(ch);
		snprintf(msg, msglen, "out of host memory for the controlled backend");
		return -ENOMEM;
	}
	ret = boot_run(opt, res, msg, msglen);
	sim_ctl_end();
	chooser_free(ch);
	return ret;
}

static int cmd_boot(int argc, char **argv, FILE *out, FILE *err)
{
	struct cli_boot cb = { 0 };
	struct trace_record *rec = NULL;
	struct boot_result res;
	FILE *log = err, *ai = NULL;
	char msg[256];
	int ret;

	boot_options_defaults(&cb.opt);
	ret = parse_boot_options(argc, argv, &cb, out, err);
	if (ret)
		return ret < 0 ? EXIT_CLEAN : ret;

	if (cb.quiet)
		log = NULL;
	else if (cb.log_path && !(log = open_output(cb.log_path, err, err, "--log")))
		return EXIT_USAGE;
	if (cb.allocinfo && !(ai = open_output(cb.allocinfo, out, err, "--allocinfo"))) {
		ret = EXIT_USAGE;
		goto out;
	}
	if (cb.record && !(rec = trace_record_open(cb.record))) {
		fprintf(err, "bootsim: --record %s: %s\n", cb.record, strerror(errno));
		ret = EXIT_USAGE;
		goto out;
	}
	cb.opt.log = log;
	cb.opt.record = rec;

	if (cb.controlled)
		ret = controlled_boot(&cb.opt, &res, msg, sizeof(msg), err);
	else
		ret = boot_run(&cb.opt, &res, msg, sizeof(msg));
	if (ret) {
		fprintf(err, "bootsim: boot: %s\n", msg);
		ret = EXIT_INTERNAL;
		goto out;
	}
	if (rec && (ret = trace_record_write(rec))) {
		fprintf(err, "bootsim: --record %s: %s\n", cb.record, strerror(-ret));
		ret = EXIT_USAGE;
		boot_result_free(&res);
		goto out;
	}
	if (cb.json)
		report_boot_json(out, &cb.opt, &res);
	else
		report_boot_text(out, &cb.opt, &res);
	if (ai)
		allocinfo_print(ai, true);
	ret = res.oracles.fired ? EXIT_FINDING : EXIT_CLEAN;
	boot_result_free(&res);
out:
	fflush(out);
	if (rec) {
		int cr = trace_record_close(rec);

		/* a full disk may show only when the last buffer is written */
		if (cr && ret < EXIT_USAGE) {
			fprintf(err, "bootsim: --record %s: %s\n", cb.record, strerror(-cr));
			ret = EXIT_USAGE;
		}
	}
	if (ai && ai != out)
		fclose(ai);
	if (log && log != err)
		fclose(log);
	return ret;
}

static int parse_explore_option(int c, const char *name, struct cli_explore *ce, FILE *err)
{
	struct explore_options *o = &ce->opt;
	unsigned long long v, n;
	const char *slash;

	switch (c) {
	case OPT_SCENARIO:
		ce->scenario = optarg;
		break;
	case OPT_BOOT:
		ce->boot = true;
		break;
	case OPT_TRACE:
		ce->trace = optarg;
		break;
	case OPT_DEFECT:
		ce->defect = defect_case_lookup(optarg);
		if (!ce->defect)
			return bad_value(err, name, optarg,
					 "a defect id of 'bootsim matrix' (D1 ... D18, D13det, D14mov)");
		o->wanted = ce->defect->detect;
		break;
	case OPT_STRATEGY:
		if (strategy_parse_name(optarg, &o->strategy.kind))
			return bad_value(err, name, optarg, "'random', 'pct' or 'dfs'");
		break;
	case OPT_RUNS:
		if (parse_uint(optarg, ~0UL, &v) || v < 1)
			return bad_value(err, name, optarg, "a number of executions >= 1");
		o->strategy.runs = v;
		ce->runs_given = true;
		break;
	case OPT_DEPTH:
		if (parse_uint(optarg, 64, &v) || v < 1)
			return bad_value(err, name, optarg, "a PCT depth from 1 to 64");
		o->strategy.depth = (unsigned int)v;
		break;
	case OPT_PREEMPTIONS:
		if (parse_uint(optarg, 64, &v))
			return bad_value(err, name, optarg, "a preemption bound from 0 to 64");
		o->strategy.preemptions = (unsigned int)v;
		break;
	case OPT_SHARD: {
		char index[32];
		size_t len;

		slash = strchr(optarg, '/');
		len = slash ? (size_t)(slash - optarg) : 0;
		if (!slash || len >= sizeof(index))
			return bad_value(err, name, optarg, "I/N with 0 <= I < N, such as 0/4");
		memcpy(index, optarg, len);
		index[len] = '\0';
		if (parse_uint(index, 1000000, &v) || parse_uint(slash + 1, 1000000, &n) ||
		    n < 1 || v >= n)
			return bad_value(err, name, optarg, "I/N with 0 <= I < N, such as 0/4");
		o->strategy.shard_index = (unsigned int)v;
		o->strategy.shard_count = (unsigned int)n;
		break;
	}
	case OPT_SCHEDULE:
		o->schedule = optarg;
		break;
	case OPT_ALL:
		o->all = true;
		break;
	case OPT_NO_SHRINK:
		o->shrink = false;
		break;
	case OPT_MAX_STEPS:
		if (parse_uint(optarg, 50000000, &v) || v < 1)
			return bad_value(err, name, optarg, "a decision budget from 1 to 50000000");
		o->max_steps = v;
		break;
	case OPT_TIMEOUT:
		if (parse_uint(optarg, 86400, &v) || v < 1)
			return bad_value(err, name, optarg, "seconds from 1 to 86400");
		o->timeout_s = (unsigned int)v;
		break;
	case OPT_FULL_TIMELINE:
		o->full_timeline = true;
		break;
	case OPT_NO_PROGRESS:
		o->progress = false;
		break;
	case OPT_LENIENT:
		ce->replay.lenient = true;
		break;
	case OPT_TAG_BY:
		if (replay_parse_tag_by(optarg, &ce->replay))
			return bad_value(err, name, optarg, REPLAY_TAG_BY_EXPECTED);
		break;
	case OPT_PAGE_EXT_AT:
		if (replay_parse_page_ext_at(optarg, &ce->replay))
			return bad_value(err, name, optarg, REPLAY_PAGE_EXT_AT_EXPECTED);
		break;
	}
	if (c == OPT_LENIENT || c == OPT_TAG_BY || c == OPT_PAGE_EXT_AT)
		ce->replay_option = ce->replay_option ? ce->replay_option : name;
	return 0;
}

/* Options that steer the search, not the execution: left out of replay commands. */
static bool search_only_option(const char *arg, bool *takes_value)
{
	static const char *const with_value[] = {
		"--strategy", "--runs", "--depth", "--preemptions", "--shard", "--schedule",
		"--log",
	};
	static const char *const flags[] = {
		"--all", "--no-shrink", "--no-progress", "--quiet", "--full-timeline", "--json",
	};

	for (size_t i = 0; i < ARRAY_SIZE(with_value); i++) {
		size_t n = strlen(with_value[i]);

		if (!strncmp(arg, with_value[i], n) && (!arg[n] || arg[n] == '=')) {
			*takes_value = !arg[n];
			return true;
		}
	}
	*takes_value = false;
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (!strcmp(arg, flags[i]))
			return true;
	return false;
}

static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_./:=,@%+", *s))
			return false;
	return true;
}

/* "bootsim explore ARGS" without the search options, quoted for a shell. */
static char *replay_command(int argc, char **argv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs("bootsim explore", f);
	for (int i = 1; i < argc; i++) {
		bool takes_value;

		if (search_only_option(argv[i], &takes_value)) {
			i += takes_value;
			continue;
		}
		if (shell_safe(argv[i])) {
			fprintf(f, " %s", argv[i]);
			continue;
		}
		fputs(" '", f);
		for (const char *p = argv[i]; *p; p++)
			fputs(*p == '\'' ? "'\\''" : (char[2]){ *p, 0 }, f);
		fputc('\'', f);
	}
	fclose(f);
	return buf;
}

static int cmd_explore(int argc, char **argv, FILE *out, FILE *err)
{
	struct cli_explore ce = { 0 };
	struct cli_boot cb = { 0 };
	struct scenario *sc = NULL;
	struct replay_plan *plan = NULL;
	char msg[512], *replay;
	int ret;

	explore_options_defaults(&ce.opt);
	replay_options_defaults(&ce.replay);
	ce.opt.progress = isatty(fileno(err));
	ce.opt.out = out;
	ce.opt.err = err;
	cb.opt = ce.opt.boot;
	cb.explore = &ce;
	ret = parse_boot_options(argc, argv, &cb, out, err);
	if (ret)
		return ret < 0 ? EXIT_CLEAN : ret;
	if (ce.defect && !ce.scenario && !ce.boot)
		ce.scenario = ce.defect->scenario;
	if (!!ce.scenario + ce.boot + !!ce.trace != 1) {
		fprintf(err, "bootsim: explore: expected exactly one of --scenario NAME, --defect D, "
			"--trace FILE or --boot\n");
		return EXIT_USAGE;
	}
	if (ce.replay_option && !ce.trace) {
		fprintf(err, "bootsim: explore: %s applies to --trace FILE only\n",
			ce.replay_option);
		return EXIT_USAGE;
	}
	if (ce.trace) {
		struct replay_options ro = ce.replay;

		ro.path = ce.trace;
		ro.ordering = REPLAY_ORDER_FREE;
		ro.machine.variant = cb.opt.machine.variant;
		if (cb.mem_arg)
			ro.machine.mem_bytes = cb.opt.machine.mem_bytes;
		ro.log = NULL;
		ret = replay_plan_load(&ro, &plan, msg, sizeof(msg));
		if (ret) {
			fprintf(err, "bootsim: explore: %s\n", msg);
			replay_plan_free(plan);
			return ret;
		}
		ce.opt.trace = plan;
		ce.opt.trace_path = ce.trace;
	}
	if (ce.scenario) {
		sc = scenario_open(ce.scenario, msg, sizeof(msg));
		if (!sc) {
			fprintf(err, "bootsim: %s\n", msg);
			return EXIT_USAGE;
		}
	}
	replay = replay_command(argc, argv);
	if (!replay) {
		scenario_free(sc);
		replay_plan_free(plan);
		return EXIT_INTERNAL;
	}
	ce.opt.boot = cb.opt;
	ce.opt.json = cb.json;
	ce.opt.scenario = sc;
	ce.opt.replay_cmd = replay;
	ce.opt.strategy.nr_cpus = sc ? scenario_cpus(sc) :
				  plan ? replay_plan_cpus(plan) : cb.opt.machine.cpus;
	/* DFS runs until its tree is exhausted unless told otherwise */
	if (ce.opt.strategy.kind == STRATEGY_DFS && !ce.runs_given)
		ce.opt.strategy.runs = 0;
	if (!ce.opt.schedule && ce.opt.strategy.kind == STRATEGY_DFS &&
	    ce.opt.strategy.nr_cpus > 64) {
		fprintf(err, "bootsim: explore: --strategy dfs handles at most 64 CPUs, got %u\n",
			ce.opt.strategy.nr_cpus);
		ret = EXIT_USAGE;
	} else {
		ret = explore_run(&ce.opt);
	}
	free(replay);
	scenario_free(sc);
	replay_plan_free(plan);
	return ret;
}

/* Listing commands take only --verbose; returns 0 or EXIT_USAGE. */
static int parse_verbose_only(int argc, char **argv, FILE *err, bool *verbose)
{
	*verbose = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
			*verbose = true;
		} else {
			fprintf(err, "bootsim: %s: unknown argument '%s' (expected --verbose)\n",
				argv[0], argv[i]);
			return EXIT_USAGE;
		}
	}
	return 0;
}

static int cmd_scenarios(int argc, char **argv, FILE *out, FILE *err)
{
	bool verbose;

	if (parse_verbose_only(argc, argv, err, &verbose))
		return EXIT_USAGE;
	for (unsigned int i = 0; i < scenario_nr_builtins; i++) {
		const struct scenario_builtin *b = &scenario_builtins[i];
		struct scenario *sc;
		char msg[256];

		sc = scenario_parse(b->text, b->name, msg, sizeof(msg));
		if (!sc) {
			fprintf(err, "bootsim: internal error: built-in scenario %s\n", msg);
			return EXIT_INTERNAL;
		}
		fprintf(out, "%-22s %u CPUs  %s\n", b->name, scenario_cpus(sc),
			scenario_description(sc));
		if (verbose)
			fprintf(out, "\n%s\n", b->text);
		scenario_free(sc);
	}
	return EXIT_CLEAN;
}

/* @text as words wrapped at 79 columns, each line indented by @indent. */
static void print_wrapped(FILE *out, const char *text, int indent)
{
	int col = 0;

	while (*text) {
		int n;

		while (*text == ' ')
			text++;
		n = (int)strcspn(text, " ");
		if (!n)
			break;
		if (col && col + 1 + n > 79) {
			fputc('\n', out);
			col = 0;
		}
		if (!col)
			col = fprintf(out, "%*s", indent, "");
		else
			col += fprintf(out, " ");
		col += fprintf(out, "%.*s", n, text);
		text += n;
	}
	if (col)
		fputc('\n', out);
}

static int cmd_variants(int argc, char **argv, FILE *out, FILE *err)
{
	bool verbose;

	if (parse_verbose_only(argc, argv, err, &verbose))
		return EXIT_USAGE;
	for (int i = 0; early_pfn_variants[i]; i++) {
		const struct early_pfn_variant *v = early_pfn_variants[i];

		fprintf(out, "%-9s %-6s %s%s\n", v->id, v->section, v->summary,
			v == &early_pfn_l6 ? " [default]" : "");
		if (verbose)
			print_wrapped(out, v->details, 10);
	}
	return EXIT_CLEAN;
}

int bootsim_main(int argc, char **argv, FILE *out, FILE *err)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage(err);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(out);
		return EXIT_CLEAN;
	}
	if (!strcmp(cmd, "--version")) {
		fprintf(out, "bootsim %s\n", BOOTSIM_VERSION);
		return EXIT_CLEAN;
	}
	if (!strcmp(cmd, "boot"))
		return cmd_boot(argc - 1, argv + 1, out, err);
	if (!strcmp(cmd, "variants"))
		return cmd_variants(argc - 1, argv + 1, out, err);
	if (!strcmp(cmd, "explore"))
		return cmd_explore(argc - 1, argv + 1, out, err);
	if (!strcmp(cmd, "scenarios"))
		return cmd_scenarios(argc - 1, argv + 1, out, err);
	if (!strcmp(cmd, "matrix"))
		return matrix_main(argc - 1, argv + 1, out, err);
	if (!strcmp(cmd, "replay"))
		return replay_main(argc - 1, argv + 1, out, err);
	if (!strcmp(cmd, "bench"))
		return bench_main(argc - 1, argv + 1, out, err);
	fprintf(err, "bootsim: unknown command '%s' (expected boot, explore, matrix, replay, bench, scenarios, variants, --help or --version)\n",
		cmd);
	return EXIT_USAGE;
}
