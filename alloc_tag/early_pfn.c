// SPDX-License-Identifier: GPL-2.0
/*
 * Variant selection and the two entry points every variant shares.
 */
#include <string.h>
#include <strings.h>

#include "alloc_tag.h"
#include "early_pfn.h"

const struct early_pfn_variant *const early_pfn_variants[] = {
	&early_pfn_l6,
	NULL,
};

struct early_pfn_stats early_pfn_stats;
static const struct early_pfn_variant *selected = &early_pfn_l6;

const struct early_pfn_variant *early_pfn_lookup(const char *id)
{
	for (int i = 0; early_pfn_variants[i]; i++)
		if (!strcasecmp(early_pfn_variants[i]->id, id))
			return early_pfn_variants[i];
	return NULL;
}

void early_pfn_select(const struct early_pfn_variant *variant)
{
	selected = variant;
	memset(&early_pfn_stats, 0, sizeof(early_pfn_stats));
	if (selected->reset)
		selected->reset();
}

const struct early_pfn_variant *early_pfn_selected(void)
{
	return selected;
}

/*
 * Without CONFIG_MEM_ALLOC_PROFILING_DEBUG the whole machinery is compiled
 * out (§2.1): both entry points are empty.
 */
void alloc_tag_add_early_pfn(unsigned long pfn, gfp_t gfp, unsigned int alloc_flags)
{
	early_pfn_stat_inc(slot_missing_allocs);
	if (mem_profiling.debug)
		selected->add(pfn, gfp, alloc_flags);
}

void clear_early_alloc_pfn_tag_refs(void)
{
	if (mem_profiling.debug) {
		early_pfn_stat_inc(clear_runs);
		selected->clear();
	}
}

void early_pfn_stats_read(struct early_pfn_stats *out)
{
	long *dst = (long *)out, *src = (long *)&early_pfn_stats;

	for (size_t i = 0; i < sizeof(*out) / sizeof(long); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
