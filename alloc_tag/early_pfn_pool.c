// SPDX-License-Identifier: GPL-2.0
/*
 * alloc_tag/early_pfn_pool.c - the page-backed families of early-PFN
 * tracking: the list series L1–L3 (§3.4–§3.6), the pfn_pool versions
 * L4⁻–L7 (§3.7–§3.11), and bootsim's own "proposed" version.
 *
 * Early PFNs are stored in tracking pages.  RECORD claims a slot in the
 * current page with a cmpxchg on its used count, and pushes a fresh page on
 * the list head when the current one is full.  CLEAR retires the worker
 * through an RCU-protected function pointer, waits a grace period, stamps
 * every recorded PFN whose slot is still NULL with CODETAG_EMPTY, and frees
 * the tracking pages.
 *
 * The steps are written once, here, in the order of §3.7.  The members
 * differ only in the rows of struct pool_variant: where the page keeps its
 * link and count, how the head is updated, which gfp (or alloc flag) the
 * tracking page gets, what happens to a page that lost the head cmpxchg, and
 * how CLEAR frees tracking pages and stamps PFNs.
 */
#include <stdlib.h>

#include "sim/core/atomic.h"
#include "sim/core/rcu.h"
#include "sim/core/sched.h"
#include "sim/core/trace.h"
#include "alloc/alloc_pages.h"
#include "pgalloc_tag.h"
#include "early_pfn.h"

/*
 * The pfn_pool header overlaid on the tracking page body (§3.7), with the
 * target's layout (§2.8):
 *   64-bit: next @0 (8), count @8 (4), pfns @16: PFN_POOL_SIZE = 510
 *   32-bit: next @0 (4), count @4 (4), pfns @8:  PFN_POOL_SIZE = 1022
 * The host is 64-bit, so a 32-bit target's header is struct pfn_pool32,
 * whose next holds the 32-bit lowmem address of the next pool (§2.8).
 * Invariant: 0 <= count <= PFN_POOL_SIZE; pfns[0..count) are claimed (a
 * claimed slot is written right after the claim, so CLEAR, which runs after
 * a grace period, sees every claimed slot written).
 */
struct pfn_pool {
	struct pfn_pool *next;
	atomic_t count;
	unsigned long pfns[];
};

struct pfn_pool32 {
	uint32_t next;
	atomic_t count;
	uint32_t pfns[];
};

#define PFN_POOL_SIZE_64 ((PAGE_SIZE - offsetof(struct pfn_pool, pfns)) / sizeof(unsigned long))
#define PFN_POOL_SIZE_32 ((PAGE_SIZE - offsetof(struct pfn_pool32, pfns)) / sizeof(uint32_t))
BUILD_BUG_ON(PFN_POOL_SIZE_64 != 510);
BUILD_BUG_ON(PFN_POOL_SIZE_32 != 1022);

/* A 32-bit kernel's lowmem linear map: virt = phys + PAGE_OFFSET. */
#define PAGE_OFFSET_32		0xC0000000u

/*
 * L3 (§3.6) keeps the chain in page->lru and the used count in
 * page->private, and fills the whole body with PFNs (512 on 64-bit).
 * bootsim's struct page is compact and has neither field, so they live in
 * this host-side shadow of the tracking page's struct page.
 */
struct l3_page_fields {
	struct l3_page_fields *lru_next;
	atomic_t private;
	struct page *page;
};

enum pool_storage {
	POOL_IN_BODY,		/* struct pfn_pool header in the page body */
	POOL_IN_STRUCT_PAGE,	/* L3: page->lru / page->private */
};

enum pool_head_update {
	HEAD_PLAIN_STORE,	/* L1: head := new, not atomic (D10) */
	HEAD_CMPXCHG,		/* L2 on */
};

