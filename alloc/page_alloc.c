// SPDX-License-Identifier: GPL-2.0
/*
 * alloc/page_alloc.c - the simulated machine's physical memory and its buddy
 * allocator: zones, pageblock migratetypes, free lists, watermarks, and the
 * allocation/free paths with the hooks allocation tagging sits on (§2.5).
 *
 * Locking: every write of a struct page's flags or links, of a free list, of
 * a pageblock migratetype and of a zone's counters happens under that zone's
 * lock (mem_setup aside), and every write to a per-CPU list or to the pages
 * on it under that list's pcp->lock, taken before zone->lock when both are
 * needed; so mem_check_invariants(), holding them all, sees a consistent
 * zone.  The hooks are always called with no lock held: the tagging hooks
 * allocate and free pages themselves.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host_map.h"
#include "mm.h"
#include "sim/core/percpu.h"
#include "sim/core/printk.h"
#include "sim/core/sched.h"
#include "sim/core/trace.h"

struct pglist_data contig_page_data;
unsigned long max_pfn;

static struct alloc_hooks hooks;
static int debug_level;
static unsigned long bad_free_count;
static bool mem_ready;
/* mem_params.pcp: order <= PAGE_ALLOC_COSTLY_ORDER goes through pcp lists. */
static bool pcp_enabled;
/* CPUs with a per_cpu_pageset entry (nr_cpu_ids at setup). */
static unsigned int pcp_nr_cpus;
/* Zones walked by setup, stats and checks: all of them once set up (some empty). */
static int nr_zones;
/* BITS_PER_LONG of the machine; gfp_zone() and page_address() depend on it. */
static unsigned int machine_bits = 64;
/* First PFN without a kernel mapping (896 MiB on 32-bit); max_pfn on 64-bit. */
static unsigned long highmem_start_pfn;
/* Low memory kept out of the allocator, [0, reserved_end_pfn). */
static unsigned long reserved_end_pfn;
/* Zeroing large bodies by dropping them keeps zeroed tables out of RSS. */
static bool zero_by_madvise;

/*
 * Deferred free blocks.  An order-10 head every 16 KiB of mem_map is a host
 * page per head, so writing every head of a terabyte zone costs seconds and
 * GiBs of RSS.  Like the kernel's deferred struct page init, only the lowest
 * DEFERRED_EAGER_BLOCKS order-10 blocks of a zone are written at setup; the
 * order-10 blocks above them stay implicit: free, movable, counted in nr_free
 * and free_pages, and in list order the tail of the order-10 movable list
 * (ascending, exactly where eager setup puts them, see free_zone_range()).
 * Run-time frees insert at the head, so that tail stays the tail.  When the
 * list runs empty its next block is the lowest implicit one, which is then
 * written ("taken"); mem_claim_block() takes the block it wants anywhere.
 */
#define DEFERRED_EAGER_BLOCKS	4096UL		/* 16 GiB per zone */
#define MAX_ORDER_NR_PAGES	(1UL << MAX_PAGE_ORDER)

struct deferred_blocks {
	unsigned long base;		/* the first implicit block at setup */
	unsigned long lo, hi;		/* implicit blocks lie in [lo, hi) */
	unsigned long *taken;		/* per block from base: no longer implicit */
};
static struct deferred_blocks deferred[MAX_NR_ZONES];

#define ZERO_MADVISE_MIN	(64UL << 10)
#define DMA_END_PFN		((16ULL << 20) >> PAGE_SHIFT)
#define DMA32_END_PFN		((4ULL << 30) >> PAGE_SHIFT)
/* x86-32: the kernel maps the low 896 MiB; above it is ZONE_HIGHMEM. */
#define LOWMEM_END_PFN_32	((896ULL << 20) >> PAGE_SHIFT)
#define MIN_MEM_PAGES		(MEM_MIN_BYTES >> PAGE_SHIFT)
/* mm/internal.h: the min watermark of highmem/movable zones is clamped to this. */
#define SWAP_CLUSTER_MAX	32UL
/* Kernel default vm.watermark_scale_factor: 10 / 10000 of a zone. */
#define WATERMARK_SCALE_FACTOR	10

static const char *const zone_names[MAX_NR_ZONES] = {
	[ZONE_DMA] = "DMA",
	[ZONE_DMA32] = "DMA32",
	[ZONE_NORMAL] = "Normal",
	[ZONE_HIGHMEM] = "HighMem",
	[ZONE_MOVABLE] = "Movable",
};

/* ------------------------------------------------------------------ */
/* struct page and pageblock helpers                                   */

static inline unsigned int flags_order(uint32_t flags)
{
	return (flags & PG_ORDER_MASK) >> PG_ORDER_SHIFT;
}

static inline int flags_mt(uint32_t flags)
{
	return (int)((flags & PG_MT_MASK) >> PG_MT_SHIFT);
}

static inline bool PageBuddy(const struct page *page)
{
	return page_flags(page) & PG_buddy;
}

static inline void set_page_refcount(struct page *page, int v)
{
	__atomic_store_n(&page->_refcount, v, __ATOMIC_RELAXED);
}

static inline struct zone *zone_of(enum zone_type idx)
{
	return &contig_page_data.node_zones[idx];
}

static inline unsigned long zone_end_pfn(const struct zone *zone)
{
	return zone->zone_start_pfn + zone->spanned_pages;
}

static inline bool zone_spans_pfn(const struct zone *zone, unsigned long pfn)
{
	return pfn >= zone->zone_start_pfn && pfn < zone_end_pfn(zone);
}

/* The zone of each pageblock: the kernel keeps it in page->flags (no room here). */
static uint8_t *pageblock_zone;
/* first_zones_zonelist() from each zone: the highest populated one at or below. */
static enum zone_type zonelist_first[MAX_NR_ZONES];

static inline struct zone *pfn_zone(unsigned long pfn)
{
	if (pfn >= max_pfn)
		return NULL;
	return zone_of(pageblock_zone[pfn >> pageblock_order]);
}

/* Pageblock types are read racily by get_pageblock_migratetype(). */
static inline int pfnblock_mt(unsigned long pfn)
{
	return __atomic_load_n(&contig_page_data.pageblock_mt[pfn >> pageblock_order],
			       __ATOMIC_RELAXED);
}

static void set_pageblock_range_mt(unsigned long pfn, unsigned int order, int mt)
{
	unsigned long first = pfn >> pageblock_order;
	unsigned long n = order > pageblock_order ? 1UL << (order - pageblock_order) : 1;

	for (unsigned long i = 0; i < n; i++)
		__atomic_store_n(&contig_page_data.pageblock_mt[first + i], (uint8_t)mt,
				 __ATOMIC_RELAXED);
}

static inline void account_free(struct zone *zone, long nr)
{
	__atomic_store_n(&zone->free_pages, (unsigned long)((long)zone->free_pages + nr),
			 __ATOMIC_RELAXED);
}

/*
 * The tag bits stay: a block being allocated has none (its free cleared
 * them), but split_page() and the partial free re-mark pages that are live
 * and tagged in compressed mode.
 */
static inline void set_allocated_head(struct page *page, unsigned int order, bool comp)
{
	set_page_flags(page, (page_flags(page) & PG_TAG_MASK) | PG_head |
		       (order << PG_ORDER_SHIFT) | (comp ? PG_compound : 0));
}

/* ------------------------------------------------------------------ */
/* Free lists                                                          */

static __always_inline void link_free_block(struct zone *zone, unsigned long pfn,
					    unsigned int order, int mt)
{
	struct free_area *area = &zone->free_area[order];
	struct page *page = pfn_to_page(pfn);
	uint32_t first = area->free_list[mt];

	set_page_flags(page, PG_buddy | (order << PG_ORDER_SHIFT) | ((uint32_t)mt << PG_MT_SHIFT));
	page->buddy_prev = NO_PFN;
	page->buddy_next = first;
	if (first != NO_PFN)
		pfn_to_page(first)->buddy_prev = (uint32_t)pfn;
	area->free_list[mt] = (uint32_t)pfn;
}

static __always_inline void add_to_free_list(struct zone *zone, unsigned long pfn,
					     unsigned int order, int mt)
{
	link_free_block(zone, pfn, order, mt);
	zone->free_area[order].nr_free++;
}

static inline unsigned long deferred_bit(const struct deferred_blocks *d, unsigned long pfn)
{
	return (pfn - d->base) >> MAX_PAGE_ORDER;
}

static inline bool deferred_taken(const struct deferred_blocks *d, unsigned long pfn)
{
	unsigned long bit = deferred_bit(d, pfn);

	return d->taken[bit / BITS_PER_LONG] & (1UL << (bit % BITS_PER_LONG));
}

/* Is @pfn inside a free order-10 block that has not been written yet? */
static bool pfn_in_deferred_block(const struct zone *zone, unsigned long pfn)
{
	const struct deferred_blocks *d = &deferred[zone->idx];

	return pfn >= d->lo && pfn < d->hi && !deferred_taken(d, pfn);
}

/*
 * Write the implicit block holding @pfn as a real free block.  It goes to the
 * head of the order-10 movable list: callers either found that list empty
 * (so head and tail are the same place) or take the block straight off it.
 */
static void take_deferred_block(struct zone *zone, unsigned long pfn)
{
	struct deferred_blocks *d = &deferred[zone->idx];
	unsigned long bit = deferred_bit(d, pfn);

	d->taken[bit / BITS_PER_LONG] |= 1UL << (bit % BITS_PER_LONG);
	/* Already counted in nr_free and free_pages. */
	link_free_block(zone, pfn & ~(MAX_ORDER_NR_PAGES - 1), MAX_PAGE_ORDER, MIGRATE_MOVABLE);
}

/* The order-10 movable list ran empty: its next block is the lowest implicit one. */
static uint32_t take_lowest_deferred_block(struct zone *zone)
{
	struct deferred_blocks *d = &deferred[zone->idx];

	for (; d->lo < d->hi; d->lo += MAX_ORDER_NR_PAGES) {
		unsigned long pfn = d->lo;

		if (deferred_taken(d, pfn))
			continue;
		take_deferred_block(zone, pfn);
		d->lo += MAX_ORDER_NR_PAGES;
		return (uint32_t)pfn;
	}
	return NO_PFN;
}

/* First block of a free list, as if every implicit block had been written. */
static __always_inline uint32_t free_list_first(struct zone *zone, unsigned int order, int mt)
{
	uint32_t pfn = zone->free_area[order].free_list[mt];

	if (unlikely(pfn == NO_PFN) && order == MAX_PAGE_ORDER && mt == MIGRATE_MOVABLE)
		pfn = take_lowest_deferred_block(zone);
	return pfn;
}

