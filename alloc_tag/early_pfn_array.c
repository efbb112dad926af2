// SPDX-License-Identifier: GPL-2.0
/*
 * alloc_tag/early_pfn_array.c - the fixed-array family of early-PFN
 * tracking, array v1 to v4 (§3.1–§3.3), and "none", the kernel before the
 * fix (§1, D1).
 *
 * Early PFNs go into the __initdata array early_pfns[]; early_pfn_count says
 * how many slots are taken.  RECORD reserves a slot (under a spinlock in v1,
 * with a cmpxchg on the count from v2 on) and stores the PFN into it.  CLEAR
 * first retires RECORD (a state flag in v1, a function pointer from v2 on,
 * RCU-protected from v3 on), then walks early_pfns[] and stamps each PFN's
 * slot with CODETAG_EMPTY (unconditionally in v1, only a NULL slot from v2
 * on).
 *
 * The members differ only in the rows of struct array_variant; the steps are
 * written once, here, in the order of §3.2.
 */
#include <string.h>

#include "sim/core/atomic.h"
#include "sim/core/rcu.h"
#include "sim/core/spinlock.h"
#include "sim/core/trace.h"
#include "pgalloc_tag.h"
#include "early_pfn.h"

#define EARLY_ALLOC_PFN_MAX		8192	/* v2 on (§3.2) */
#define EARLY_ALLOC_PFN_MAX_V1		256	/* v1 (§3.1, D2) */

/* How CLEAR stops RECORD before it walks the array. */
enum array_retire {
	RETIRE_STATE_FLAG,	/* A1: mem_profiling_is_available() turns true */
	RETIRE_PLAIN_PTR,	/* A2: pointer := NULL, no grace period (D5) */
	RETIRE_RCU_PTR,		/* A3: rcu_assign_pointer(NULL) + synchronize_rcu() */
};

struct array_variant {
	int capacity;			/* slots of early_pfns[] in use */
	/* A1: early_pfn_lock serialises writers; A2 on: cmpxchg on the count */
	bool locked;
	/* A2 on: pr_warn_once when the array is full; A1 drops silently (D2) */
	bool warn_overflow;
	enum array_retire retire;
	enum early_pfn_stamp stamp;	/* STAMP_ALWAYS in A1 (D4) */
	/* A3: RECORD and CLEAR return at once in compressed mode */
	bool compressed_checks;
};

static const struct array_variant *variant;

static unsigned long early_pfns[EARLY_ALLOC_PFN_MAX] __initdata;
static atomic_t early_pfn_count __initdata;
/* A1 only: taken with IRQs saved; an NMI is not stopped by that (D3). */
static DEFINE_SPINLOCK(early_pfn_lock);

typedef void alloc_tag_add_func(unsigned long pfn);
/* A2: a plain pointer; A3: the same pointer under RCU (§3.3, v4 typing). */
static alloc_tag_add_func __rcu *alloc_tag_add_early_pfn_ptr __refdata;

/*
 * A1 [REC]: the state v1 declared as mem_profiling_is_available() in
 * alloc_tag.h.  Read here as "page_ext-based profiling is up", false until
 * CLEAR sets it; RECORD runs while it is false.  A plain flag: nothing orders
 * RECORD's test against CLEAR's walk (§3.1, D5-like).
 */
static bool mem_profiling_page_ext_ready;

static inline bool mem_profiling_is_available(void)
{
	return READ_ONCE(mem_profiling_page_ext_ready);
}

/*
 * bootsim: how far CLEAR's walk has read early_pfns[], to tell a store that
 * CLEAR can no longer see (D5).  Updating these is never a scheduling point.
 */
static int clear_slots_read;
static bool clear_walk_over;

static bool slot_read_by_clear(int idx)
{
	return __atomic_load_n(&clear_walk_over, __ATOMIC_RELAXED) ||
	       idx < __atomic_load_n(&clear_slots_read, __ATOMIC_RELAXED);
}