/* What the worker does with its page when another CPU pushed first. */
enum pool_loser {
	LOSER_FREE,		/* L2, L3, L4⁻: __free_page() only (D12) */
	LOSER_CLEAR_AND_FREE,	/* L4–L7: clear_page_tag_ref() first (D13) */
	LOSER_PUSH_ANYWAY,	/* proposed: relink on the new head, retry */
};

/* How CLEAR gives a tracking page back. */
enum pool_release {
	RELEASE_CLEAR_REF,	/* clear_page_tag_ref() + __free_page() (D13) */
	RELEASE_SUB_TAG,	/* proposed: an accounted page is freed as such */
};

struct pool_variant {
	enum pool_storage storage;
	enum pool_head_update head_update;
	enum pool_loser loser;
	enum pool_release release;
	enum early_pfn_stamp stamp;
	/* gfp of the tracking-page allocation, from the caller's gfp */
	gfp_t (*tracking_gfp)(gfp_t caller_gfp);
	/* L7: the recursion marker is ALLOC_NO_CODETAG, not __GFP_NO_CODETAG */
	bool marker_in_alloc_flags;
	/* L6 on: CLEAR reads each pool's count once (§3.10) */
	bool clear_reads_count_once;
};

static const struct pool_variant *variant;

static struct pfn_pool *current_pfn_pool __initdata;

typedef void alloc_tag_add_func(unsigned long pfn, gfp_t gfp);
static alloc_tag_add_func __rcu *alloc_tag_add_early_pfn_ptr __refdata;

/* ------------------------------------------------------------------ */
/* The tracking page as storage: one set of accessors per layout        */

static bool target_is_32bit(void)
{
	return mem_bits_per_long() == 32;
}

static unsigned long pool_row_capacity(const struct pool_variant *row)
{
	if (row->storage == POOL_IN_STRUCT_PAGE)
		return PAGE_SIZE / (mem_bits_per_long() / 8);
	return target_is_32bit() ? PFN_POOL_SIZE_32 : PFN_POOL_SIZE_64;
}

static struct pfn_pool32 *pool32(struct pfn_pool *pool)
{
	return (struct pfn_pool32 *)pool;
}

static struct l3_page_fields *l3_fields(struct pfn_pool *pool)
{
	return (struct l3_page_fields *)pool;
}

/* The lowmem body of a 32-bit pool address, as the kernel's __va(). */
static struct pfn_pool *pool_from_addr32(uint32_t addr)
{
	if (!addr)
		return NULL;
	return page_address(pfn_to_page((addr - PAGE_OFFSET_32) >> PAGE_SHIFT));
}

static uint32_t pool_to_addr32(struct pfn_pool *pool)
{
	if (!pool)
		return 0;
	return PAGE_OFFSET_32 + (uint32_t)(page_to_pfn(virt_to_page(pool)) << PAGE_SHIFT);
}

static atomic_t *pool_count(struct pfn_pool *pool)
{
	if (variant->storage == POOL_IN_STRUCT_PAGE)
		return &l3_fields(pool)->private;
	return target_is_32bit() ? &pool32(pool)->count : &pool->count;
}

static struct pfn_pool *pool_next(struct pfn_pool *pool)
{
	if (variant->storage == POOL_IN_STRUCT_PAGE)
		return (struct pfn_pool *)l3_fields(pool)->lru_next;
	return target_is_32bit() ? pool_from_addr32(pool32(pool)->next) : pool->next;
}

/*
 * Turn a fresh tracking page into an empty pool linked to @next.  On a
 * 32-bit highmem page page_address() is NULL and the first store faults
 * (D14), as in the kernel.
 */
static struct pfn_pool *pool_init(struct page *page, struct pfn_pool *next)
{
	struct pfn_pool *new;

	if (variant->storage == POOL_IN_STRUCT_PAGE) {
		struct l3_page_fields *f = calloc(1, sizeof(*f));

		if (!f)
			abort();	/* host out of memory: internal error */
		f->page = page;
		f->lru_next = l3_fields(next);
		atomic_set(&f->private, 0);
		return (struct pfn_pool *)f;
	}
	new = page_address(page);
	if (target_is_32bit()) {
		pool32(new)->next = pool_to_addr32(next);
		atomic_set(&pool32(new)->count, 0);
	} else {
		new->next = next;
		atomic_set(&new->count, 0);
	}
	return new;
}