/* Unlink a free block; its head becomes an interior page (flags 0). */
static __always_inline void del_page_from_free_list(struct zone *zone, unsigned long pfn,
						    unsigned int order)
{
	struct free_area *area = &zone->free_area[order];
	struct page *page = pfn_to_page(pfn);
	int mt = flags_mt(page_flags(page));

	if (page->buddy_prev != NO_PFN)
		pfn_to_page(page->buddy_prev)->buddy_next = page->buddy_next;
	else
		area->free_list[mt] = page->buddy_next;
	if (page->buddy_next != NO_PFN)
		pfn_to_page(page->buddy_next)->buddy_prev = page->buddy_prev;
	set_page_flags(page, 0);
	page->buddy_next = page->buddy_prev = NO_PFN;
	area->nr_free--;
}

/*
 * Split the free block [pfn, pfn + 2^high) down to 2^low: the lower part is
 * kept and each upper half goes back to the free lists, as the kernel does.
 */
static void expand(struct zone *zone, unsigned long pfn, unsigned int low,
		   unsigned int high, int mt)
{
	while (high > low) {
		high--;
		add_to_free_list(zone, pfn + (1UL << high), high, mt);
	}
}

/* ------------------------------------------------------------------ */
/* Allocation                                                          */

static unsigned long __rmqueue_smallest(struct zone *zone, unsigned int order, int mt)
{
	for (unsigned int o = order; o <= MAX_PAGE_ORDER; o++) {
		uint32_t pfn = free_list_first(zone, o, mt);

		if (pfn == NO_PFN)
			continue;
		del_page_from_free_list(zone, pfn, o);
		expand(zone, pfn, order, o, mt);
		return pfn;
	}
	return NO_PFN;
}

static const int fallbacks[MIGRATE_TYPES][MIGRATE_TYPES - 1] = {
	[MIGRATE_UNMOVABLE]   = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE]     = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE,   MIGRATE_MOVABLE },
};

static int find_suitable_fallback(struct zone *zone, unsigned int order, int mt)
{
	for (int i = 0; i < MIGRATE_TYPES - 1; i++)
		if (free_list_first(zone, order, fallbacks[mt][i]) != NO_PFN)
			return fallbacks[mt][i];
	return -1;
}

/*
 * Whether stealing a block of @order for @start_mt takes over its pageblock:
 * large blocks always, and unmovable/reclaimable requests always, because
 * mixing those into movable pageblocks is what fragments memory for good.
 */
static bool can_claim_block(unsigned int order, int start_mt)
{
	if (order >= pageblock_order / 2)
		return true;
	return start_mt == MIGRATE_UNMOVABLE || start_mt == MIGRATE_RECLAIMABLE;
}

/*
 * No block of the wanted type: steal one of another type.  The largest is
 * taken first so that whole pageblocks change hands rather than many small
 * pieces of different pageblocks.  For a block smaller than a pageblock the
 * kernel claims the pageblock only when enough of it is free or of the same
 * type, and then moves its other free blocks over; bootsim claims it
 * unconditionally and leaves the other free blocks on their lists.
 */
static unsigned long __rmqueue_fallback(struct zone *zone, unsigned int order, int start_mt)
{
	unsigned int co;
	int fmt = -1;
	bool claim = false;
	unsigned long pfn;

	for (co = MAX_PAGE_ORDER + 1; co-- > order;) {
		fmt = find_suitable_fallback(zone, co, start_mt);
		if (fmt < 0)
			continue;
		claim = can_claim_block(co, start_mt);
		/*
		 * A movable request that cannot claim anything should not
		 * break up a large block of another type: take the smallest.
		 */
		if (!claim && start_mt == MIGRATE_MOVABLE && co > order) {
			for (co = order; co <= MAX_PAGE_ORDER; co++) {
				fmt = find_suitable_fallback(zone, co, start_mt);
				if (fmt >= 0)
					break;
			}
			claim = can_claim_block(co, start_mt);
		}
		break;
	}
	if (fmt < 0)
		return NO_PFN;

	pfn = free_list_first(zone, co, fmt);
	del_page_from_free_list(zone, pfn, co);
	if (claim) {
		set_pageblock_range_mt(pfn, co, start_mt);
		fmt = start_mt;
	}
	expand(zone, pfn, order, co, fmt);
	return pfn;
}

static unsigned long __rmqueue(struct zone *zone, unsigned int order, int mt)
{
	unsigned long pfn = __rmqueue_smallest(zone, order, mt);

	if (pfn == NO_PFN)
		pfn = __rmqueue_fallback(zone, order, mt);
	return pfn;
}

/*
 * __zone_watermark_ok: __GFP_HIGH callers may use half of the min reserve,
 * and those that also cannot block a further quarter of what is left (§2.8).
 */
static bool zone_watermark_ok(struct zone *zone, unsigned int order,
			      enum zone_watermarks mark, unsigned int alloc_flags)
{
	long min = (long)zone->watermark[mark];
	long free = (long)__atomic_load_n(&zone->free_pages, __ATOMIC_RELAXED);

	if (alloc_flags & ALLOC_MIN_RESERVE) {
		min -= min / 2;
		if (alloc_flags & ALLOC_NON_BLOCK)
			min -= min / 4;
	}
	return free - (1L << order) >= min;
}

/* ------------------------------------------------------------------ */
/* Per-CPU page lists (mem_params.pcp)                                 */

static void __free_one_page(struct zone *zone, unsigned long pfn, unsigned int order);

static inline bool pcp_allowed_order(unsigned int order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER;
}

/* This CPU's lists of @zone if they may hold @order, else NULL. */
static __always_inline struct per_cpu_pages *this_cpu_pcp(const struct zone *zone,
							  unsigned int order)
{
	unsigned int cpu;

	if (!zone->per_cpu_pageset || !pcp_allowed_order(order))
		return NULL;
	cpu = (unsigned int)smp_processor_id();
	return likely(cpu < pcp_nr_cpus) ? per_cpu_ptr(zone->per_cpu_pageset, cpu) : NULL;
}

static inline unsigned int order_to_pindex(int mt, unsigned int order)
{
	return MIGRATE_PCPTYPES * order + (unsigned int)mt;
}

static inline unsigned int pindex_to_order(unsigned int pindex)
{
	return pindex / MIGRATE_PCPTYPES;
}

static inline void pcp_count_add(struct per_cpu_pages *pcp, int nr)
{
	__atomic_store_n(&pcp->count, pcp->count + nr, __ATOMIC_RELAXED);
}

/* A free block becomes a pcp head: order and list type in its flags. */
static __always_inline void set_pcp_head(struct page *page, unsigned int order, int mt)
{
	set_page_flags(page, PG_pcp | (order << PG_ORDER_SHIFT) | ((uint32_t)mt << PG_MT_SHIFT));
}

/* __list_add(): @pfn between @prev and @next, NO_PFN standing for the ends. */
static __always_inline void pcp_list_insert(struct per_cpu_pages *pcp, unsigned int pindex,
					    unsigned long pfn, uint32_t prev, uint32_t next)
{
	struct page *page = pfn_to_page(pfn);

	page->buddy_prev = prev;
	page->buddy_next = next;
	if (prev != NO_PFN)
		pfn_to_page(prev)->buddy_next = (uint32_t)pfn;
	else
		pcp->head[pindex] = (uint32_t)pfn;
	if (next != NO_PFN)
		pfn_to_page(next)->buddy_prev = (uint32_t)pfn;
	else
		pcp->tail[pindex] = (uint32_t)pfn;
}

/* list_add(): frees go to the head, the next allocation takes them back. */
static __always_inline void pcp_list_add(struct per_cpu_pages *pcp, unsigned int pindex,
					 unsigned long pfn)
{
	pcp_list_insert(pcp, pindex, pfn, NO_PFN, pcp->head[pindex]);
}

/* list_add_tail(): a refill keeps the order __rmqueue() gave. */
static void pcp_list_add_tail(struct per_cpu_pages *pcp, unsigned int pindex,
			      unsigned long pfn)
{
	pcp_list_insert(pcp, pindex, pfn, pcp->tail[pindex], NO_PFN);
}

static __always_inline void pcp_list_del(struct per_cpu_pages *pcp, unsigned int pindex,
					 unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);

	if (page->buddy_prev != NO_PFN)
		pfn_to_page(page->buddy_prev)->buddy_next = page->buddy_next;
	else
		pcp->head[pindex] = page->buddy_next;
	if (page->buddy_next != NO_PFN)
		pfn_to_page(page->buddy_next)->buddy_prev = page->buddy_prev;
	else
		pcp->tail[pindex] = page->buddy_prev;
	page->buddy_next = page->buddy_prev = NO_PFN;
}

/*
 * free_pcppages_bulk(): @count pages back to the buddy allocator, oldest
 * (tail) first, taking the lists round-robin from @pindex on, under
 * zone->lock.  Called with pcp->lock held.
 */
static void free_pcppages_bulk(struct zone *zone, int count, struct per_cpu_pages *pcp,
			       unsigned int pindex)
{
	count = min(count, pcp->count);
	if (count <= 0)
		return;
	pindex = pindex ? pindex - 1 : NR_PCP_LISTS - 1;
	spin_lock(&zone->lock);
	while (count > 0) {
		unsigned int order;

		do {
			if (++pindex >= NR_PCP_LISTS)
				pindex = 0;
		} while (pcp->head[pindex] == NO_PFN);
		order = pindex_to_order(pindex);
		do {
			unsigned long pfn = pcp->tail[pindex];

			pcp_list_del(pcp, pindex, pfn);
			count -= 1 << order;
			pcp_count_add(pcp, -(1 << order));
			__free_one_page(zone, pfn, order);
		} while (count > 0 && pcp->head[pindex] != NO_PFN);
	}
	spin_unlock(&zone->lock);
}

/*
 * rmqueue_bulk(): refill an empty list with up to @count blocks under
 * zone->lock, which ALLOC_NOLOCK only trylocks.  Called with pcp->lock held.
 */