/* Store @pfn into the slot RECORD reserved, the last step of every member. */
static void early_pfn_store(int idx, unsigned long pfn)
{
	/*
	 * A plain store in the kernel; untorn here so that ThreadSanitizer
	 * accepts A3's grace-period proof.
	 */
	WRITE_ONCE(early_pfns[idx], pfn);
	early_pfn_stat_inc(pfns_recorded);
	if (slot_read_by_clear(idx)) {
		early_pfn_stat_inc(pfns_stored_after_clear);
		sim_note("RECORD pfn %#lx into early_pfns[%d] after CLEAR read that slot: "
			 "never stamped (D5)", pfn, idx);
	} else {
		sim_note("RECORD pfn %#lx into early_pfns[%d]", pfn, idx);
	}
}

static void early_pfn_overflow(unsigned long pfn)
{
	early_pfn_stat_inc(pfns_dropped);
	if (variant->warn_overflow) {
		pr_warn_once("Early page allocations before page_ext init exceeded "
			     "EARLY_ALLOC_PFN_MAX (%d)\n", EARLY_ALLOC_PFN_MAX);
		sim_note("RECORD pfn %#lx dropped: early_pfns[] full (D6)", pfn);
	} else {
		sim_note("RECORD pfn %#lx dropped silently: early_pfns[] full (D2)", pfn);
	}
}

/* A1 (§3.1 step 1): take the lock; if count < 256 append pfn; release. */
static void early_pfn_append_locked(unsigned long pfn)
{
	unsigned long flags;
	int idx;

	spin_lock_irqsave(&early_pfn_lock, flags);
	/* a plain int under the lock in v1; untorn here, CLEAR reads it unlocked */
	idx = READ_ONCE(early_pfn_count.counter);
	if (idx < variant->capacity) {
		early_pfn_store(idx, pfn);
		WRITE_ONCE(early_pfn_count.counter, idx + 1);
	} else {
		early_pfn_overflow(pfn);
	}
	spin_unlock_irqrestore(&early_pfn_lock, flags);
}

/* A2/A3 (§3.2 RECORD steps 1–2): reserve slot old with a cmpxchg, store. */
static void early_pfn_append_cmpxchg(unsigned long pfn)
{
	int old;

	for (;;) {
		old = atomic_read(&early_pfn_count);
		if (old >= variant->capacity) {
			early_pfn_overflow(pfn);
			return;
		}
		if (atomic_try_cmpxchg(&early_pfn_count, &old, old + 1))
			break;
		early_pfn_stat_inc(count_cmpxchg_failed);
	}
	early_pfn_store(old, pfn);
}

/* The worker: __init, reached through the state test or the pointer. */
static void __init __alloc_tag_add_early_pfn(unsigned long pfn)
{
	if (variant->locked)
		early_pfn_append_locked(pfn);
	else
		early_pfn_append_cmpxchg(pfn);
}

/* RECORD (§3.1 step 1, §3.2, §3.3 steps 1–2). */
static void array_alloc_tag_add_early_pfn(unsigned long pfn, gfp_t gfp,
					  unsigned int alloc_flags)
{
	alloc_tag_add_func *alloc_tag_add = NULL;

	if (variant->compressed_checks && mem_profiling.compressed)
		return;

	switch (variant->retire) {
	case RETIRE_STATE_FLAG:
		if (!mem_profiling_is_available())
			alloc_tag_add = __alloc_tag_add_early_pfn;
		break;
	case RETIRE_PLAIN_PTR:
		alloc_tag_add = READ_ONCE(alloc_tag_add_early_pfn_ptr);
		break;
	case RETIRE_RCU_PTR:
		rcu_read_lock();
		alloc_tag_add = rcu_dereference(alloc_tag_add_early_pfn_ptr);
		break;
	}
	if (alloc_tag_add) {
		alloc_tag_add(pfn);
	} else {
		early_pfn_stat_inc(pfns_after_clear);
		sim_note("RECORD pfn %#lx: tracking already retired, PFN lost", pfn);
	}
	if (variant->retire == RETIRE_RCU_PTR)
		rcu_read_unlock();
}

