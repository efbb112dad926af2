// SPDX-License-Identifier: GPL-2.0
/*
 * alloc_tag/early_pfn_pool.c - the pfn_pool family of early-PFN tracking:
 * list v4 to the ALLOC_NO_CODETAG version (§3.7–§3.11).
 *
 * Early PFNs are stored in "pfn_pool" pages: the body of each tracking page
 * holds a header { next, count } and PFN_POOL_SIZE PFNs (510 on 64-bit,
 * §2.8).  RECORD claims a slot with a cmpxchg on count, and pushes a fresh
 * pool with a cmpxchg on the head when the current one is full.  CLEAR
 * retires the worker through an RCU-protected function pointer, waits a grace
 * period, stamps every recorded PFN whose slot is still NULL with
 * CODETAG_EMPTY, and frees the pool pages.
 *
 * The members differ only in the rows of struct pool_variant; the steps are
 * written once, here, in the order of §3.7.
 */
#include "sim/core/atomic.h"
#include "sim/core/rcu.h"
#include "sim/core/trace.h"
#include "alloc/alloc_pages.h"
#include "pgalloc_tag.h"
#include "early_pfn.h"

struct pfn_pool {
	struct pfn_pool *next;
	atomic_t count;
	unsigned long pfns[];
};

#define PFN_POOL_SIZE ((PAGE_SIZE - offsetof(struct pfn_pool, pfns)) / sizeof(unsigned long))
BUILD_BUG_ON(PFN_POOL_SIZE != 510);	/* §2.8, 64-bit */

struct pool_variant {
	/* gfp of the tracking-page allocation, from the caller's gfp */
	gfp_t (*tracking_gfp)(gfp_t caller_gfp);
	/* L4 on: clear_page_tag_ref() on a page that lost the head cmpxchg */
	bool clear_loser_ref;
	/* L7: the recursion marker is ALLOC_NO_CODETAG, not __GFP_NO_CODETAG */
	bool marker_in_alloc_flags;
};

static const struct pool_variant *variant;

static struct pfn_pool *current_pfn_pool __initdata;

typedef void alloc_tag_add_func(unsigned long pfn, gfp_t gfp);
static alloc_tag_add_func __rcu *alloc_tag_add_early_pfn_ptr __refdata;

/*
 * bootsim: a tracking page is about to be freed.  Accounted (D13)?  Still
 * without a slot, so clear_page_tag_ref() will do nothing and a publication
 * before the free makes the free warn (D12 residual)?
 */
static void note_tracking_page_free(struct page *page, bool lost_race)
{
	struct alloc_tag *tag;

	switch (pgalloc_tag_peek(page, &tag)) {
	case SLOT_TAG:
		early_pfn_stat_inc(tracking_pages_accounted_freed);
		break;
	case SLOT_MISSING:
		if (lost_race)
			early_pfn_stat_inc(tracking_pages_lost_slotless);
		break;
	default:
		break;
	}
}

/*
 * The worker (§3.7 WORKER).  Runs inside RECORD's RCU reader, so the
 * tracking allocation must not sleep (D11).  The kernel's L6/L7 worker takes
 * only @pfn; @gfp is kept here so one body serves the whole family.
 */
static void __init __alloc_tag_add_early_pfn(unsigned long pfn, gfp_t gfp)
{
	struct pfn_pool *pool;
	int idx;

	do {
		pool = READ_ONCE(current_pfn_pool);
		if (!pool || atomic_read(&pool->count) >= (int)PFN_POOL_SIZE) {
			struct pfn_pool *new;
			struct page *page;

			/* hooked here, so Ttrack's function is this one (§4) */
			if (variant->marker_in_alloc_flags)
				page = __alloc_pages(variant->tracking_gfp(gfp), 0, 0,
						     NULL, ALLOC_NO_CODETAG);
			else
				page = alloc_page(variant->tracking_gfp(gfp));

			if (!page) {
				early_pfn_stat_inc(pfns_dropped);
				pr_warn_once("early PFN tracking page allocation failed\n");
				return;
			}
			early_pfn_stat_inc(tracking_pages_alloc);
			sim_note("pool %s: tracking page pfn %#lx", pool ? "full" : "empty",
				 page_to_pfn(page));
			new = page_address(page);
			new->next = pool;
			atomic_set(&new->count, 0);
			if (cmpxchg(&current_pfn_pool, pool, new) != pool) {
				early_pfn_stat_inc(head_cmpxchg_failed);
				sim_note("cmpxchg head fails: drop tracking page pfn %#lx",
					 page_to_pfn(page));
				early_pfn_stat_inc(tracking_pages_lost_race);
				note_tracking_page_free(page, true);
				if (variant->clear_loser_ref)
					clear_page_tag_ref(page);
				__free_page(page);
				continue;
			}
			early_pfn_stat_inc(tracking_pages_published);
			sim_note("cmpxchg head: pool page pfn %#lx published", page_to_pfn(page));
			pool = new;
		}
		idx = atomic_read(&pool->count);
		if (idx >= (int)PFN_POOL_SIZE)
			continue;
		if (atomic_try_cmpxchg(&pool->count, &idx, idx + 1))
			break;
		early_pfn_stat_inc(count_cmpxchg_failed);
	} while (1);

	/*
	 * A plain store in the kernel, made visible to CLEAR by the grace
	 * period; untorn here so that ThreadSanitizer accepts the same proof.
	 */
	WRITE_ONCE(pool->pfns[idx], pfn);
	early_pfn_stat_inc(pfns_recorded);
	sim_note("RECORD pfn %#lx in pool slot %d", pfn, idx);
}