static void rmqueue_bulk(struct zone *zone, unsigned int order, int count,
			 struct per_cpu_pages *pcp, unsigned int pindex, int mt,
			 unsigned int alloc_flags)
{
	int i;

	if (alloc_flags & ALLOC_NOLOCK) {
		if (!spin_trylock(&zone->lock))
			return;
	} else {
		spin_lock(&zone->lock);
	}
	for (i = 0; i < count; i++) {
		unsigned long pfn = __rmqueue(zone, order, mt);

		if (pfn == NO_PFN)
			break;
		set_pcp_head(pfn_to_page(pfn), order, mt);
		pcp_list_add_tail(pcp, pindex, pfn);
	}
	account_free(zone, -((long)i << order));
	pcp_count_add(pcp, i << order);
	spin_unlock(&zone->lock);
}

/* nr_pcp_alloc(): fewer, larger blocks per refill for higher orders. */
static inline int nr_pcp_alloc(const struct per_cpu_pages *pcp, unsigned int order)
{
	return max(pcp->batch >> order, 2);
}

/*
 * rmqueue_pcplist(): the head of this CPU's list, refilled when empty.
 * pcp_spin_trylock(): whoever holds the lock (the interrupted owner, for an
 * NMI's allocation, or a remote drain) keeps it, and the caller goes to
 * the buddy path instead.
 */
static __always_inline unsigned long rmqueue_pcplist(struct zone *zone,
						    struct per_cpu_pages *pcp,
						    unsigned int order, int mt, gfp_t gfp,
						    unsigned int alloc_flags)
{
	unsigned int pindex = order_to_pindex(mt, order);
	unsigned long pfn;

	if (!spin_trylock(&pcp->lock))
		return NO_PFN;
	if (pcp->head[pindex] == NO_PFN)
		rmqueue_bulk(zone, order, nr_pcp_alloc(pcp, order), pcp, pindex, mt, alloc_flags);
	pfn = pcp->head[pindex];
	if (pfn != NO_PFN) {
		pcp_list_del(pcp, pindex, pfn);
		pcp_count_add(pcp, -(1 << order));
		set_allocated_head(pfn_to_page(pfn), order, gfp & __GFP_COMP);
		__atomic_store_n(&pcp->nr_alloc_calls, pcp->nr_alloc_calls + 1, __ATOMIC_RELAXED);
	}
	spin_unlock(&pcp->lock);
	return pfn;
}

/*
 * free_frozen_page_commit(): onto this CPU's list of the pageblock's type;
 * reaching pcp->high sends a batch back.  False when pcp->lock is busy:
 * the caller frees to the buddy allocator instead (free_one_page()).
 */
static __always_inline bool free_frozen_page_pcp(struct zone *zone, struct per_cpu_pages *pcp,
						 unsigned long pfn, unsigned int order)
{
	int mt = pfnblock_mt(pfn);
	unsigned int pindex = order_to_pindex(mt, order);

	if (!spin_trylock(&pcp->lock))
		return false;
	set_pcp_head(pfn_to_page(pfn), order, mt);
	pcp_list_add(pcp, pindex, pfn);
	pcp_count_add(pcp, 1 << order);
	__atomic_store_n(&pcp->nr_free_calls, pcp->nr_free_calls + 1, __ATOMIC_RELAXED);
	if (pcp->count >= pcp->high)
		free_pcppages_bulk(zone, pcp->batch, pcp, pindex);
	spin_unlock(&pcp->lock);
	return true;
}

/*
 * drain_all_pages(): every CPU's lists of every zone back to the buddy
 * allocator, under each list's lock (the kernel drains remote CPUs
 * directly since 6.0).  A CPU whose racy count reads 0 is skipped, as
 * __drain_all_pages() does.  Returns whether any page moved.
 */
static bool drain_all_pages(void)
{
	bool drained = false;

	for (int z = 0; z < nr_zones; z++) {
		struct zone *zone = zone_of(z);

		if (!zone->per_cpu_pageset)
			continue;
		for (unsigned int cpu = 0; cpu < pcp_nr_cpus; cpu++) {
			struct per_cpu_pages *pcp = per_cpu_ptr(zone->per_cpu_pageset, cpu);

			if (!__atomic_load_n(&pcp->count, __ATOMIC_RELAXED))
				continue;
			spin_lock(&pcp->lock);
			if (pcp->count) {
				free_pcppages_bulk(zone, pcp->count, pcp, 0);
				drained = true;
			}
			spin_unlock(&pcp->lock);
		}
	}
	return drained;
}

/* ------------------------------------------------------------------ */
/* Allocation: zones                                                   */

/*
 * rmqueue_buddy(): one block straight from the free lists.
 * alloc_pages_nolock() (NMI, BPF) never spins on zone->lock.
 */
static unsigned long rmqueue_buddy(struct zone *zone, unsigned int order, int mt,
				   gfp_t gfp, unsigned int alloc_flags)
{
	unsigned long pfn;

	if (alloc_flags & ALLOC_NOLOCK) {
		if (!spin_trylock(&zone->lock))
			return NO_PFN;
	} else {
		spin_lock(&zone->lock);
	}
	pfn = __rmqueue(zone, order, mt);
	if (pfn != NO_PFN) {
		/* Marked under the lock so the invariant walk never sees a hole. */
		set_allocated_head(pfn_to_page(pfn), order, gfp & __GFP_COMP);
		account_free(zone, -(1L << order));
		zone->nr_alloc_calls++;
	}
	spin_unlock(&zone->lock);
	return pfn;
}

static __always_inline unsigned long rmqueue(struct zone *zone, unsigned int order, int mt,
					     gfp_t gfp, unsigned int alloc_flags)
{
	struct per_cpu_pages *pcp = this_cpu_pcp(zone, order);

	if (pcp) {
		unsigned long pfn = rmqueue_pcplist(zone, pcp, order, mt, gfp, alloc_flags);

		if (likely(pfn != NO_PFN))
			return pfn;
	}
	return rmqueue_buddy(zone, order, mt, gfp, alloc_flags);
}

/* What prepare_alloc_pages() works out from gfp once per allocation. */
struct alloc_context {
	enum zone_type highest_zoneidx;		/* gfp_zone() */
	int preferred_zoneidx;			/* first populated one at or below */
	int migratetype;			/* gfp_migratetype() */
};

static __always_inline void prepare_alloc_pages(gfp_t gfp, struct alloc_context *ac)
{
	ac->highest_zoneidx = gfp_zone(gfp);
	ac->preferred_zoneidx = (int)zonelist_first[ac->highest_zoneidx];
	ac->migratetype = gfp_migratetype(gfp);
}

/*
 * Walk the zonelist from gfp's zone down to ZONE_DMA: only a request whose
 * gfp_zone() is ZONE_MOVABLE starts in ZONE_MOVABLE, only a highmem one in
 * ZONE_HIGHMEM.  ALLOC_NO_WATERMARKS skips the check (try_this_zone).
 */
static struct page *get_page_from_freelist(gfp_t gfp, unsigned int order,
					   unsigned int alloc_flags,
					   enum zone_watermarks mark,
					   const struct alloc_context *ac)
{
	int mt = ac->migratetype;

	for (int z = ac->preferred_zoneidx; z >= 0; z--) {
		struct zone *zone = zone_of(z);
		unsigned long pfn;

		if (!zone->present_pages)
			continue;
		if (!(alloc_flags & ALLOC_NO_WATERMARKS) &&
		    !zone_watermark_ok(zone, order, mark, alloc_flags))
			continue;
		pfn = rmqueue(zone, order, mt, gfp, alloc_flags);
		if (pfn != NO_PFN)
			return pfn_to_page(pfn);
	}
	return NULL;
}

/* gfp_to_alloc_flags(): the reserves a slow-path caller may dip into. */
static unsigned int gfp_to_alloc_flags(gfp_t gfp)
{
	unsigned int alloc_flags = 0;

	if (gfp & __GFP_HIGH)
		alloc_flags |= ALLOC_MIN_RESERVE;
	if (!(gfp & __GFP_DIRECT_RECLAIM) && !(gfp & __GFP_NOMEMALLOC))
		alloc_flags |= ALLOC_NON_BLOCK;
	return alloc_flags;
}

/*
 * __gfp_pfmemalloc_flags(): the right to ignore watermarks.  Of the kernel's
 * reasons only the gfp ones exist here (no PF_MEMALLOC tasks, no OOM
 * victims, no softirqs): __GFP_MEMALLOC unless __GFP_NOMEMALLOC vetoes it.
 */
static unsigned int gfp_pfmemalloc_flags(gfp_t gfp)
{
	if (gfp & __GFP_NOMEMALLOC)
		return 0;
	if (gfp & __GFP_MEMALLOC)
		return ALLOC_NO_WATERMARKS;
	return 0;
}

/*
 * The slow path: against WMARK_MIN with the reserves gfp grants, then, for
 * a __GFP_MEMALLOC caller, once more with no watermark at all (the reserve
 * flags replace the others; the caller's own flags stay, §2.8).  There is
 * no reclaim, compaction or OOM killer: what the slow path cannot find is a
 * failure, except that a caller allowed to reclaim first drains the per-CPU
 * lists and tries again, as __alloc_pages_direct_reclaim() does ("it could
 * be because pages are pinned on the per-cpu lists"); a non-blocking one
 * fails with pages on them.  *alloc_flags is updated to what the
 * successful attempt used, as the kernel hands it to prep_new_page().
 * ALLOC_NOLOCK (alloc_pages_nolock()) has no slow path: a busy or low zone
 * is a failure.
 */
static struct page *__alloc_pages_slowpath(gfp_t gfp, unsigned int order,
					   unsigned int *alloc_flags,
					   const struct alloc_context *ac)
{
	unsigned int caller_flags = *alloc_flags, reserve_flags;
	bool drained = false;
	struct page *page;

	if (caller_flags & ALLOC_NOLOCK)
		return NULL;
retry:
	*alloc_flags = caller_flags | gfp_to_alloc_flags(gfp);
	page = get_page_from_freelist(gfp, order, *alloc_flags, WMARK_MIN, ac);
	if (page)
		return page;
	reserve_flags = gfp_pfmemalloc_flags(gfp);
	if (reserve_flags) {
		*alloc_flags = reserve_flags | caller_flags;
		page = get_page_from_freelist(gfp, order, *alloc_flags, WMARK_MIN, ac);
		if (page)
			return page;
	}
	if (pcp_enabled && !drained && gfpflags_allow_blocking(gfp) && drain_all_pages()) {
		drained = true;
		goto retry;
	}
	return NULL;
}