/* A loser re-links its page on the head it lost to (proposed). */
static void pool_set_next(struct pfn_pool *pool, struct pfn_pool *next)
{
	if (variant->storage == POOL_IN_STRUCT_PAGE)
		l3_fields(pool)->lru_next = l3_fields(next);
	else if (target_is_32bit())
		pool32(pool)->next = pool_to_addr32(next);
	else
		pool->next = next;
}

static struct page *pool_page(struct pfn_pool *pool)
{
	if (variant->storage == POOL_IN_STRUCT_PAGE)
		return l3_fields(pool)->page;
	return virt_to_page(pool);
}

/* Where slot @idx lives: the body after the header, or (L3) all of it. */
static void *pool_slot(struct pfn_pool *pool, int idx)
{
	if (variant->storage == POOL_IN_STRUCT_PAGE) {
		char *body = page_address(l3_fields(pool)->page);

		return body + (size_t)idx * (mem_bits_per_long() / 8);
	}
	return target_is_32bit() ? (void *)&pool32(pool)->pfns[idx] : (void *)&pool->pfns[idx];
}

/*
 * A plain store in the kernel, made visible to CLEAR by the grace period;
 * untorn here so that ThreadSanitizer accepts the same proof.
 */
static void pool_store_pfn(struct pfn_pool *pool, int idx, unsigned long pfn)
{
	void *slot = pool_slot(pool, idx);

	if (target_is_32bit())
		WRITE_ONCE(*(uint32_t *)slot, (uint32_t)pfn);
	else
		WRITE_ONCE(*(unsigned long *)slot, pfn);
}

static unsigned long pool_load_pfn(struct pfn_pool *pool, int idx)
{
	void *slot = pool_slot(pool, idx);

	if (target_is_32bit())
		return READ_ONCE(*(uint32_t *)slot);
	return READ_ONCE(*(unsigned long *)slot);
}

/* The page no longer tracks anything; L3's shadow goes with it. */
static void pool_forget(struct pfn_pool *pool)
{
	if (variant->storage == POOL_IN_STRUCT_PAGE)
		free(l3_fields(pool));
}

/* ------------------------------------------------------------------ */
/* bootsim's bookkeeping around tracking pages (never a scheduling point) */

/*
 * A tracking page was just allocated: a pinned kernel page must not sit
 * where memory has to stay movable (D14's placement form).
 */
static void note_tracking_page_alloc(struct page *page, bool head_was_full)
{
	early_pfn_stat_inc(tracking_pages_alloc);
	if (page_in_movable_placement(page)) {
		early_pfn_stat_inc(tracking_pages_movable);
		sim_note("tracking page pfn %#lx in a movable placement", page_to_pfn(page));
	}
	sim_note("pool %s: tracking page pfn %#lx", head_was_full ? "full" : "empty",
		 page_to_pfn(page));
}

/*
 * A tracking page is about to be given back.  Accounted (D13)?  Still
 * without a slot (a publication before the free makes the free warn: the
 * D12 residual)?  pgalloc_tag_sub() counts the free that does warn.
 */
static void note_tracking_page_free(struct page *page, bool lost_race)
{
	struct alloc_tag *tag;

	switch (pgalloc_tag_peek(page, &tag)) {
	case SLOT_TAG:
		early_pfn_stat_inc(tracking_pages_accounted_freed);
		/* the race form of D13: the loser's tag is about to be discarded */
		if (lost_race && variant->loser == LOSER_CLEAR_AND_FREE)
			early_pfn_stat_inc(tracking_pages_lost_accounted);
		break;
	case SLOT_MISSING:
		if (lost_race)
			early_pfn_stat_inc(tracking_pages_lost_slotless);
		break;
	default:
		break;
	}
}

