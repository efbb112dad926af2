/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/boot.h - a simulated boot: N CPU threads make the early allocations,
 * one of them runs page_ext_init() (section walk + CLEAR), the others keep
 * allocating meanwhile (deferred mode), then every early page is freed so
 * the free-side checks run, and the oracles are evaluated.
 */
#ifndef SIM_BOOT_H
#define SIM_BOOT_H

#include <stdint.h>
#include "machine.h"
#include "oracles.h"

struct trace_record;

/*
 * The shape of the boot's allocations.  Defaults follow the real 6.12 traces
 * (../shared/traces/README.md): 86 + 7.7 per CPU allocations before page_ext
 * that are not tracing artefacts, plus about 7 bulk thread-stack allocations
 * (4 order-0 pages each) per CPU; orders follow the traced histogram.
 */
struct boot_workload {
	unsigned int base_early;	/* boot CPU, before smp_init */
	double per_cpu_early;		/* per CPU, during bring-up */
	unsigned int stacks_per_cpu;	/* alloc_pages_bulk() calls per CPU */
	unsigned int stack_pages;	/* order-0 pages per stack */
	unsigned int churn_ops;		/* max allocations per secondary CPU while
					 * page_ext_init() runs */
	unsigned int churn_free_pct;	/* % of churn steps freeing a page allocated
					 * in the window (exposes D8) */
	unsigned int early_free_pct;	/* % of churn steps freeing one of the CPU's
					 * early pages (exposes D7/D8) */
};

enum boot_timing {
	BOOT_PAGE_EXT_EARLY,		/* end of mm_core_init(), one CPU */
	BOOT_PAGE_EXT_DEFERRED,		/* page_alloc_init_late(), all CPUs up */
};

struct boot_options {
	struct machine_config machine;
	enum boot_timing timing;
	uint64_t seed;
	unsigned int jitter_ns;
	struct boot_workload wl;
	FILE *log;			/* kernel log lines; NULL: quiet */
	struct trace_record *record;	/* --record (trace_record.h); NULL: none */
};

struct boot_result {
	long allocs_before_page_ext_init;
	long allocs, frees, alloc_failures;
	long early_pages_freed_in_window;
	struct early_pfn_stats early;
	struct page_ext_stats page_ext;
	struct oracle_results oracles;
	double wall_seconds;
	long peak_rss_kb;
};

void boot_options_defaults(struct boot_options *opt);
/* Returns 0 (see res->oracles.fired) or a negative errno with @err set. */
int boot_run(const struct boot_options *opt, struct boot_result *res,
	     char *err, size_t errlen);
void boot_result_free(struct boot_result *res);

#endif /* SIM_BOOT_H */