/* The fast path against WMARK_LOW, inline in the callers as in the kernel. */
static __always_inline struct page *__alloc_pages_core(gfp_t gfp, unsigned int order,
						       unsigned int *alloc_flags,
						       const struct alloc_context *ac)
{
	struct page *page = get_page_from_freelist(gfp, order, *alloc_flags, WMARK_LOW, ac);

	if (likely(page))
		return page;
	return __alloc_pages_slowpath(gfp, order, alloc_flags, ac);
}

/*
 * might_alloc() → might_sleep_if(): the report a blocking allocation from
 * atomic context or an RCU reader gets (the D11 oracle).  Only the atomic
 * states the simulator tracks count: spinlocks, NMI, RCU readers.
 */
static void might_alloc(gfp_t gfp)
{
	struct task_struct *t = current;
	int in_atomic;

	if (!gfpflags_allow_blocking(gfp))
		return;
	in_atomic = t->lock_depth > 0 || t->in_nmi;
	if (!in_atomic && t->rcu_read_depth <= 0)
		return;
	sim_report_bug("BUG: sleeping function called from invalid context at mm/page_alloc.c:%d\n"
		       "in_atomic(): %d, irqs_disabled(): %d, non_block: %d, pid: %d, name: %s\n"
		       "RCU nest depth: %d, expected: 0\n",
		       __LINE__, in_atomic, t->in_nmi ? 1 : 0, 0, t->pid, t->comm,
		       t->rcu_read_depth);
}

static void warn_alloc(gfp_t gfp, unsigned int order)
{
	char buf[256];

	if (gfp & __GFP_NOWARN)
		return;
	gfp_print(buf, sizeof(buf), gfp);
	pr_warn("%s: page allocation failure: order:%u, mode:%#x(%s)",
		current->comm, order, gfp, buf);
}

static void count_alloc_failure(gfp_t gfp, unsigned int alloc_flags)
{
	/* Charged to the first populated zone the request could use. */
	for (int z = (int)gfp_zone(gfp); z >= 0; z--) {
		struct zone *zone = zone_of(z);

		if (!zone->present_pages)
			continue;
		if (alloc_flags & ALLOC_NOLOCK) {
			if (!spin_trylock(&zone->lock))
				return;
		} else {
			spin_lock(&zone->lock);
		}
		zone->nr_alloc_failed++;
		spin_unlock(&zone->lock);
		return;
	}
}

/* clear_highpage() for every page: highmem bodies are mapped for the moment. */
static void zero_pages(struct page *page, unsigned int order)
{
	void *addr = kmap_local_page(page);
	size_t bytes = PAGE_SIZE << order;

	/* Anonymous private memory reads back as zeroes once dropped. */
	if (!(bytes >= ZERO_MADVISE_MIN && zero_by_madvise &&
	      !madvise(addr, bytes, MADV_DONTNEED)))
		memset(addr, 0, bytes);
	kunmap_local(addr);
}

static void __debug_check(void)
{
	long n = mem_check_invariants(stderr);

	if (n)
		fprintf(stderr, "bootsim: %ld allocator invariant violation(s)\n", n);
}

static __always_inline void debug_check(void)
{
	if (unlikely(debug_level > 0))
		__debug_check();
}

/* The tagging hooks run only while their static key is on (struct alloc_hooks). */
static __always_inline bool tag_hooks_on(void)
{
	return !hooks.key || *hooks.key;
}

/*
 * post_alloc_hook(): everything a new allocation gets once it is off the free
 * lists, with no zone lock held.  The tagging hook comes last, as in the
 * kernel, because it may allocate (early PFN tracking pages).
 */
static __always_inline void post_alloc_hook(struct page *page, unsigned int order,
					    gfp_t gfp, unsigned int alloc_flags)
{
	sim_note("alloc order-%u -> pfn %#lx", order, page_to_pfn(page));
	set_page_refcount(page, 1);
	if (gfp & __GFP_ZERO)
		zero_pages(page, order);
	if (hooks.post_alloc && tag_hooks_on())
		hooks.post_alloc(page, order, gfp, alloc_flags);
}

/*
 * trace_mm_page_alloc() sits in __alloc_pages after prep_new_page(), so an
 * allocation made by the tagging hook is traced before the one that caused it;
 * bulk allocations emit no event at all (traces/README.md item 4).
 */
static void trace_alloc(struct page *page, unsigned int order, gfp_t gfp)
{
	if (hooks.trace_alloc)
		hooks.trace_alloc(page, order, gfp, gfp_migratetype(gfp));
}

struct page *__alloc_pages_noprof(gfp_t gfp, unsigned int order, int preferred_nid,
				  void *nodemask, unsigned int alloc_flags)
{
	struct alloc_context ac;
	struct page *page;

	SIM_POINT("alloc pages", NULL);
	/* §2.8: only the caller-visible alloc_flags may come in. */
	if (WARN_ON(alloc_flags & ~ALLOC_CALLER_MASK))
		return NULL;
	if (order > MAX_PAGE_ORDER) {
		WARN_ON_ONCE(!(gfp & __GFP_NOWARN));
		return NULL;
	}
	might_alloc(gfp);
	if (unlikely(!mem_ready))
		return NULL;

	prepare_alloc_pages(gfp, &ac);
	page = __alloc_pages_core(gfp, order, &alloc_flags, &ac);
	if (!page) {
		count_alloc_failure(gfp, alloc_flags);
		warn_alloc(gfp, order);
		return NULL;
	}
	post_alloc_hook(page, order, gfp, alloc_flags);
	trace_alloc(page, order, gfp);
	debug_check();
	return page;
}

struct page *alloc_pages_noprof(gfp_t gfp, unsigned int order)
{
	return __alloc_pages_noprof(gfp, order, 0, NULL, ALLOC_DEFAULT);
}

struct page *alloc_pages_nolock_noprof(gfp_t gfp, int nid, unsigned int order)
{
	/*
	 * No reclaim, no kswapd wake-up, no warning (printk is unsafe in an
	 * NMI), zeroed, no reserves: the kernel's alloc_gfp.
	 */
	gfp_t alloc_gfp = __GFP_NOWARN | __GFP_ZERO | __GFP_NOMEMALLOC | __GFP_COMP | gfp;

	if (order > PAGE_ALLOC_COSTLY_ORDER)
		return NULL;
	return __alloc_pages_noprof(alloc_gfp, order, nid, NULL, ALLOC_NOLOCK);
}

unsigned long alloc_pages_bulk_noprof(gfp_t gfp, int nid, void *nodemask,
				      unsigned long nr_pages, struct page **page_array)
{
	struct alloc_context ac;
	unsigned long nr = 0;

	SIM_POINT("alloc pages bulk", page_array);
	if (!page_array)
		return 0;
	might_alloc(gfp);
	prepare_alloc_pages(gfp, &ac);
	for (unsigned long i = 0; i < nr_pages; i++) {
		unsigned int alloc_flags = ALLOC_DEFAULT;
		struct page *page;

		if (page_array[i])
			continue;
		page = mem_ready ? __alloc_pages_core(gfp, 0, &alloc_flags, &ac) : NULL;
		if (!page) {
			count_alloc_failure(gfp, ALLOC_DEFAULT);
			warn_alloc(gfp, 0);
			break;
		}
		/* prep_new_page() runs the post-alloc hook for every page. */
		post_alloc_hook(page, 0, gfp, alloc_flags);
		page_array[i] = page;
		debug_check();
	}
	for (unsigned long i = 0; i < nr_pages; i++)
		nr += page_array[i] != NULL;
	return nr;
}

static unsigned int get_order(size_t size)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < size && order < 63 - PAGE_SHIFT)
		order++;
	return order;
}

void *alloc_pages_exact_nid_noprof(int nid, size_t size, gfp_t gfp)
{
	unsigned int order = get_order(size);
	unsigned long nr = DIV_ROUND_UP(size, PAGE_SIZE);
	struct page *page;

	if (!size)
		return NULL;
	/* The tail is split off and freed: it cannot be compound or highmem. */
	if (WARN_ON_ONCE(gfp & (__GFP_COMP | __GFP_HIGHMEM)))
		gfp &= ~(__GFP_COMP | __GFP_HIGHMEM);
	page = __alloc_pages_noprof(gfp, order, nid, NULL, ALLOC_DEFAULT);
	if (!page)
		return NULL;
	/* make_alloc_exact() */
	split_page(page, order);
	for (unsigned long i = nr; i < (1UL << order); i++)
		__free_page(page + i);
	return page_address(page);
}

void free_pages_exact(void *virt, size_t size)
{
	unsigned long nr = DIV_ROUND_UP(size, PAGE_SIZE);
	uintptr_t addr = (uintptr_t)virt;

	for (unsigned long i = 0; i < nr; i++, addr += PAGE_SIZE)
		__free_page(virt_to_page((const void *)addr));
}

/* ------------------------------------------------------------------ */
/* Freeing                                                             */

/*
 * Return [pfn, pfn + 2^order) to the zone, merging with free buddies.  Like
 * the kernel since 6.10, a buddy's pageblocks take the freed block's
 * migratetype when the merge crosses pageblocks, so a free block never
 * straddles pageblocks of different types.
 */
static void __free_one_page(struct zone *zone, unsigned long pfn, unsigned int order)
{
	int mt = pfnblock_mt(pfn);

	set_page_flags(pfn_to_page(pfn), 0);
	account_free(zone, 1L << order);
	while (order < MAX_PAGE_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);
		struct page *buddy;

		if (!zone_spans_pfn(zone, buddy_pfn))
			break;
		buddy = pfn_to_page(buddy_pfn);
		if (!PageBuddy(buddy) || flags_order(page_flags(buddy)) != order)
			break;
		del_page_from_free_list(zone, buddy_pfn, order);
		if (order >= pageblock_order && pfnblock_mt(buddy_pfn) != mt)
			set_pageblock_range_mt(buddy_pfn, order, mt);
		pfn &= buddy_pfn;
		order++;
	}
	add_to_free_list(zone, pfn, order, mt);
}

/* free_pages_prepare(): the trace event, then the tag subtraction (§2.5). */
static __always_inline void __free_pages_prepare(struct page *page, unsigned int order)
{
	sim_note("free order-%u pfn %#lx", order, page_to_pfn(page));
	if (hooks.trace_free)
		hooks.trace_free(page, order);
	if (hooks.free_prepare && tag_hooks_on())
		hooks.free_prepare(page, order);
	set_page_refcount(page, 0);
}