static void free_tracking_page(struct page *page)
{
	current->freeing_tracking_page = true;
	__free_page(page);
	current->freeing_tracking_page = false;
}

/* ------------------------------------------------------------------ */
/* RECORD                                                               */

/*
 * Publish @new as the head it was linked to.  Returns false when another
 * CPU pushed first and @new was given back (the loser rows).
 */
static bool push_pool(struct pfn_pool *pool, struct pfn_pool *new)
{
	struct page *page = pool_page(new);
	struct pfn_pool *seen;

	if (variant->head_update == HEAD_PLAIN_STORE) {
		/* L1: the store cannot fail, and can drop another CPU's page (D10) */
		WRITE_ONCE(current_pfn_pool, new);
		early_pfn_stat_inc(tracking_pages_published);
		sim_note("head := pool page pfn %#lx (plain store)", page_to_pfn(page));
		return true;
	}
	while ((seen = cmpxchg(&current_pfn_pool, pool, new)) != pool) {
		early_pfn_stat_inc(head_cmpxchg_failed);
		if (variant->loser == LOSER_PUSH_ANYWAY) {
			/* the page stays tracked: nothing is freed before CLEAR */
			sim_note("cmpxchg head fails: relink pool page pfn %#lx",
				 page_to_pfn(page));
			pool_set_next(new, seen);
			pool = seen;
			continue;
		}
		sim_note("cmpxchg head fails: drop tracking page pfn %#lx", page_to_pfn(page));
		early_pfn_stat_inc(tracking_pages_lost_race);
		note_tracking_page_free(page, true);
		pool_forget(new);
		if (variant->loser == LOSER_CLEAR_AND_FREE)
			clear_page_tag_ref(page);
		free_tracking_page(page);
		return false;
	}
	early_pfn_stat_inc(tracking_pages_published);
	sim_note("cmpxchg head: pool page pfn %#lx published", page_to_pfn(page));
	return true;
}

/*
 * The worker (§3.7 WORKER).  Runs inside RECORD's RCU reader, so the
 * tracking allocation must not sleep (D11).  The kernel's L6/L7 worker takes
 * only @pfn; @gfp is kept here so one body serves the whole family.
 */
static void __init __alloc_tag_add_early_pfn(unsigned long pfn, gfp_t gfp)
{
	int size = (int)pool_row_capacity(variant);
	struct pfn_pool *pool;
	int idx;

	do {
		pool = READ_ONCE(current_pfn_pool);
		if (!pool || atomic_read(pool_count(pool)) >= size) {
			struct pfn_pool *new;
			struct page *page;

			/* hooked here, so Ttrack's function is this one (§4) */
			if (variant->marker_in_alloc_flags)
				page = __alloc_pages(variant->tracking_gfp(gfp), 0,
						     numa_mem_id(), NULL, ALLOC_NO_CODETAG);
			else
				page = alloc_page(variant->tracking_gfp(gfp));
			if (!page) {
				early_pfn_stat_inc(pfns_dropped);
				sim_note("tracking page allocation fails: pfn %#lx dropped", pfn);
				pr_warn_once("early PFN tracking page allocation failed\n");
				return;
			}
			note_tracking_page_alloc(page, pool != NULL);
			new = pool_init(page, pool);
			if (!push_pool(pool, new))
				continue;
			pool = new;
		}
		idx = atomic_read(pool_count(pool));
		if (idx >= size)
			continue;
		if (atomic_try_cmpxchg(pool_count(pool), &idx, idx + 1))
			break;
		early_pfn_stat_inc(count_cmpxchg_failed);
	} while (1);

	pool_store_pfn(pool, idx, pfn);
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

/* ------------------------------------------------------------------ */
/* CLEAR                                                                */

/*
 * Give a tracking page back.  The kernel clears the slot first (the rule
 * documented with __GFP_NO_CODETAG, §3.7), which discards a real tag if the
 * page was accounted (D13).  proposed: an accounted page is freed as such,
 * so its tag is subtracted; only a NULL slot is stamped EMPTY first.
 */
static void release_tracking_page(struct page *page)
{
	if (variant->release == RELEASE_SUB_TAG) {
		struct alloc_tag *tag;

		if (pgalloc_tag_peek(page, &tag) == SLOT_NULL)
			clear_page_tag_ref(page);
	} else {
		note_tracking_page_free(page, false);
		clear_page_tag_ref(page);
	}
	free_tracking_page(page);
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
		int count = atomic_read(pool_count(pool));
		struct pfn_pool *next;
		struct page *page;

		for (int i = 0; i < (variant->clear_reads_count_once ? count :
				     atomic_read(pool_count(pool))); i++)
			early_pfn_clear_one(pool_load_pfn(pool, i), variant->stamp);

		next = pool_next(pool);
		page = pool_page(pool);
		pool_forget(pool);
		early_pfn_stat_inc(tracking_pages_freed_clear);
		sim_note("CLEAR frees pool page pfn %#lx", page_to_pfn(page));
		release_tracking_page(page);
		pool = next;
	}
}

