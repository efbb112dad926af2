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
	enum page_ext_mode publish;	/* progressive (default) or flat */
	bool kmemleak;
	bool profiling_debug;		/* CONFIG_MEM_ALLOC_PROFILING_DEBUG */
	int debug_level;		/* 1: invariant check after every op */
	const struct early_pfn_variant *variant;
	void (*section_published)(unsigned long section_nr);
};

void machine_config_defaults(struct machine_config *cfg);
/* Returns 0, or a negative errno with a message in @err. */
int machine_setup(const struct machine_config *cfg, char *err, size_t errlen);
void machine_teardown(void);

#endif /* SIM_MACHINE_H */