static void __free_frozen_pages(struct zone *zone, struct page *page, unsigned int order)
{
	struct per_cpu_pages *pcp = this_cpu_pcp(zone, order);

	__free_pages_prepare(page, order);
	if (pcp && free_frozen_page_pcp(zone, pcp, page_to_pfn(page), order))
		goto out;
	spin_lock(&zone->lock);
	__free_one_page(zone, page_to_pfn(page), order);
	zone->nr_free_calls++;
	spin_unlock(&zone->lock);
out:
	debug_check();
}

/* bad_page(): the kernel's report for a page in the wrong state. */
static void bad_page(unsigned long pfn, const char *reason)
{
	__atomic_fetch_add(&bad_free_count, 1, __ATOMIC_RELAXED);
	sim_report_bug("BUG: Bad page state in process %s  pfn:%05lx\n"
		       "page dumped because: %s\n",
		       current->comm, pfn, reason);
}

/*
 * The free block or allocated block containing the interior page @pfn: its
 * head is the first aligned candidate below @pfn whose order covers @pfn.
 */
static unsigned long find_containing_head(const struct zone *zone, unsigned long pfn)
{
	for (unsigned int k = 1; k <= MAX_PAGE_ORDER; k++) {
		unsigned long head = pfn & ~((1UL << k) - 1);
		uint32_t flags;

		if (head == pfn)
			continue;
		if (head < zone->zone_start_pfn)
			break;
		flags = page_flags(pfn_to_page(head));
		if ((flags & (PG_buddy | PG_head | PG_pcp)) && flags_order(flags) >= k)
			return head;
	}
	return NO_PFN;
}

/* What only a good free sees: the head of an allocated block of @order. */
static __always_inline bool free_flags_good(uint32_t flags, unsigned int order)
{
	return (flags & (PG_buddy | PG_head | PG_reserved)) == PG_head &&
	       flags_order(flags) == order;
}

/*
 * Is freeing @page with @order legitimate?  Anything else is reported and the
 * free ignored, so one bad free does not cascade into list corruption.
 * *@zonep gets @page's zone when the free is good.
 */
static enum bad_free_reason free_pages_check(struct page *page, unsigned int order,
					     struct zone **zonep)
{
	uintptr_t base = (uintptr_t)contig_page_data.mem_map;
	uintptr_t off = (uintptr_t)page - base;
	unsigned long pfn = off / sizeof(struct page);
	enum bad_free_reason why = BAD_FREE_NONE;
	unsigned int have = 0;
	struct zone *zone;
	char reason[96];
	uint32_t flags;

	if (!base || (uintptr_t)page < base || off % sizeof(struct page) || !pfn_valid(pfn) ||
	    !(zone = pfn_zone(pfn))) {
		bad_page(pfn, "invalid pfn");
		return BAD_FREE_INVALID_PFN;
	}
	*zonep = zone;

	/*
	 * The kernel checks a page being freed without any lock
	 * (free_page_is_bad()): only its owner writes an allocated page's
	 * flags, so a good free can be told from them alone.  Without pcp
	 * lists bootsim's check has always run under zone->lock, and the
	 * controlled backend's schedules count that lock's two decisions:
	 * there, while scheduling points are live, the lock stays, so every
	 * recorded schedule replays.  With pcp lists (new schedules anyway)
	 * the free path takes no zone-wide lock, as the kernel's.
	 */
	if (likely(pcp_enabled || !sim_sched_hooked) &&
	    free_flags_good(page_flags(page), order))
		return BAD_FREE_NONE;

	/* A bad free, or the locked check: classified against the zone. */
	spin_lock(&zone->lock);
	flags = page_flags(page);
	if (flags & PG_reserved) {
		why = BAD_FREE_RESERVED;
	} else if (flags & (PG_buddy | PG_pcp)) {
		why = BAD_FREE_DOUBLE;
	} else if (flags & PG_head) {
		have = flags_order(flags);
		if (have != order)
			why = BAD_FREE_ORDER;
	} else if (pfn_in_deferred_block(zone, pfn)) {
		why = BAD_FREE_DOUBLE;
	} else {
		unsigned long head = find_containing_head(zone, pfn);

		/* Inside a free block: it was freed and merged already. */
		if (head != NO_PFN && (page_flags(pfn_to_page(head)) & (PG_buddy | PG_pcp)))
			why = BAD_FREE_DOUBLE;
		else
			why = BAD_FREE_NOT_HEAD;
	}
	spin_unlock(&zone->lock);

	switch (why) {
	case BAD_FREE_NONE:
		return why;
	case BAD_FREE_RESERVED:
		snprintf(reason, sizeof(reason), "free of a reserved page");
		break;
	case BAD_FREE_DOUBLE:
		snprintf(reason, sizeof(reason),
			 "double free (page already in the buddy allocator)");
		break;
	case BAD_FREE_ORDER:
		snprintf(reason, sizeof(reason), "free with order %u of an order-%u allocation",
			 order, have);
		break;
	default:
		snprintf(reason, sizeof(reason), "free of a tail page");
		break;
	}
	bad_page(pfn, reason);
	return why;
}

/*
 * A non-compound block whose head is still referenced keeps only its head
 * page; the rest is freed in buddy chunks.  Make each chunk an allocated head
 * of its own order first (under the lock, so the zone stays walkable), as if
 * the block had been split that way.
 */
static void split_for_partial_free(struct zone *zone, struct page *page, unsigned int order)
{
	spin_lock(&zone->lock);
	set_allocated_head(page, 0, false);
	for (unsigned int o = order; o-- > 0;)
		set_allocated_head(page + (1UL << o), o, false);
	spin_unlock(&zone->lock);
}

void __free_pages(struct page *page, unsigned int order)
{
	struct alloc_tag *tag = NULL;
	struct zone *zone;
	bool compound;

	SIM_POINT("free pages", page);
	if (free_pages_check(page, order, &zone) != BAD_FREE_NONE)
		return;

	/* Read before the reference drop: the page may be freed by others. */
	compound = PageCompound(page);
	if (!compound && order && hooks.tag_get && tag_hooks_on())
		tag = hooks.tag_get(page);

	if (put_page_testzero(page)) {
		__free_frozen_pages(zone, page, order);
		return;
	}
	if (compound || !order)
		return;

	/* §2.5, 7.2 form: the tail's bytes (not calls) leave the head's tag once. */
	if (tag && hooks.tag_sub_pages && tag_hooks_on())
		hooks.tag_sub_pages(tag, (1U << order) - 1);
	split_for_partial_free(zone, page, order);
	while (order-- > 0) {
		/* The tail chunks carry no tag of their own: mark them EMPTY. */
		if (hooks.clear_tag_ref && tag_hooks_on())
			hooks.clear_tag_ref(page + (1UL << order));
		__free_frozen_pages(zone, page + (1UL << order), order);
	}
}

void split_page(struct page *page, unsigned int order)
{
	struct zone *zone;
	bool ok;

	if (WARN_ON(mem_allocated_order(page) < 0) || WARN_ON(PageCompound(page)))
		return;
	zone = page_zone(page);
	spin_lock(&zone->lock);
	ok = flags_order(page_flags(page)) == order;
	if (ok) {
		for (unsigned long i = 1; i < (1UL << order); i++) {
			set_allocated_head(page + i, 0, false);
			set_page_flags(page + i, page_flags(page + i) | PG_split_tail);
			set_page_refcount(page + i, 1);
		}
		set_allocated_head(page, 0, false);
	}
	spin_unlock(&zone->lock);
	if (WARN_ON(!ok))
		return;
	if (hooks.split && tag_hooks_on())
		hooks.split(page, order, 0);
	debug_check();
}

/* ------------------------------------------------------------------ */
/* Claiming a given block (trace replay)                               */

struct page *mem_claim_block(unsigned long pfn, unsigned int order, gfp_t gfp,
			     const char **why)
{
	const char *dummy;
	struct zone *zone;
	unsigned long head;
	unsigned int k;
	bool drained = false;

	if (!why)
		why = &dummy;
	*why = NULL;
	SIM_POINT("claim block", NULL);
	if (order > MAX_PAGE_ORDER || (pfn & ((1UL << order) - 1))) {
		*why = "misaligned";
		return NULL;
	}
	if (!mem_ready || pfn >= max_pfn || pfn + (1UL << order) > max_pfn) {
		*why = "beyond memory";
		return NULL;
	}
	if (pfn < reserved_end_pfn) {
		*why = "reserved";
		return NULL;
	}
	zone = pfn_zone(pfn);
	if (!zone || pfn + (1UL << order) > zone_end_pfn(zone)) {
		*why = "beyond memory";
		return NULL;
	}

again:
	head = NO_PFN;
	spin_lock(&zone->lock);
	if (pfn_in_deferred_block(zone, pfn))
		take_deferred_block(zone, pfn);
	for (k = order; k <= MAX_PAGE_ORDER; k++) {
		unsigned long cand = pfn & ~((1UL << k) - 1);
		struct page *p;

		if (cand < zone->zone_start_pfn)
			break;
		p = pfn_to_page(cand);
		if (PageBuddy(p) && flags_order(page_flags(p)) == k) {
			head = cand;
			break;
		}
	}
	if (head != NO_PFN) {
		int mt = flags_mt(page_flags(pfn_to_page(head)));

		del_page_from_free_list(zone, head, k);
		/* Give back the half that does not hold the wanted block, down to @order. */
		while (k > order) {
			k--;
			if (pfn & (1UL << k)) {
				add_to_free_list(zone, head, k, mt);
				head += 1UL << k;
			} else {
				add_to_free_list(zone, head + (1UL << k), k, mt);
			}
		}
		set_allocated_head(pfn_to_page(pfn), order, gfp & __GFP_COMP);
		account_free(zone, -(1L << order));
		zone->nr_alloc_calls++;
	}
	spin_unlock(&zone->lock);

	/* Pages on a per-CPU list are free to the trace: back to the buddy first. */
	if (head == NO_PFN && pcp_enabled && !drained) {
		drained = true;
		if (drain_all_pages())
			goto again;
	}
	if (head == NO_PFN) {
		*why = "not free";
		return NULL;
	}
	post_alloc_hook(pfn_to_page(pfn), order, gfp, ALLOC_DEFAULT);
	trace_alloc(pfn_to_page(pfn), order, gfp);
	debug_check();
	return pfn_to_page(pfn);
}

/* ------------------------------------------------------------------ */
/* Setup and teardown                                                  */

static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0, bit = 1UL << (BITS_PER_LONG - 2);

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