/* bootsim: pool pages reachable from the head (before CLEAR frees them). */
static long pool_reachable_pages(void)
{
	long n = 0;

	if (__atomic_load_n(&early_pfn_stats.clear_runs, __ATOMIC_RELAXED))
		return 0;
	for (struct pfn_pool *p = current_pfn_pool; p; p = pool_next(p))
		n++;
	return n;
}

static unsigned long pool_capacity(const struct early_pfn_variant *self)
{
	return pool_row_capacity(self->row);
}

/* bootsim: a fresh machine; L3 shadows of the previous one are dropped. */
static void pool_reset(const struct early_pfn_variant *self)
{
	/* CLEAR retired the worker and forgot every page it freed */
	if (variant && variant->storage == POOL_IN_STRUCT_PAGE &&
	    alloc_tag_add_early_pfn_ptr) {
		for (struct pfn_pool *p = current_pfn_pool, *next; p; p = next) {
			next = pool_next(p);
			pool_forget(p);
		}
	}
	variant = self->row;
	current_pfn_pool = NULL;
	alloc_tag_add_early_pfn_ptr = RCU_INITIALIZER(__alloc_tag_add_early_pfn);
}

/* ------------------------------------------------------------------ */
/* The members                                                          */

/* L1 [REC]: an atomic-context mask, whatever the caller could do. */
static gfp_t l1_tracking_gfp(gfp_t caller_gfp)
{
	(void)caller_gfp;
	return GFP_ATOMIC | __GFP_NO_CODETAG;
}

/* L2: blocking callers get GFP_KERNEL, inside RCU's reader (D11). */
static gfp_t l2_tracking_gfp(gfp_t caller_gfp)
{
	return (gfpflags_allow_blocking(caller_gfp) ? GFP_KERNEL : GFP_ATOMIC) |
	       __GFP_NO_CODETAG;
}

/* L3, L4⁻, L4: the caller's flags minus direct reclaim (D14). */
static gfp_t l3_tracking_gfp(gfp_t caller_gfp)
{
	return (caller_gfp & ~__GFP_DIRECT_RECLAIM) | __GFP_NO_CODETAG;
}

/* L5: zone modifiers masked too; other caller flags still leak (§3.9). */
static gfp_t l5_tracking_gfp(gfp_t caller_gfp)
{
	return (caller_gfp & ~(__GFP_DIRECT_RECLAIM | GFP_ZONEMASK)) | __GFP_NO_CODETAG;
}

/* L6: fixed mask, never sleeps, may use the __GFP_HIGH reserve. */
static gfp_t l6_tracking_gfp(gfp_t caller_gfp)
{
	(void)caller_gfp;
	return __GFP_HIGH | __GFP_NO_CODETAG;
}

