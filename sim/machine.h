/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/machine.h - one simulated machine: memory, page_ext, tagging and the
 * selected early-PFN variant, wired together.  One machine per process at a
 * time (the modelled kernel code uses globals, as the kernel does).
 */
#ifndef SIM_MACHINE_H
#define SIM_MACHINE_H

#include "alloc/mm.h"
#include "page_ext/page_ext.h"
#include "alloc_tag/early_pfn.h"

struct machine_config {
	unsigned int cpus;
	unsigned long long mem_bytes;
	int bits_per_long;		/* 64 (default) or 32: x86-32 with HighMem */
	unsigned long long movable_bytes;	/* ZONE_MOVABLE (movablecore=); 0: none */
	bool compressed;		/* sysctl.vm.mem_profiling=1,compressed (§2.1) */
	bool pcp;			/* per-CPU page lists (alloc/mm.h); off by default,
					 * as recorded schedules expect */
	enum page_ext_mode publish;	/* progressive (default) or flat */
	bool kmemleak;
	bool profiling_debug;		/* CONFIG_MEM_ALLOC_PROFILING_DEBUG */
	int debug_level;		/* 1: invariant check after every op */
	const struct early_pfn_variant *variant;
	void (*section_published)(unsigned long section_nr);
	/* the allocator's trace points (trace_alloc, trace_free); NULL: none */
	const struct alloc_hooks *trace;
};

void machine_config_defaults(struct machine_config *cfg);
/* The memory parameters machine_setup() hands to mem_setup(). */
void machine_mem_params(const struct machine_config *cfg, struct mem_params *mp);
/* Returns 0, or a negative errno with a message in @err. */
int machine_setup(const struct machine_config *cfg, char *err, size_t errlen);
void machine_teardown(void);

#endif /* SIM_MACHINE_H */