/*
 * CLEAR (§3.1 step 2, §3.2, §3.3 steps 1–3): retire RECORD, then stamp every
 * recorded PFN, re-reading early_pfn_count on every iteration.
 */
static void __init array_clear_early_alloc_pfn_tag_refs(void)
{
	if (variant->compressed_checks && mem_profiling.compressed)
		return;

	sim_note("CLEAR: retire RECORD");
	switch (variant->retire) {
	case RETIRE_STATE_FLAG:
		WRITE_ONCE(mem_profiling_page_ext_ready, true);
		break;
	case RETIRE_PLAIN_PTR:
		WRITE_ONCE(alloc_tag_add_early_pfn_ptr, NULL);
		break;
	case RETIRE_RCU_PTR:
		rcu_assign_pointer(alloc_tag_add_early_pfn_ptr, NULL);
		/* Make sure we are not racing with __alloc_tag_add_early_pfn() */
		synchronize_rcu();
		sim_note("CLEAR: grace period over");
		break;
	}

	for (int i = 0; i < atomic_read(&early_pfn_count); i++) {
		unsigned long pfn = READ_ONCE(early_pfns[i]);

		__atomic_store_n(&clear_slots_read, i + 1, __ATOMIC_RELAXED);
		early_pfn_clear_one(pfn, variant->stamp);
	}
	__atomic_store_n(&clear_walk_over, true, __ATOMIC_RELAXED);
	sim_note("CLEAR: walked %d early PFNs", __atomic_load_n(&clear_slots_read,
								__ATOMIC_RELAXED));
}

static void array_reset(const struct early_pfn_variant *self)
{
	variant = self->row;
	memset(early_pfns, 0, sizeof(early_pfns));
	early_pfn_count = (atomic_t)ATOMIC_INIT(0);
	mem_profiling_page_ext_ready = false;
	alloc_tag_add_early_pfn_ptr = RCU_INITIALIZER(__alloc_tag_add_early_pfn);
	clear_slots_read = 0;
	clear_walk_over = false;
}

/* A1 — v1, 2026-03-19 [REC] */
static const struct array_variant a1 = {
	.capacity = EARLY_ALLOC_PFN_MAX_V1,
	.locked = true,
	.warn_overflow = false,
	.retire = RETIRE_STATE_FLAG,
	.stamp = STAMP_ALWAYS,
	.compressed_checks = false,
};

/* A2 — v2, 2026-03-26 [LOG + REC] */
static const struct array_variant a2 = {
	.capacity = EARLY_ALLOC_PFN_MAX,
	.locked = false,
	.warn_overflow = true,
	.retire = RETIRE_PLAIN_PTR,
	.stamp = STAMP_IF_NULL,
	.compressed_checks = false,
};

/* A3 — v3/v4, 2026-03-27/31, merged and in 7.0.4 stable [SRC] */
static const struct array_variant a3 = {
	.capacity = EARLY_ALLOC_PFN_MAX,
	.locked = false,
	.warn_overflow = true,
	.retire = RETIRE_RCU_PTR,
	.stamp = STAMP_IF_NULL,
	.compressed_checks = true,
};

static unsigned long array_capacity(const struct early_pfn_variant *self)
{
	return ((const struct array_variant *)self->row)->capacity;
}