/* L7: the same page, the marker travels as ALLOC_NO_CODETAG. */
static gfp_t l7_tracking_gfp(gfp_t caller_gfp)
{
	(void)caller_gfp;
	return __GFP_HIGH;
}

/*
 * One row per member; read down a column to see where two versions differ.
 *
 *           storage  head     loser          release    stamp    tracking gfp
 *   L1      body     plain    (none)         clear+free if NULL  GFP_ATOMIC
 *   L2      body     cmpxchg  free           clear+free if NULL  KERNEL/ATOMIC
 *   L3      page     cmpxchg  free           clear+free if NULL  caller - DR
 *   L4⁻     body     cmpxchg  free           clear+free if NULL  caller - DR
 *   L4      body     cmpxchg  clear+free     clear+free if NULL  caller - DR
 *   L5      body     cmpxchg  clear+free     clear+free if NULL  caller - DR - zone
 *   L6      body     cmpxchg  clear+free     clear+free if NULL  __GFP_HIGH
 *   L7      body     cmpxchg  clear+free     clear+free if NULL  __GFP_HIGH, ALLOC_NO_CODETAG
 *   proposed body    cmpxchg  push anyway    sub tag    cmpxchg  __GFP_HIGH, ALLOC_NO_CODETAG
 * [REC] L1–L3 free their pages in CLEAR as L4 does: freeing a NULL-slot
 * page without clear_page_tag_ref() would have warned on every boot.
 */
static const struct pool_variant l1_row = {
	.storage = POOL_IN_BODY,
	.head_update = HEAD_PLAIN_STORE,
	.loser = LOSER_FREE,	/* L1 has no loser: the plain store always "wins" */
	.release = RELEASE_CLEAR_REF,
	.stamp = STAMP_IF_NULL,
	.tracking_gfp = l1_tracking_gfp,
	.marker_in_alloc_flags = false,
	.clear_reads_count_once = false,
};

static const struct pool_variant l2_row = {
	.storage = POOL_IN_BODY,
	.head_update = HEAD_CMPXCHG,
	.loser = LOSER_FREE,
	.release = RELEASE_CLEAR_REF,
	.stamp = STAMP_IF_NULL,
	.tracking_gfp = l2_tracking_gfp,
	.marker_in_alloc_flags = false,
	.clear_reads_count_once = false,
};

static const struct pool_variant l3_row = {
	.storage = POOL_IN_STRUCT_PAGE,
	.head_update = HEAD_CMPXCHG,
	.loser = LOSER_FREE,
	.release = RELEASE_CLEAR_REF,
	.stamp = STAMP_IF_NULL,
	.tracking_gfp = l3_tracking_gfp,
	.marker_in_alloc_flags = false,
	.clear_reads_count_once = false,
};

static const struct pool_variant l4pre_row = {
	.storage = POOL_IN_BODY,
	.head_update = HEAD_CMPXCHG,
	.loser = LOSER_FREE,
	.release = RELEASE_CLEAR_REF,
	.stamp = STAMP_IF_NULL,
	.tracking_gfp = l3_tracking_gfp,
	.marker_in_alloc_flags = false,
	.clear_reads_count_once = false,
};

static const struct pool_variant l4_row = {
	.storage = POOL_IN_BODY,
	.head_update = HEAD_CMPXCHG,
	.loser = LOSER_CLEAR_AND_FREE,
	.release = RELEASE_CLEAR_REF,
	.stamp = STAMP_IF_NULL,
	.tracking_gfp = l3_tracking_gfp,
	.marker_in_alloc_flags = false,
	.clear_reads_count_once = false,
};

static const struct pool_variant l5_row = {
	.storage = POOL_IN_BODY,
	.head_update = HEAD_CMPXCHG,
	.loser = LOSER_CLEAR_AND_FREE,
	.release = RELEASE_CLEAR_REF,
	.stamp = STAMP_IF_NULL,
	.tracking_gfp = l5_tracking_gfp,
	.marker_in_alloc_flags = false,
	.clear_reads_count_once = false,
};

