// SPDX-License-Identifier: GPL-2.0
/*
 * Variant selection and the two entry points every variant shares.
 */
#include <string.h>
#include <strings.h>

#include "sim/core/nmi.h"
#include "sim/core/trace.h"
#include "alloc_tag.h"
#include "pgalloc_tag.h"
#include "early_pfn.h"

const struct early_pfn_variant *const early_pfn_variants[] = {
	&early_pfn_none,
	&early_pfn_a1,
	&early_pfn_a2,
	&early_pfn_a3,
	&early_pfn_l1,
	&early_pfn_l2,
	&early_pfn_l3,
	&early_pfn_l4pre,
	&early_pfn_l4,
	&early_pfn_l5,
	&early_pfn_l6,
	&early_pfn_l7,
	&early_pfn_proposed,
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
		selected->reset(selected);
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
	if (!mem_profiling.debug)
		return;
	/*
	 * bootsim: NMIs armed by a scenario's nmi statement are aimed at the
	 * scheduling points inside RECORD (D3); bookkeeping, not a point.
	 */
	nmi_window_enter();
	selected->add(pfn, gfp, alloc_flags);
	nmi_window_exit();
}

void clear_early_alloc_pfn_tag_refs(void)
{
	sim_mark(SIM_MARK_CLEAR_START, 0);		/* bootsim: trace marker */
	if (mem_profiling.debug) {
		early_pfn_stat_inc(clear_runs);
		selected->clear();
	}
	sim_mark(SIM_MARK_CLEAR_DONE, 0);
}

void early_pfn_stats_read(struct early_pfn_stats *out)
{
	long *dst = (long *)out, *src = (long *)&early_pfn_stats;

	for (size_t i = 0; i < sizeof(*out) / sizeof(long); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* bootsim: a real tag was in the slot when CLEAR's store landed (D4, D7). */
static void stamp_empty(union pgtag_ref_handle handle, unsigned long pfn)
{
	union codetag_ref empty;
	struct codetag *prev;

	set_codetag_empty(&empty);
	prev = update_page_tag_ref_observed(handle, &empty);
	if (prev && prev != CODETAG_EMPTY)
		early_pfn_stat_inc(clear_overwrote);
	sim_note("CLEAR stamps pfn %#lx EMPTY", pfn);
	early_pfn_stat_inc(clear_stamped);
}

/*
 * Stamp one recorded PFN, the step every variant's CLEAR shares (§3 common
 * skeleton).  A PFN that is invalid or whose section still has no page_ext
 * is ignored: frees of that page find no slot either.
 */
void early_pfn_clear_one(unsigned long pfn, enum early_pfn_stamp how)
{
	union pgtag_ref_handle handle;
	union codetag_ref ref;

	if (!pfn_valid(pfn) || !get_page_tag_ref(pfn_to_page(pfn), &ref, &handle)) {
		early_pfn_stat_inc(clear_no_slot);
		return;
	}
	sim_note("CLEAR reads pfn %#lx slot: %s", pfn, codetag_ref_name(&ref));
	switch (how) {
	case STAMP_ALWAYS:
		/* A1 (§3.1 step 2): no check, a live page's tag is lost (D4) */
		stamp_empty(handle, pfn);
		break;
	case STAMP_IF_NULL:
		if (ref.ct) {
			early_pfn_stat_inc(clear_kept);
			break;
		}
		/*
		 * The accepted D7 window: an owner may store a real tag
		 * between the read above and the store below.
		 */
		stamp_empty(handle, pfn);
		break;
	case STAMP_CMPXCHG: {
		union codetag_ref empty;

		/* proposed: the store happens only if the slot is still NULL */
		set_codetag_empty(&empty);
		if (!ref.ct && try_update_page_tag_ref(handle, &ref, &empty)) {
			sim_note("CLEAR stamps pfn %#lx EMPTY", pfn);
			early_pfn_stat_inc(clear_stamped);
		} else {
			sim_note("CLEAR keeps pfn %#lx slot: %s", pfn, codetag_ref_name(&ref));
			early_pfn_stat_inc(clear_kept);
		}
		break;
	}
	}
	put_page_tag_ref(handle);
}