/* is_highmem(zone) || zone_idx(zone) == ZONE_MOVABLE: no kernel reserve there. */
static bool zone_is_highmem_or_movable(enum zone_type idx)
{
	return idx == ZONE_HIGHMEM || idx == ZONE_MOVABLE;
}

/*
 * init_per_zone_wmark_min() + __setup_per_zone_wmarks(): min_free_kbytes
 * grows with the square root of low memory (the zones GFP_KERNEL can use),
 * each low zone gets a share of it in proportion to its size, and low/high
 * sit a scale-factor step above min.  HighMem and Movable zones hold no
 * kernel allocations to protect: their min is only managed/1024 clamped to
 * [SWAP_CLUSTER_MAX, 128], their step still the proportional share.
 */
static void setup_per_zone_wmarks(void)
{
	unsigned long lowmem_pages = 0, min_free_kbytes, pages_min;

	for (int i = 0; i < nr_zones; i++)
		if (!zone_is_highmem_or_movable(i))
			lowmem_pages += zone_of(i)->present_pages;
	if (!lowmem_pages)
		return;
	min_free_kbytes = int_sqrt(lowmem_pages * (PAGE_SIZE >> 10) * 16);
	min_free_kbytes = min(max(min_free_kbytes, 128UL), 262144UL);
	pages_min = min_free_kbytes >> (PAGE_SHIFT - 10);

	for (int i = 0; i < nr_zones; i++) {
		struct zone *zone = zone_of(i);
		unsigned long share = pages_min * zone->present_pages / lowmem_pages;
		unsigned long wmin = share;
		unsigned long step = max(share >> 2,
					 zone->present_pages * WATERMARK_SCALE_FACTOR / 10000);

		if (zone_is_highmem_or_movable(i) && zone->present_pages)
			wmin = min(max(zone->present_pages / 1024, SWAP_CLUSTER_MAX), 128UL);
		zone->watermark[WMARK_MIN] = wmin;
		zone->watermark[WMARK_LOW] = wmin + step;
		zone->watermark[WMARK_HIGH] = wmin + 2 * step;
	}
}

/*
 * zone_batchsize(): about a quarter of a zone's 1/1024th, at most 1 MiB,
 * as 2^n - 1 so that successive batches do not alias in the cache, at
 * least 1 (pageset_update() clamps it so).
 */
static int zone_batchsize(const struct zone *zone)
{
	unsigned long batch = min(zone->present_pages >> 10, (1UL << 20) / PAGE_SIZE) / 4;

	if (batch < 1)
		batch = 1;
	batch += batch / 2;
	while (batch & (batch - 1))
		batch &= batch - 1;
	return max((int)batch - 1, 1);
}

/*
 * setup_zone_pageset(): empty lists for every possible CPU of every
 * populated zone.  high is zone_highsize() without the sysctl: the low
 * watermark split between the CPUs, at least four batches.
 */
static int setup_zone_pagesets(void)
{
	pcp_nr_cpus = nr_cpu_ids;
	for (int i = 0; i < nr_zones; i++) {
		struct zone *zone = zone_of(i);
		int batch, high;

		if (!zone->present_pages)
			continue;
		zone->per_cpu_pageset = aligned_alloc(_Alignof(struct per_cpu_pages),
						      pcp_nr_cpus * sizeof(struct per_cpu_pages));
		if (!zone->per_cpu_pageset)
			return -ENOMEM;
		batch = zone_batchsize(zone);
		high = max((int)(zone->watermark[WMARK_LOW] / pcp_nr_cpus), batch << 2);
		for (unsigned int cpu = 0; cpu < pcp_nr_cpus; cpu++) {
			struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];

			memset(pcp, 0, sizeof(*pcp));
			spin_lock_init_percpu(&pcp->lock);
			pcp->lock.name = "pcp->lock";
			pcp->batch = batch;
			pcp->high = high;
			for (int l = 0; l < NR_PCP_LISTS; l++)
				pcp->head[l] = pcp->tail[l] = NO_PFN;
		}
	}
	pcp_enabled = true;
	return 0;
}

/*
 * __add_to_free_list(..., tail = true) for setup.  The lists keep no tail
 * pointer, so setup carries the tail of each movable list in @tail; they are
 * all empty when it starts.
 */
static void add_to_free_list_tail(struct zone *zone, unsigned long pfn, unsigned int order,
				  uint32_t *tail)
{
	struct free_area *area = &zone->free_area[order];
	struct page *page = pfn_to_page(pfn);

	set_page_flags(page, PG_buddy | (order << PG_ORDER_SHIFT) |
		       ((uint32_t)MIGRATE_MOVABLE << PG_MT_SHIFT));
	page->buddy_prev = tail[order];
	page->buddy_next = NO_PFN;
	if (tail[order] != NO_PFN)
		pfn_to_page(tail[order])->buddy_next = (uint32_t)pfn;
	else
		area->free_list[MIGRATE_MOVABLE] = (uint32_t)pfn;
	tail[order] = (uint32_t)pfn;
	area->nr_free++;
}

/*
 * memblock_free_all(): hand a zone's memory to the allocator in maximal
 * aligned blocks, lowest first, each at the tail of its list, because
 * __free_pages_core() frees boot memory with FPI_TO_TAIL (since 5.10; the
 * deferred struct page init frees through the same path).  So every list
 * starts in ascending PFN order from its head and allocations come from the
 * low end of a zone first.  Only block heads are written: the rest of
 * mem_map stays untouched (and costs no RSS).
 */
static void free_zone_range(struct zone *zone, unsigned long start, unsigned long end,
			    uint32_t *tail)
{
	unsigned long pfn = start;

	while (pfn < end) {
		unsigned int order = pfn ? (unsigned int)__builtin_ctzl(pfn) : MAX_PAGE_ORDER;

		order = min(order, (unsigned int)MAX_PAGE_ORDER);
		while (pfn + (1UL << order) > end)
			order--;
		add_to_free_list_tail(zone, pfn, order, tail);
		account_free(zone, 1L << order);
		pfn += 1UL << order;
	}
}

/*
 * All of a zone but the order-10 blocks above its lowest DEFERRED_EAGER_BLOCKS
 * goes through free_zone_range(); those stay implicit (see struct
 * deferred_blocks) when the zone is large.
 */
static int free_zone(struct zone *zone)
{
	struct deferred_blocks *d = &deferred[zone->idx];
	unsigned long start = max(zone->zone_start_pfn, reserved_end_pfn);
	unsigned long end = zone_end_pfn(zone);
	unsigned long first = ALIGN(start, MAX_ORDER_NR_PAGES);
	unsigned long last = end & ~(MAX_ORDER_NR_PAGES - 1);
	uint32_t tail[NR_PAGE_ORDERS];
	unsigned long nr;

	d->base = d->lo = d->hi = end;
	if (start < end && last > first &&
	    (last - first) / MAX_ORDER_NR_PAGES > DEFERRED_EAGER_BLOCKS) {
		d->base = d->lo = first + DEFERRED_EAGER_BLOCKS * MAX_ORDER_NR_PAGES;
		d->hi = last;
		nr = (d->hi - d->lo) / MAX_ORDER_NR_PAGES;
		d->taken = calloc(DIV_ROUND_UP(nr, BITS_PER_LONG), sizeof(unsigned long));
		if (!d->taken)
			return -ENOMEM;
	}
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		tail[o] = NO_PFN;
	/*
	 * Ascending, each at the tail: the implicit run is the tail of the
	 * order-10 list, and [hi, end) holds only smaller blocks.
	 */
	free_zone_range(zone, start, d->lo, tail);
	zone->free_area[MAX_PAGE_ORDER].nr_free += (d->hi - d->lo) / MAX_ORDER_NR_PAGES;
	account_free(zone, (long)(d->hi - d->lo));
	free_zone_range(zone, d->hi, end, tail);
	return 0;
}

static void init_zone(enum zone_type idx, unsigned long start, unsigned long end)
{
	struct zone *zone = zone_of(idx);
	unsigned long reserved = 0;

	zone->name = zone_names[idx];
	zone->idx = idx;
	zone->zone_start_pfn = start;
	zone->spanned_pages = end > start ? end - start : 0;
	if (reserved_end_pfn > start)
		reserved = min(reserved_end_pfn, end) - start;
	zone->present_pages = zone->spanned_pages - reserved;
	if (zone->spanned_pages)
		memset(pageblock_zone + (start >> pageblock_order), idx,
		       zone->spanned_pages >> pageblock_order);
	zonelist_first[idx] = zone->present_pages || idx == ZONE_DMA ? idx : zonelist_first[idx - 1];
	spin_lock_init(&zone->lock);
	zone->lock.name = zone->name;
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			zone->free_area[o].free_list[mt] = NO_PFN;
}

/* Undo mem_setup(), complete or not. */
static void mem_release(void)
{
	struct pglist_data *pgdat = &contig_page_data;

	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *zone = &pgdat->node_zones[i];

		free(deferred[i].taken);
		free(zone->per_cpu_pageset);
	}
	memset(deferred, 0, sizeof(deferred));
	host_map_put(pgdat->phys, pgdat->phys_bytes);
	host_map_put(pgdat->mem_map, pgdat->mem_map_bytes);
	free(pgdat->pageblock_mt);
	free(pageblock_zone);
	pageblock_zone = NULL;
	memset(pgdat, 0, sizeof(*pgdat));
	max_pfn = 0;
	nr_zones = 0;
	reserved_end_pfn = 0;
	highmem_start_pfn = 0;
	machine_bits = 64;
	pcp_enabled = false;
	pcp_nr_cpus = 0;
}

unsigned long mem_movable_pages(unsigned long long movable_bytes)
{
	unsigned long long pages = movable_bytes / PAGE_SIZE + !!(movable_bytes % PAGE_SIZE);

	/* Saturate rather than wrap: a huge request must still fail the check. */
	if (pages > ULONG_MAX - pageblock_nr_pages)
		return ULONG_MAX & ~(pageblock_nr_pages - 1);
	return (unsigned long)ALIGN(pages, (unsigned long long)pageblock_nr_pages);
}

enum mem_params_fault mem_check_params(const struct mem_params *params)
{
	int bits = params->bits_per_long ? params->bits_per_long : 64;
	unsigned long long pages;