static const struct pool_variant l6_row = {
	.storage = POOL_IN_BODY,
	.head_update = HEAD_CMPXCHG,
	.loser = LOSER_CLEAR_AND_FREE,
	.release = RELEASE_CLEAR_REF,
	.stamp = STAMP_IF_NULL,
	.tracking_gfp = l6_tracking_gfp,
	.marker_in_alloc_flags = false,
	.clear_reads_count_once = true,
};

static const struct pool_variant l7_row = {
	.storage = POOL_IN_BODY,
	.head_update = HEAD_CMPXCHG,
	.loser = LOSER_CLEAR_AND_FREE,
	.release = RELEASE_CLEAR_REF,
	.stamp = STAMP_IF_NULL,
	.tracking_gfp = l7_tracking_gfp,
	.marker_in_alloc_flags = true,
	.clear_reads_count_once = true,
};

static const struct pool_variant proposed_row = {
	.storage = POOL_IN_BODY,
	.head_update = HEAD_CMPXCHG,
	.loser = LOSER_PUSH_ANYWAY,
	.release = RELEASE_SUB_TAG,
	.stamp = STAMP_CMPXCHG,
	.tracking_gfp = l7_tracking_gfp,
	.marker_in_alloc_flags = true,
	.clear_reads_count_once = true,
};

#define POOL_OPS(name_)							\
	.row = &name_##_row,						\
	.reset = pool_reset,						\
	.add = pool_alloc_tag_add_early_pfn,				\
	.clear = pool_clear_early_alloc_pfn_tag_refs,			\
	.capacity = pool_capacity,					\
	.reachable_pages = pool_reachable_pages

const struct early_pfn_variant early_pfn_l1 = {
	.id = "L1",
	.section = "§3.4",
	.summary = "list v1 [REC]: tracking pages on a list whose head is updated "
		   "with a plain store (D10), GFP_ATOMIC | __GFP_NO_CODETAG",
	.details = "[REC] The node struct of v1 is read as the pfn_pool header in the "
		   "page body (510 PFNs); the freelist of v1 is not modelled, no defect "
		   "depends on it.  The head is read, the new page linked to it, and the "
		   "head stored back without a cmpxchg: two CPUs pushing at once lose one "
		   "page and every PFN recorded in it (D10).  CLEAR as in L4.",
	POOL_OPS(l1),
};

const struct early_pfn_variant early_pfn_l2 = {
	.id = "L2",
	.section = "§3.5",
	.summary = "list v2: cmpxchg on the head, GFP_KERNEL or GFP_ATOMIC by the "
		   "caller (D11), loser page freed as is (D12)",
	.details = "[REC] Same page layout as L1.  gfpflags_allow_blocking(caller) picks "
		   "GFP_KERNEL (may sleep inside RECORD's RCU reader: D11) or GFP_ATOMIC.  "
		   "A page that loses the head cmpxchg is freed without "
		   "clear_page_tag_ref() (D12, 'plausibly L2/L3' in §4).  CLEAR as in L4.",
	POOL_OPS(l2),
};

const struct early_pfn_variant early_pfn_l3 = {
	.id = "L3",
	.section = "§3.6",
	.summary = "list v3: page->lru chain, page->private count, whole body PFNs "
		   "(512), caller gfp minus __GFP_DIRECT_RECLAIM",
	.details = "[REC] L4's claim loop on page->private (cmpxchg), a cmpxchg on the "
		   "head, capacity PAGE_SIZE / sizeof(long) (512, 1024 on 32-bit).  "
		   "bootsim's struct page has no lru/private, so they live in a host-side "
		   "shadow of the tracking page.  Tracking gfp inherits the caller's zone "
		   "and placement bits (D14); the loser page is freed as is (D12).",
	POOL_OPS(l3),
};