/* RECORD (§3.7 steps 1–3). */
static void pool_alloc_tag_add_early_pfn(unsigned long pfn, gfp_t gfp,
					 unsigned int alloc_flags)
{
	alloc_tag_add_func *alloc_tag_add;

	if (mem_profiling.compressed)
		return;
	if (variant->marker_in_alloc_flags ? (alloc_flags & ALLOC_NO_CODETAG)
					   : (gfp & __GFP_NO_CODETAG)) {
		early_pfn_stat_inc(pfns_skipped_marker);
		return;
	}

	rcu_read_lock();
	alloc_tag_add = rcu_dereference(alloc_tag_add_early_pfn_ptr);
	if (alloc_tag_add)
		alloc_tag_add(pfn, gfp);
	else {
		early_pfn_stat_inc(pfns_after_clear);
		sim_note("RECORD pfn %#lx: worker already retired, PFN lost", pfn);
	}
	rcu_read_unlock();
}

/* CLEAR (§3.7, with L6's single read of each pool's count, §3.10). */
static void __init pool_clear_early_alloc_pfn_tag_refs(void)
{
	struct pfn_pool *pool;

	if (mem_profiling.compressed)
		return;

	sim_note("CLEAR: retire the RECORD worker");
	rcu_assign_pointer(alloc_tag_add_early_pfn_ptr, NULL);
	/* Make sure we are not racing with __alloc_tag_add_early_pfn() */
	synchronize_rcu();
	sim_note("CLEAR: grace period over");

	for (pool = READ_ONCE(current_pfn_pool); pool;) {
		int count = atomic_read(&pool->count);
		struct pfn_pool *next;
		struct page *page;

		for (int i = 0; i < count; i++)
			early_pfn_clear_one(READ_ONCE(pool->pfns[i]), STAMP_IF_NULL);

		next = pool->next;
		page = virt_to_page(pool);
		note_tracking_page_free(page, false);
		early_pfn_stat_inc(tracking_pages_freed_clear);
		sim_note("CLEAR frees pool page pfn %#lx", page_to_pfn(page));
		clear_page_tag_ref(page);
		__free_page(page);
		pool = next;
	}
}

/* bootsim: pool pages reachable from the head (before CLEAR frees them). */
static long pool_reachable_pages(void)
{
	long n = 0;

	if (__atomic_load_n(&early_pfn_stats.clear_runs, __ATOMIC_RELAXED))
		return 0;
	for (struct pfn_pool *p = current_pfn_pool; p; p = p->next)
		n++;
	return n;
}

static unsigned long pool_capacity(void)
{
	return PFN_POOL_SIZE;
}

static void pool_reset(const struct pool_variant *v)
{
	variant = v;
	current_pfn_pool = NULL;
	alloc_tag_add_early_pfn_ptr = RCU_INITIALIZER(__alloc_tag_add_early_pfn);
}

/* L6 (§3.10): fixed mask, never sleeps, may use the __GFP_HIGH reserve. */
static gfp_t l6_tracking_gfp(gfp_t caller_gfp)
{
	(void)caller_gfp;
	return __GFP_HIGH | __GFP_NO_CODETAG;
}

static const struct pool_variant l6 = {
	.tracking_gfp = l6_tracking_gfp,
	.clear_loser_ref = true,
	.marker_in_alloc_flags = false,
};

static void l6_reset(void)
{
	pool_reset(&l6);
}

const struct early_pfn_variant early_pfn_l6 = {
	.id = "L6",
	.section = "§3.10",
	.summary = "list v6 (merged, 7.2): pfn_pool pages, cmpxchg head+count, "
		   "__GFP_HIGH | __GFP_NO_CODETAG",
	.details = "Tracking pages allocated with the fixed mask __GFP_HIGH | "
		   "__GFP_NO_CODETAG; a page that loses the head cmpxchg gets "
		   "clear_page_tag_ref() before __free_page() (D13 source); CLEAR "
		   "reads each pool's count once.  The worker keeps a gfp argument "
		   "it ignores, so one body serves L4-L7.",
	.reset = l6_reset,
	.add = pool_alloc_tag_add_early_pfn,
	.clear = pool_clear_early_alloc_pfn_tag_refs,
	.capacity = pool_capacity,
	.reachable_pages = pool_reachable_pages,
};
