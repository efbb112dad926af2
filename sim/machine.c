// SPDX-License-Identifier: GPL-2.0
/*
 * Machine wiring: the allocator calls tagging through hooks, page_ext calls
 * tagging's init through its client array; both are connected here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/core/printk.h"
#include "sim/core/sched.h"
#include "alloc_tag/alloc_tag.h"
#include "alloc_tag/pgalloc_tag.h"
#include "machine.h"

void machine_config_defaults(struct machine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = 4;
	cfg->mem_bytes = 8ULL << 30;
	cfg->bits_per_long = 64;
	cfg->publish = PAGE_EXT_PROGRESSIVE;
	cfg->kmemleak = true;
	cfg->profiling_debug = true;
	cfg->variant = &early_pfn_l6;
}

void machine_mem_params(const struct machine_config *cfg, struct mem_params *mp)
{
	*mp = (struct mem_params){
		.mem_bytes = cfg->mem_bytes,
		.bits_per_long = cfg->bits_per_long ? cfg->bits_per_long : 64,
		.reserved_low_pages = 256,
		.movable_bytes = cfg->movable_bytes,
		.pcp = cfg->pcp,
	};
}

int machine_setup(const struct machine_config *cfg, char *err, size_t errlen)
{
	struct mem_params mp;
	struct page_ext_config pc = {
		.mode = cfg->publish,
		.kmemleak = cfg->kmemleak,
		.section_published = cfg->section_published,
	};
	struct alloc_hooks hooks;
	int ret;

	machine_mem_params(cfg, &mp);
	/*
	 * Compressed mode needs every tag to have an index that fits the spare
	 * page-flag bits; the kernel checks this at boot and turns profiling
	 * off.  bootsim refuses the machine instead (the tags made at run time
	 * are checked again by their makers, e.g. scenario_run()).
	 */
	if (cfg->compressed && codetag_count() > PGALLOC_TAG_COMPRESSED_MAX_TAGS) {
		snprintf(err, errlen, "compressed mode: %u allocation tags cannot be referenced "
			 "using %d available page flag bits (at most %u)", codetag_count(),
			 PG_TAG_BITS, PGALLOC_TAG_COMPRESSED_MAX_TAGS);
		return -EINVAL;
	}
	nr_cpu_ids = cfg->cpus;
	sim_warn_reset();
	sim_log_clock_reset();
	mem_profiling.enabled = true;
	mem_profiling.debug = cfg->profiling_debug;
	mem_profiling.compressed = cfg->compressed;

	ret = mem_setup(&mp);
	if (ret) {
		snprintf(err, errlen, "cannot set up %llu bytes of simulated memory: %s",
			 cfg->mem_bytes, ret == -EINVAL ?
			 mem_params_fault_text(mem_check_params(&mp)) : strerror(-ret));
		return ret;
	}
	mem_set_debug_level(cfg->debug_level);
	hooks = pgalloc_tag_hooks;
	if (cfg->trace) {
		hooks.trace_alloc = cfg->trace->trace_alloc;
		hooks.trace_free = cfg->trace->trace_free;
	}
	mem_set_hooks(&hooks);
	if (alloc_tag_counters_init()) {
		snprintf(err, errlen, "out of host memory for per-CPU tag counters");
		mem_teardown();
		return -ENOMEM;
	}
	if (page_ext_setup(&pc) || page_ext_register(&page_alloc_tagging_ops)) {
		snprintf(err, errlen, "out of host memory for page_ext sections");
		alloc_tag_counters_free();
		mem_teardown();
		return -ENOMEM;
	}
	early_pfn_select(cfg->variant);
	return 0;
}

void machine_teardown(void)
{
	mem_set_hooks(NULL);
	page_ext_reset();
	alloc_tag_counters_free();
	codetag_free_dynamic();
	mem_teardown();
}