const struct early_pfn_variant early_pfn_l4pre = {
	.id = "L4pre",
	.section = "§3.7",
	.summary = "list v4 as first posted (L4⁻): pfn_pool pages, caller gfp minus "
		   "__GFP_DIRECT_RECLAIM, loser page freed without clearing (D12)",
	.details = "[REC] L4 minus one step: a page that loses the head cmpxchg is "
		   "freed with __free_page() only.  If its section got page_ext between "
		   "its allocation and that free, the free warns (D12, Sashiko Q3).",
	POOL_OPS(l4pre),
};

const struct early_pfn_variant early_pfn_l4 = {
	.id = "L4",
	.section = "§3.8",
	.summary = "list v4: pfn_pool pages, caller gfp minus __GFP_DIRECT_RECLAIM, "
		   "clear_page_tag_ref() on the loser page",
	.details = "The loser page gets clear_page_tag_ref() before __free_page(): "
		   "silent if its slot exists, but an accounted page's tag is discarded "
		   "(D13).  The tracking gfp inherits the caller's zone bits (D14).",
	POOL_OPS(l4),
};

const struct early_pfn_variant early_pfn_l5 = {
	.id = "L5",
	.section = "§3.9",
	.summary = "list v5: as L4, tracking gfp also masks GFP_ZONEMASK",
	.details = "Tracking gfp = caller & ~(__GFP_DIRECT_RECLAIM | GFP_ZONEMASK) | "
		   "__GFP_NO_CODETAG: no HighMem/Movable zone any more; non-zone caller "
		   "flags (__GFP_RECLAIMABLE, __GFP_MEMALLOC, __GFP_THISNODE...) still leak "
		   "into the tracking allocation.",
	POOL_OPS(l5),
};

const struct early_pfn_variant early_pfn_l6 = {
	.id = "L6",
	.section = "§3.10",
	.summary = "list v6 (merged, 7.2): pfn_pool pages, cmpxchg head+count, "
		   "__GFP_HIGH | __GFP_NO_CODETAG",
	.details = "Tracking pages allocated with the fixed mask __GFP_HIGH | "
		   "__GFP_NO_CODETAG; a page that loses the head cmpxchg gets "
		   "clear_page_tag_ref() before __free_page() (D13 source); CLEAR "
		   "reads each pool's count once.  The worker keeps a gfp argument "
		   "it ignores, so one body serves L1-L7.",
	POOL_OPS(l6),
};

const struct early_pfn_variant early_pfn_l7 = {
	.id = "L7",
	.section = "§3.11",
	.summary = "ALLOC_NO_CODETAG (mm-new): as L6, the recursion marker is an "
		   "alloc flag, not a gfp bit",
	.details = "The worker allocates with __alloc_pages(__GFP_HIGH, 0, numa_mem_id(), "
		   "NULL, ALLOC_NO_CODETAG); RECORD returns early on that alloc flag, so "
		   "__GFP_NO_OBJ_EXT no longer hides allocations (D15 closed).  "
		   "ALLOC_NO_CODETAG = 0x1000 (unverified, §2.8).",
	POOL_OPS(l7),
};

const struct early_pfn_variant early_pfn_proposed = {
	.id = "proposed",
	.section = "bootsim",
	.summary = "bootsim's: L7 plus cmpxchg NULL→EMPTY in CLEAR (D7) and no "
		   "discarded tracking-page tags (D13, D12)",
	.details = "L7's structure with three changes.  CLEAR stamps a PFN with a "
		   "compare-and-swap NULL → EMPTY on its slot, so a tag stored after the "
		   "read survives (closes D7).  A page that loses the head cmpxchg is not "
		   "freed but re-linked on the head it lost to and pushed again, so no "
		   "tracking page is freed before CLEAR (closes D12 and D13's race form, "
		   "at the cost of a partly used page).  CLEAR frees an accounted "
		   "tracking page through the normal free path, which subtracts its tag, "
		   "and stamps only a NULL slot EMPTY (closes D13's deterministic form).",
	POOL_OPS(proposed),
};