	if (bits != 64 && bits != 32)
		return MEM_PARAMS_BAD_BITS;
	if (params->mem_bytes < MEM_MIN_BYTES)
		return MEM_PARAMS_TOO_SMALL;
	/* No PAE: a 32-bit machine addresses 4 GiB. */
	if (bits == 32 && params->mem_bytes > MEM_MAX_BYTES_32BIT)
		return MEM_PARAMS_OVER_4G_32BIT;
	pages = (params->mem_bytes >> PAGE_SHIFT) & ~(unsigned long long)(pageblock_nr_pages - 1);
	/* Free lists link PFNs in 32 bits. */
	if (pages >= NO_PFN)
		return MEM_PARAMS_TOO_MANY_PFNS;
	if (params->reserved_low_pages >= pages)
		return MEM_PARAMS_RESERVED_ALL;
	if (params->movable_bytes &&
	    mem_movable_pages(params->movable_bytes) > pages - MIN_MEM_PAGES)
		return MEM_PARAMS_MOVABLE_TOO_BIG;
	return MEM_PARAMS_OK;
}

const char *mem_params_fault_text(enum mem_params_fault fault)
{
	switch (fault) {
	case MEM_PARAMS_OK:
		return "fine";
	case MEM_PARAMS_BAD_BITS:
		return "bits_per_long is neither 32 nor 64";
	case MEM_PARAMS_TOO_SMALL:
		return "less than 16 MiB of memory";
	case MEM_PARAMS_OVER_4G_32BIT:
		return "more than 4 GiB of memory on a 32-bit machine";
	case MEM_PARAMS_TOO_MANY_PFNS:
		return "more PFNs than the 32-bit free-list links reach (16 TiB)";
	case MEM_PARAMS_RESERVED_ALL:
		return "the reserved low memory covers all memory";
	case MEM_PARAMS_MOVABLE_TOO_BIG:
		return "ZONE_MOVABLE leaves less than 16 MiB to the other zones";
	}
	return "invalid memory parameters";
}

/*
 * The zone ranges before ZONE_MOVABLE: 64-bit DMA/DMA32/Normal at 16 MiB and
 * 4 GiB, 32-bit DMA/Normal/HighMem at 16 MiB and 896 MiB.  ZONE_MOVABLE then
 * takes [movable_start, end) out of them, as the kernel's
 * adjust_zone_range_for_zone_movable() does: a zone spanning movable_start
 * ends there, a zone above it is empty.
 */
static void init_zones(unsigned long pages, unsigned long movable_start)
{
	unsigned long end[MAX_NR_ZONES];
	unsigned long start = 0;

	if (machine_bits == 32) {
		end[ZONE_DMA] = min(pages, DMA_END_PFN);
		end[ZONE_DMA32] = end[ZONE_DMA];	/* no CONFIG_ZONE_DMA32 */
		end[ZONE_NORMAL] = min(pages, LOWMEM_END_PFN_32);
		end[ZONE_HIGHMEM] = pages;
	} else {
		end[ZONE_DMA] = min(pages, DMA_END_PFN);
		end[ZONE_DMA32] = min(pages, DMA32_END_PFN);
		end[ZONE_NORMAL] = pages;
		end[ZONE_HIGHMEM] = pages;		/* no ZONE_HIGHMEM on 64-bit */
	}
	for (int i = ZONE_DMA; i < ZONE_MOVABLE; i++) {
		unsigned long zend = min(end[i], movable_start);

		init_zone(i, min(start, zend), zend);
		start = max(start, end[i]);
	}
	init_zone(ZONE_MOVABLE, movable_start, pages);
}

int mem_setup(const struct mem_params *params)
{
	struct pglist_data *pgdat = &contig_page_data;
	unsigned long pages, nr_pageblocks, movable_start;

	if (mem_ready)
		return -EBUSY;
	if (!params || mem_check_params(params) != MEM_PARAMS_OK)
		return -EINVAL;
	pages = (unsigned long)(params->mem_bytes >> PAGE_SHIFT) & ~(pageblock_nr_pages - 1);
	movable_start = params->movable_bytes ?
			pages - mem_movable_pages(params->movable_bytes) : pages;

	memset(pgdat, 0, sizeof(*pgdat));
	pgdat->phys_bytes = pages * PAGE_SIZE;
	pgdat->mem_map_bytes = pages * sizeof(struct page);
	nr_pageblocks = pages >> pageblock_order;

	pgdat->phys = host_map_get(pgdat->phys_bytes);
	if (pgdat->phys == MAP_FAILED)
		goto fail;
	pgdat->mem_map = host_map_get(pgdat->mem_map_bytes);
	if (pgdat->mem_map == MAP_FAILED)
		goto fail;
	pgdat->pageblock_mt = calloc(nr_pageblocks, 1);
	if (!pgdat->pageblock_mt)
		goto fail;
	/* The kernel's memmap_init marks every pageblock movable. */
	memset(pgdat->pageblock_mt, MIGRATE_MOVABLE, nr_pageblocks);
	pageblock_zone = calloc(nr_pageblocks, 1);
	if (!pageblock_zone)
		goto fail;

	max_pfn = pages;
	pgdat->node_start_pfn = 0;
	pgdat->node_spanned_pages = pages;
	reserved_end_pfn = params->reserved_low_pages;
	zero_by_madvise = sysconf(_SC_PAGESIZE) == (long)PAGE_SIZE;
	nr_zones = MAX_NR_ZONES;
	bad_free_count = 0;
	machine_bits = params->bits_per_long == 32 ? 32 : 64;
	highmem_start_pfn = machine_bits == 32 ? min(pages, LOWMEM_END_PFN_32) : pages;

	/* Empty zones (DMA32 on 32-bit, HighMem on 64-bit, ...) span nothing. */
	init_zones(pages, movable_start);

	for (unsigned long pfn = 0; pfn < reserved_end_pfn; pfn++) {
		set_page_flags(pfn_to_page(pfn), PG_reserved);
		set_page_refcount(pfn_to_page(pfn), 1);
	}
	for (int i = 0; i < nr_zones; i++)
		if (free_zone(zone_of(i)))
			goto fail;
	setup_per_zone_wmarks();
	if (params->pcp && setup_zone_pagesets())
		goto fail;
	mem_ready = true;
	return 0;

fail:
	mem_release();
	return -ENOMEM;
}

