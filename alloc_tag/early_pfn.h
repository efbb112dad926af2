/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alloc_tag/early_pfn.h - the early-PFN logic of §3 behind one ops table.
 *
 * Every posted version of the logic has the same two entry points (§3,
 * "common skeleton"):
 *   RECORD  alloc_tag_add_early_pfn(pfn, gfp, alloc_flags), called from the
 *           slot-missing branch of __pgalloc_tag_add();
 *   CLEAR   clear_early_alloc_pfn_tag_refs(), the page_alloc_tagging
 *           client's init callback, run once after the page_ext walk.
 * A variant supplies both plus a reset for a fresh machine.  Besides the
 * kernel logic, variants keep bootsim's own counters (struct early_pfn_stats)
 * that the oracles and the boot summary read; updating them is never a
 * scheduling point.
 *
 *   | API                          | context                    |
 *   |------------------------------|----------------------------|
 *   | early_pfn_select / _lookup   | machine setup, no CPUs     |
 *   | alloc_tag_add_early_pfn      | any CPU, any time          |
 *   | clear_early_alloc_pfn_tag_refs | the page_ext_init CPU    |
 *   | early_pfn_stats_read         | host thread, CPUs stopped  |
 */
#ifndef ALLOC_TAG_EARLY_PFN_H
#define ALLOC_TAG_EARLY_PFN_H

#include "alloc/gfp.h"

/* Recursion guard of L1–L6: aliases __GFP_NO_OBJ_EXT (§3.7, D15). */
#define __GFP_NO_CODETAG	__GFP_NO_OBJ_EXT

struct early_pfn_stats {
	long slot_missing_allocs;	/* RECORD calls: allocations without a slot */
	long pfns_recorded;		/* RECORD stored a PFN */
	long pfns_dropped;		/* tracking page allocation failed (D18) */
	long pfns_skipped_marker;	/* recursion guard returned early */
	long pfns_after_clear;		/* RECORD found the worker gone */
	long tracking_pages_alloc;	/* pages the worker allocated */
	long tracking_pages_published;	/* won the head cmpxchg */
	long tracking_pages_lost_race;	/* lost it and were freed */
	long tracking_pages_lost_slotless; /* ... while the page had no slot: if its
					    * section is published before the free,
					    * the free warns (D12 residual) */
	long tracking_pages_freed_clear;/* freed by CLEAR */
	long tracking_pages_accounted_freed; /* D13: held a real tag at free */
	long tracking_pages_lost_accounted; /* D13 race form: a loser held a tag */
	long tracking_pages_freed_null;	/* freed with a NULL slot: warned (D12) */
	long tracking_pages_movable;	/* placed in ZONE_MOVABLE or a movable
					 * pageblock: a mobility violation (D14) */
	long head_cmpxchg_failed;
	long count_cmpxchg_failed;
	long clear_stamped;		/* slot NULL → EMPTY */
	long clear_kept;		/* slot non-NULL, left alone */
	long clear_overwrote;		/* EMPTY stored over a real tag (D4, D7) */
	long clear_no_slot;		/* PFN invalid or still without page_ext */
	long clear_runs;
	long max_pool_pages_live;
	long pfns_stored_after_clear;	/* D5: stored into a slot CLEAR had already
					 * read (A1, A2): never stamped */
	long pfns_untracked;		/* none: RECORD keeps nothing (D1) */
};

struct early_pfn_variant {
	const char *id;		/* spec id: "L6"; matched case-insensitively */
	const char *section;	/* "§3.10" */
	const char *summary;	/* one line for `bootsim variants` */
	const char *details;	/* --verbose: choices made, [REC] readings */
	const void *row;	/* the family's row of what this member does */
	void (*reset)(const struct early_pfn_variant *self);
	void (*add)(unsigned long pfn, gfp_t gfp, unsigned int alloc_flags);
	void (*clear)(void);
	/*
	 * PFNs one storage unit holds: the whole array (A1–A3) or one
	 * tracking page (L1–L7) on the current machine; NULL: no storage.
	 * Scenarios size their fills with it ("count=capacity-2").
	 */
	unsigned long (*capacity)(const struct early_pfn_variant *self);
	/* live tracking pages, for the D10 reachability oracle; may be NULL */
	long (*reachable_pages)(void);
};

extern const struct early_pfn_variant early_pfn_none, early_pfn_a1, early_pfn_a2,
	early_pfn_a3;
extern const struct early_pfn_variant early_pfn_l1, early_pfn_l2, early_pfn_l3,
	early_pfn_l4pre, early_pfn_l4, early_pfn_l5, early_pfn_l6, early_pfn_l7,
	early_pfn_proposed;

/* All variants, NULL-terminated, in §3 order. */
extern const struct early_pfn_variant *const early_pfn_variants[];

const struct early_pfn_variant *early_pfn_lookup(const char *id);
void early_pfn_select(const struct early_pfn_variant *variant);
const struct early_pfn_variant *early_pfn_selected(void);

/* How CLEAR stamps one recorded PFN (§3 common skeleton). */
enum early_pfn_stamp {
	STAMP_ALWAYS,		/* A1: EMPTY over whatever the slot holds (D4) */
	STAMP_IF_NULL,		/* A2–L7: read, test NULL, store EMPTY (D7 window) */
	STAMP_CMPXCHG,		/* proposed: compare-and-swap NULL → EMPTY */
};
void early_pfn_clear_one(unsigned long pfn, enum early_pfn_stamp how);

void alloc_tag_add_early_pfn(unsigned long pfn, gfp_t gfp, unsigned int alloc_flags);
void clear_early_alloc_pfn_tag_refs(void);

/* Bootsim's counters; variants bump them with early_pfn_stat_*(). */
extern struct early_pfn_stats early_pfn_stats;
#define early_pfn_stat_inc(field) \
	__atomic_fetch_add(&early_pfn_stats.field, 1, __ATOMIC_RELAXED)
void early_pfn_stats_read(struct early_pfn_stats *out);

#endif /* ALLOC_TAG_EARLY_PFN_H */