const struct early_pfn_variant early_pfn_a1 = {
	.id = "A1",
	.section = "§3.1",
	.summary = "array v1 [REC]: early_pfns[256], spinlock + state flag (D2, D3, D4)",
	.details = "[REC] readings: RECORD first tests mem_profiling_is_available(), a "
		   "plain flag (\"page_ext profiling is up\") that CLEAR sets before its "
		   "walk; nothing orders the two, so a RECORD that tested it before CLEAR "
		   "can append after the walk (D5-like, counted as "
		   "pfns_stored_after_clear).  Writers append under early_pfn_lock taken "
		   "with spin_lock_irqsave(); an NMI allocation inside RECORD spins on "
		   "the lock its own CPU holds (D3, scenario statement nmi).  The 257th "
		   "PFN is dropped without a message (D2).  CLEAR walks without the lock, "
		   "re-reading the count, and stamps EMPTY over whatever the slot holds "
		   "(D4).",
	.row = &a1,
	.reset = array_reset,
	.add = array_alloc_tag_add_early_pfn,
	.clear = array_clear_early_alloc_pfn_tag_refs,
	.capacity = array_capacity,
	.reachable_pages = NULL,
};

const struct early_pfn_variant early_pfn_a2 = {
	.id = "A2",
	.section = "§3.2",
	.summary = "array v2: early_pfns[8192], cmpxchg slot, plain fn pointer (D5, D6)",
	.details = "[REC] readings: RECORD loads alloc_tag_add_early_pfn_ptr once "
		   "(READ_ONCE) and calls the worker if it is set; CLEAR stores NULL "
		   "with no grace period, then walks early_pfns[] re-reading "
		   "early_pfn_count.  A RECORD that loaded the pointer before can still "
		   "reserve a slot and store after the walk: the PFN is never stamped "
		   "(D5, counted as pfns_stored_after_clear).  Past 8192 PFNs: "
		   "pr_warn_once (D6).  CLEAR stamps only NULL slots (D7 window).",
	.row = &a2,
	.reset = array_reset,
	.add = array_alloc_tag_add_early_pfn,
	.clear = array_clear_early_alloc_pfn_tag_refs,
	.capacity = array_capacity,
	.reachable_pages = NULL,
};

const struct early_pfn_variant early_pfn_a3 = {
	.id = "A3",
	.section = "§3.3",
	.summary = "array v3/v4 (merged, 7.0.4): early_pfns[8192], cmpxchg slot, "
		   "RCU fn pointer",
	.details = "RECORD calls the worker through rcu_dereference() inside an RCU "
		   "reader; CLEAR does rcu_assign_pointer(NULL) and synchronize_rcu() "
		   "before the walk, so every reservation is stored before it is read "
		   "(no D5).  Both return at once in compressed mode.  CLEAR re-reads "
		   "the (now frozen) count each iteration and stamps only NULL slots.  "
		   "Left: D6 (8192 cap, pr_warn_once), D7, D8, D17.",
	.row = &a3,
	.reset = array_reset,
	.add = array_alloc_tag_add_early_pfn,
	.clear = array_clear_early_alloc_pfn_tag_refs,
	.capacity = array_capacity,
	.reachable_pages = NULL,
};

/* none — the kernel before the fix (§1, D1): nothing is recorded. */
static void none_alloc_tag_add_early_pfn(unsigned long pfn, gfp_t gfp,
					 unsigned int alloc_flags)
{
	early_pfn_stat_inc(pfns_untracked);
	sim_note("pfn %#lx: no early-PFN tracking (D1)", pfn);
}

static void none_clear_early_alloc_pfn_tag_refs(void)
{
}

const struct early_pfn_variant early_pfn_none = {
	.id = "none",
	.section = "§1",
	.summary = "no early-PFN tracking: the original bug (D1)",
	.details = "The kernel before the fix: an allocation that finds no page_ext "
		   "slot records nothing and CLEAR has nothing to stamp, so freeing an "
		   "early page after its section got page_ext warns \"alloc_tag was not "
		   "set\".  RECORD calls are only counted (pfns_untracked).  bootsim's "
		   "hook still marks the caller's tag inaccurate, as every fixed "
		   "variant does.",
	.reset = NULL,
	.add = none_alloc_tag_add_early_pfn,
	.clear = none_clear_early_alloc_pfn_tag_refs,
	.capacity = NULL,
	.reachable_pages = NULL,
};