void mem_teardown(void)
{
	if (!mem_ready)
		return;
	mem_ready = false;
	mem_release();
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */

unsigned int mem_bits_per_long(void)
{
	return machine_bits;
}

/*
 * Only lowmem is permanently mapped: a 32-bit highmem page has no address
 * until someone kmaps it, and code that writes through the NULL really
 * dereferences NULL (D14's oops, which the explorer isolates).
 */
void *page_address(const struct page *page)
{
	unsigned long pfn = page_to_pfn(page);

	if (pfn >= highmem_start_pfn)
		return NULL;
	return contig_page_data.phys + pfn * PAGE_SIZE;
}

void *kmap_local_page(const struct page *page)
{
	return contig_page_data.phys + page_to_pfn(page) * PAGE_SIZE;
}

struct page *virt_to_page(const void *addr)
{
	uintptr_t off = (uintptr_t)addr - (uintptr_t)contig_page_data.phys;

	/* No range check, as in the kernel: a bad address makes a bad page. */
	return (struct page *)((uintptr_t)contig_page_data.mem_map +
			       (off >> PAGE_SHIFT) * sizeof(struct page));
}

struct zone *page_zone(const struct page *page)
{
	return pfn_zone(page_to_pfn(page));
}

int get_pageblock_migratetype(const struct page *page)
{
	return pfnblock_mt(page_to_pfn(page));
}

bool page_in_movable_placement(const struct page *page)
{
	unsigned long pfn = page_to_pfn(page);

	return zone_spans_pfn(zone_of(ZONE_MOVABLE), pfn) ||
	       pfnblock_mt(pfn) == MIGRATE_MOVABLE;
}

void mem_set_hooks(const struct alloc_hooks *h)
{
	if (h)
		hooks = *h;
	else
		memset(&hooks, 0, sizeof(hooks));
}

void mem_set_debug_level(int level)
{
	debug_level = level;
}

unsigned long mem_bad_free_count(void)
{
	return __atomic_load_n(&bad_free_count, __ATOMIC_RELAXED);
}

int mem_allocated_order(const struct page *page)
{
	uintptr_t base = (uintptr_t)contig_page_data.mem_map;
	uintptr_t off = (uintptr_t)page - base;

	if (!base || (uintptr_t)page < base || off % sizeof(struct page) ||
	    !pfn_valid(off / sizeof(struct page)))
		return -1;
	if (!(page_flags(page) & PG_head))
		return -1;
	return (int)flags_order(page_flags(page));
}

int mem_zone_stats(struct mem_zone_stats *out, int max)
{
	int n = 0;

	for (int i = 0; i < nr_zones && n < max; i++) {
		struct zone *zone = zone_of(i);

		/* Zones a kernel for this machine lacks, or that it leaves empty. */
		if ((zone_is_highmem_or_movable(i) && !zone->spanned_pages) ||
		    (i == ZONE_DMA32 && machine_bits == 32))
			continue;
		spin_lock(&zone->lock);
		out[n] = (struct mem_zone_stats){
			.name = zone->name,
			.start_pfn = zone->zone_start_pfn,
			.spanned = zone->spanned_pages,
			.present = zone->present_pages,
			.free_pages = zone->free_pages,
			.min_wmark = zone->watermark[WMARK_MIN],
			.nr_alloc_calls = zone->nr_alloc_calls,
			.nr_free_calls = zone->nr_free_calls,
			.nr_alloc_failed = zone->nr_alloc_failed,
		};
		spin_unlock(&zone->lock);
		/* Per-CPU figures read racily, as the kernel's vm events are. */
		for (unsigned int cpu = 0; zone->per_cpu_pageset && cpu < pcp_nr_cpus; cpu++) {
			struct per_cpu_pages *pcp = per_cpu_ptr(zone->per_cpu_pageset, cpu);

			out[n].pcp_pages += (unsigned long)__atomic_load_n(&pcp->count,
									   __ATOMIC_RELAXED);
			out[n].nr_alloc_calls += __atomic_load_n(&pcp->nr_alloc_calls,
								 __ATOMIC_RELAXED);
			out[n].nr_free_calls += __atomic_load_n(&pcp->nr_free_calls,
								__ATOMIC_RELAXED);
		}
		n++;
	}
	return n;
}

/* Step over the block whose head is at @pfn; bad states step one page. */
static unsigned long block_pages(uint32_t flags)
{
	if ((flags & (PG_buddy | PG_head | PG_pcp)) && flags_order(flags) <= MAX_PAGE_ORDER)
		return 1UL << flags_order(flags);
	return 1;
}

void mem_for_each_allocated_block(void (*fn)(struct page *head, unsigned int order,
					     void *arg), void *arg)
{
	for (int i = 0; i < nr_zones; i++) {
		struct zone *zone = zone_of(i);
		unsigned long pfn = zone->zone_start_pfn, end = zone_end_pfn(zone);

		while (pfn < end) {
			struct page *page = pfn_to_page(pfn);
			uint32_t flags;

			if (pfn_in_deferred_block(zone, pfn)) {
				pfn += MAX_ORDER_NR_PAGES;
				continue;
			}
			flags = page_flags(page);
			if ((flags & PG_head) && !(flags & PG_buddy))
				fn(page, flags_order(flags), arg);
			pfn += block_pages(flags);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Invariant checker                                                   */

#define MAX_VIOLATIONS_SHOWN	10

struct inv_ctx {
	FILE *log;
	long violations;
};

static __printf(2, 3) void violation(struct inv_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (++c->violations > MAX_VIOLATIONS_SHOWN || !c->log)
		return;
	fputs("mem_check_invariants: ", c->log);
	va_start(ap, fmt);
	vfprintf(c->log, fmt, ap);
	va_end(ap);
	fputc('\n', c->log);
}

/*
 * Every CPU's lists of @zone: links, head flags, order and type per list,
 * each count; returns the pages listed.
 */
static unsigned long check_zone_pcp(struct inv_ctx *c, struct zone *zone)
{
	unsigned long total = 0;

	for (unsigned int cpu = 0; zone->per_cpu_pageset && cpu < pcp_nr_cpus; cpu++) {
		struct per_cpu_pages *pcp = per_cpu_ptr(zone->per_cpu_pageset, cpu);
		unsigned long pages = 0;

		for (unsigned int pindex = 0; pindex < NR_PCP_LISTS; pindex++) {
			unsigned int order = pindex_to_order(pindex);
			int mt = (int)(pindex % MIGRATE_PCPTYPES);
			uint32_t prev = NO_PFN, cur = pcp->head[pindex];
			unsigned long listed = 0;

			while (cur != NO_PFN) {
				struct page *p;
				uint32_t flags;

				if (!zone_spans_pfn(zone, cur)) {
					violation(c, "%s CPU %u pcp list %u: pfn %#x outside the zone",
						  zone->name, cpu, pindex, cur);
					break;
				}
				p = pfn_to_page(cur);
				flags = page_flags(p);
				if (!(flags & PG_pcp) || flags_order(flags) != order ||
				    flags_mt(flags) != mt)
					violation(c, "%s CPU %u pcp list %u: pfn %#x is not an order-%u "
						  "type %d per-CPU block (flags %#x)", zone->name, cpu,
						  pindex, cur, order, mt, flags);
				if (p->buddy_prev != prev)
					violation(c, "%s CPU %u pcp list %u: pfn %#x prev %#x, expected %#x",
						  zone->name, cpu, pindex, cur, p->buddy_prev, prev);
				if (++listed > zone->present_pages) {
					violation(c, "%s CPU %u pcp list %u: loops", zone->name, cpu,
						  pindex);
					break;
				}
				pages += 1UL << order;
				prev = cur;
				cur = p->buddy_next;
			}
			if (pcp->tail[pindex] != prev)
				violation(c, "%s CPU %u pcp list %u: tail %#x, last block %#x",
					  zone->name, cpu, pindex, pcp->tail[pindex], prev);
		}
		if (pages != (unsigned long)pcp->count)
			violation(c, "%s CPU %u: per-CPU lists hold %lu pages, count %d",
				  zone->name, cpu, pages, pcp->count);
		total += pages;
	}
	return total;
}

/*
 * Interior pages are not visited (that would touch all of mem_map); a stale
 * head inside a block is caught when a free list leads to it.
 */
static void check_zone(struct inv_ctx *c, struct zone *zone)
{
	unsigned long start = zone->zone_start_pfn, end = zone_end_pfn(zone);
	unsigned long walk_blocks[NR_PAGE_ORDERS] = { 0 };
	unsigned long free = 0, allocated = 0, reserved = 0, listed_pages = 0;
	unsigned long pcp = 0, pcp_listed;
	unsigned long pfn = start;

	while (pfn < end) {
		uint32_t flags, kind;
		unsigned int order;
		unsigned long nr;

		/* Before reading the head: an implicit block's mem_map stays untouched. */
		if (pfn_in_deferred_block(zone, pfn)) {
			free += MAX_ORDER_NR_PAGES;
			walk_blocks[MAX_PAGE_ORDER]++;
			pfn += MAX_ORDER_NR_PAGES;
			continue;
		}
		flags = page_flags(pfn_to_page(pfn));
		order = flags_order(flags);
		if (flags == PG_reserved) {
			reserved++;
			pfn++;
			continue;
		}
		kind = flags & (PG_buddy | PG_head | PG_pcp);
		if (!kind || (kind & (kind - 1)) || (flags & PG_reserved)) {
			violation(c, "%s pfn %#lx: not a block head (flags %#x)",
				  zone->name, pfn, flags);
			pfn++;
			continue;
		}
		if (order > MAX_PAGE_ORDER) {
			violation(c, "%s pfn %#lx: order %u", zone->name, pfn, order);
			pfn++;
			continue;
		}
		nr = 1UL << order;
		if (pfn & (nr - 1))
			violation(c, "%s pfn %#lx: order-%u block misaligned",
				  zone->name, pfn, order);
		if (pfn + nr > end)
			violation(c, "%s pfn %#lx: order-%u block crosses the zone end %#lx",
				  zone->name, pfn, order, end);
		if (flags & PG_buddy) {
			free += nr;
			walk_blocks[order]++;
		} else if (flags & PG_pcp) {
			if (order > PAGE_ALLOC_COSTLY_ORDER)
				violation(c, "%s pfn %#lx: order-%u block on a per-CPU list",
					  zone->name, pfn, order);
			pcp += nr;
		} else {
			allocated += nr;
		}
		pfn += nr;
	}
	pcp_listed = check_zone_pcp(c, zone);
	if (pcp != pcp_listed)
		violation(c, "%s: %lu pages in per-CPU blocks, per-CPU lists hold %lu",
			  zone->name, pcp, pcp_listed);

	for (unsigned int order = 0; order <= MAX_PAGE_ORDER; order++) {
		struct free_area *area = &zone->free_area[order];
		unsigned long listed = 0;
		unsigned long limit = area->nr_free + walk_blocks[order] + 1;

		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			uint32_t prev = NO_PFN, cur = area->free_list[mt];

			while (cur != NO_PFN) {
				struct page *p;

				if (!zone_spans_pfn(zone, cur)) {
					violation(c, "%s order-%u %d list: pfn %#x outside the zone",
						  zone->name, order, mt, cur);
					break;
				}
				p = pfn_to_page(cur);
				if (!PageBuddy(p))
					violation(c, "%s order-%u %d list: pfn %#x not free (flags %#x)",
						  zone->name, order, mt, cur, page_flags(p));
				else if (flags_order(page_flags(p)) != order ||
					 flags_mt(page_flags(p)) != mt)
					violation(c, "%s order-%u %d list: pfn %#x is order-%u type %d",
						  zone->name, order, mt, cur,
						  flags_order(page_flags(p)),
						  flags_mt(page_flags(p)));
				if (p->buddy_prev != prev)
					violation(c, "%s order-%u %d list: pfn %#x prev %#x, expected %#x",
						  zone->name, order, mt, cur, p->buddy_prev, prev);
				if (find_containing_head(zone, cur) != NO_PFN ||
				    pfn_in_deferred_block(zone, cur))
					violation(c, "%s order-%u %d list: pfn %#x inside another block",
						  zone->name, order, mt, cur);
				if (++listed > limit) {
					violation(c, "%s order-%u %d list: loops", zone->name,
						  order, mt);
					break;
				}
				prev = cur;
				cur = p->buddy_next;
			}
		}
		if (order == MAX_PAGE_ORDER) {
			const struct deferred_blocks *d = &deferred[zone->idx];

			for (unsigned long b = d->lo; b < d->hi; b += MAX_ORDER_NR_PAGES)
				listed += !deferred_taken(d, b);
		}
		if (listed != area->nr_free)
			violation(c, "%s order %u: %lu blocks listed, nr_free %lu",
				  zone->name, order, listed, area->nr_free);
		if (walk_blocks[order] != area->nr_free)
			violation(c, "%s order %u: %lu free blocks in the zone, nr_free %lu",
				  zone->name, order, walk_blocks[order], area->nr_free);
		listed_pages += area->nr_free << order;
	}

	if (free != zone->free_pages)
		violation(c, "%s: %lu free pages found, free_pages %lu",
			  zone->name, free, zone->free_pages);
	if (listed_pages != zone->free_pages)
		violation(c, "%s: free lists hold %lu pages, free_pages %lu",
			  zone->name, listed_pages, zone->free_pages);
	if (free + pcp + allocated != zone->present_pages)
		violation(c, "%s: %lu free + %lu per-CPU + %lu allocated pages, present %lu",
			  zone->name, free, pcp, allocated, zone->present_pages);
	if (reserved + zone->present_pages != zone->spanned_pages)
		violation(c, "%s: %lu reserved + %lu present pages, spanned %lu",
			  zone->name, reserved, zone->present_pages, zone->spanned_pages);
}

long mem_check_invariants(FILE *log)
{
	struct inv_ctx c = { .log = log };

	for (int i = 0; i < nr_zones; i++) {
		struct zone *zone = zone_of(i);
		unsigned int cpus = zone->per_cpu_pageset ? pcp_nr_cpus : 0;

		/* pcp->lock before zone->lock, as the allocation paths nest them. */
		for (unsigned int cpu = 0; cpu < cpus; cpu++)
			spin_lock(&per_cpu_ptr(zone->per_cpu_pageset, cpu)->lock);
		spin_lock(&zone->lock);
		check_zone(&c, zone);
		spin_unlock(&zone->lock);
		for (unsigned int cpu = cpus; cpu-- > 0;)
			spin_unlock(&per_cpu_ptr(zone->per_cpu_pageset, cpu)->lock);
	}
	if (c.violations > MAX_VIOLATIONS_SHOWN && log)
		fprintf(log, "mem_check_invariants: %ld more violation(s) not shown\n",
			c.violations - MAX_VIOLATIONS_SHOWN);
	return c.violations;
}
