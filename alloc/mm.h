/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alloc/mm.h - the simulated machine's physical memory and buddy allocator.
 *
 * Physical memory is one mmap(MAP_NORESERVE) region, so a page body is real
 * memory (the early-PFN pfn_pool lives in it, as in the kernel) and costs RSS
 * only once touched.  struct page lives in a second such region, indexed by
 * PFN; buddy initialisation touches only block heads.
 *
 * Layout (x86-64 defaults, §2.8):
 *   PAGE_SIZE 4 KiB, orders 0..MAX_PAGE_ORDER (10), pageblocks of 2 MiB
 *   (order 9) each with a migratetype, SPARSEMEM sections of 128 MiB.
 *   ZONE_DMA  [0, 16 MiB)   ZONE_DMA32 [16 MiB, 4 GiB)   ZONE_NORMAL [4 GiB, end)
 *   The first 1 MiB is reserved (never in the buddy allocator), as on x86.
 * 32-bit x86 (bits_per_long 32, at most 4 GiB; no CONFIG_ZONE_DMA32):
 *   ZONE_DMA  [0, 16 MiB)   ZONE_NORMAL [16 MiB, 896 MiB)   ZONE_HIGHMEM [896 MiB, end)
 *   Only lowmem (below 896 MiB) has a kernel mapping: page_address() of a
 *   highmem page is NULL, so code that writes through it oopses (D14).  The
 *   allocator's own accesses to page bodies go through kmap_local_page().
 * ZONE_MOVABLE (movable_bytes > 0, the kernel's movablecore=): the top
 *   movable_bytes of memory, rounded up to pageblocks, taken from whatever
 *   zones lie there; every other zone must keep 16 MiB.  Only gfp_zone() ==
 *   ZONE_MOVABLE requests (__GFP_HIGHMEM | __GFP_MOVABLE) may use it, and all
 *   its pageblocks stay MIGRATE_MOVABLE.  Deviation: the kernel takes
 *   ZONE_MOVABLE only from the highest populated zone (a bigger movablecore=
 *   is clamped to it); bootsim takes the size asked for.
 * Zonelist: from gfp_zone(gfp) down to ZONE_DMA, skipping empty zones (on
 *   32-bit: HighMem → Normal → DMA).
 *
 * Page states (exactly one per PFN; checked by mem_check_invariants()):
 *   - PG_buddy head: first page of a free block of 2^order pages, on the free
 *     list free_area[order].free_list[buddy_mt] of its zone;
 *   - PG_pcp head (only with mem_params.pcp): first page of a free block of
 *     2^order <= 2^PAGE_ALLOC_COSTLY_ORDER pages on one CPU's per-CPU list
 *     lists[order_to_pindex(pcp_mt, order)] of its zone; out of the buddy
 *     allocator (not in free_pages), as in the kernel;
 *   - PG_head: first page of an allocated block of 2^order pages;
 *   - PG_reserved: never handed to the allocator;
 *   - flags == 0: an interior page of a free, per-CPU or allocated block.
 *   Exception, for terabyte machines: a zone's free order-10 blocks above its
 *   lowest 16 GiB are kept implicit (free, movable, counted in nr_free and
 *   free_pages, head flags still 0) until the allocator reaches them, like
 *   the kernel's deferred struct page init.  Walk memory with
 *   mem_for_each_allocated_block() / mem_check_invariants(), not mem_map.
 * Free-list order: mem_setup() frees memory lowest block first to the tail of
 * each list (the kernel's FPI_TO_TAIL, since 5.10), so at boot every list is
 * ascending from its head and a zone is allocated from its low end first.
 * Run-time frees and the halves split off a block go to the list head.
 * Invariants, per zone z (under every z->per_cpu_pageset[cpu].lock, then
 * z->lock):
 *   z->free_pages == Σ_order nr_free[order] << order
 *   pcp[cpu].count == Σ pages of the blocks on pcp[cpu]'s lists
 *   z->present_pages == z->free_pages + Σ_cpu pcp[cpu].count
 *                       + allocated pages in z (+ reserved)
 *
 * Per-CPU page lists (mem_params.pcp, the kernel's pcp; off by default, so
 * the PFNs handed out and the controlled backend's scheduling points stay
 * those every recorded schedule expects): an allocation or free of order
 * <= PAGE_ALLOC_COSTLY_ORDER takes only its CPU's pcp->lock, with a
 * trylock, and falls back to the buddy path under zone->lock when that is
 * busy (an NMI on the owner, a remote drain).  An empty list is refilled
 * with pcp->batch blocks (fewer for higher orders) under zone->lock; a free
 * that brings pcp->count to pcp->high sends pcp->batch pages back.  The
 * lists are LIFO at the head; refills append and drains take the tail.  A
 * blocking allocation that finds nothing drains every CPU's lists and tries
 * once more (the kernel's drain after direct reclaim).
 *
 * Concurrency contract:
 *
 *   | API                          | context                    | locking        |
 *   |------------------------------|----------------------------|----------------|
 *   | mem_setup / mem_teardown     | machine owner, no CPUs run | none           |
 *   | __alloc_pages_noprof & co.   | any simulated CPU          | zone->lock, or |
 *   |                              |                            | pcp->lock      |
 *   | __free_pages                 | the page's owner           | zone->lock, or |
 *   |                              |                            | pcp->lock      |
 *   | split_page                   | the page's owner           | zone->lock     |
 *   | mem_claim_block              | any CPU (trace replay)     | zone->lock     |
 *   | mem_check_invariants         | CPUs stopped               | takes locks    |
 *   | mem_for_each_allocated_block | CPUs stopped               | none           |
 *   | page_flags / set_page_flags  | any CPU                    | relaxed atomic |
 *
 * page->flags is shared with compressed-mode allocation tagging, which keeps
 * a tag index in bits PG_TAG_MASK and updates it with a cmpxchg loop without
 * any zone lock (§2.2, §2.4).  The allocator stores only to flags of pages it
 * owns (a block being allocated, freed or split, or on a per-CPU list under
 * that list's lock), and keeps the tag bits of allocated pages; but it reads
 * the flags of neighbouring blocks (buddy merging, head search, the
 * invariant walk) whose owners may be tagging them, or moving them on or off
 * a per-CPU list, at that moment.  So every access is an untorn atomic one.
 * A good free is checked from the page's own flags without a lock, as the
 * kernel does, except where the controlled backend's schedules expect the
 * zone->lock bootsim always took there (page_alloc.c, free_pages_check()).
 */
#ifndef ALLOC_MM_H
#define ALLOC_MM_H

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

#include "sim/core/compiler.h"
#include "sim/core/spinlock.h"
#include "gfp.h"

#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define MAX_PAGE_ORDER		10
#define NR_PAGE_ORDERS		(MAX_PAGE_ORDER + 1)
#define pageblock_order		9
#define pageblock_nr_pages	(1UL << pageblock_order)
#define SECTION_SIZE_BITS	27
#define PFN_SECTION_SHIFT	(SECTION_SIZE_BITS - PAGE_SHIFT)
#define PAGES_PER_SECTION	(1UL << PFN_SECTION_SHIFT)
#define PAGE_SECTION_MASK	(~(PAGES_PER_SECTION - 1))
#define NUMA_NO_NODE		(-1)

/* One node: the nearest node with memory is node 0. */
static inline int numa_mem_id(void)
{
	return 0;
}

#define pfn_to_section_nr(pfn)	((pfn) >> PFN_SECTION_SHIFT)
#define section_nr_to_pfn(sec)	((unsigned long)(sec) << PFN_SECTION_SHIFT)

/* struct page flags: low bits are PG_* flags, bits 24..27 the block order. */
#define PG_buddy		0x1u
#define PG_head			0x2u
#define PG_reserved		0x4u
#define PG_hwpoison		0x8u
#define PG_compound		0x10u	/* allocated with __GFP_COMP */
#define PG_split_tail		0x20u	/* bootsim: a tail page made by split_page() */
/*
 * Bits 6..23 are the page-flag bits no PG_* flag uses: compressed-mode
 * allocation tagging stores its tag index there (§2.2; alloc_tag/ owns the
 * encoding).  The allocator preserves them on allocated pages; free pages
 * carry none, because the free hook clears the slot first.
 */
#define PG_TAG_SHIFT		6
#define PG_TAG_BITS		18
#define PG_TAG_MASK		(((1u << PG_TAG_BITS) - 1) << PG_TAG_SHIFT)
#define PG_ORDER_SHIFT		24
#define PG_ORDER_MASK		(0xfu << PG_ORDER_SHIFT)
#define PG_MT_SHIFT		28	/* buddy, pcp: the list's migratetype */
#define PG_MT_MASK		(0x3u << PG_MT_SHIFT)
/* Not a kernel flag (pcp pages are just free there): heads on a pcp list. */
#define PG_pcp			0x40000000u

/* Compact: 16 bytes, so page + page_ext entry stay within 32 bytes/page. */
struct page {
	uint32_t flags;
	int32_t _refcount;
	uint32_t buddy_next;	/* PFN links of a free list; NO_PFN ends it */
	uint32_t buddy_prev;
};
#define NO_PFN			UINT32_MAX

enum zone_type {
	ZONE_DMA,
	ZONE_DMA32,
	ZONE_NORMAL,
	ZONE_HIGHMEM,		/* 32-bit only */
	ZONE_MOVABLE,
	MAX_NR_ZONES
};

enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_TYPES
};

enum zone_watermarks { WMARK_MIN, WMARK_LOW, WMARK_HIGH, NR_WMARK };

#define PAGE_ALLOC_COSTLY_ORDER	3
/* The kernel's MIGRATE_PCPTYPES: every type bootsim has gets a pcp list. */
#define MIGRATE_PCPTYPES	MIGRATE_TYPES
#define NR_PCP_LISTS		(MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))

/*
 * One CPU's free blocks of one zone (the kernel's struct per_cpu_pages).
 * Lists are linked through buddy_next/buddy_prev, as the kernel overlays
 * pcp_list on the buddy list's lru; head/tail are PFNs, NO_PFN when empty.
 * Everything is under @lock; count is also read racily (drain decisions,
 * statistics), so it is stored atomically.
 */
struct per_cpu_pages {
	spinlock_t lock;
	int count;			/* pages on the lists */
	int high;			/* a free reaching it drains batch pages */
	int batch;			/* pages per refill or drain */
	uint32_t head[NR_PCP_LISTS], tail[NR_PCP_LISTS];
	unsigned long nr_alloc_calls, nr_free_calls;	/* bootsim statistics */
} __attribute__((aligned(64)));

struct free_area {
	uint32_t free_list[MIGRATE_TYPES];	/* head PFN or NO_PFN */
	unsigned long nr_free;			/* blocks, all migratetypes */
};

struct zone {
	const char *name;
	enum zone_type idx;
	unsigned long zone_start_pfn;
	unsigned long spanned_pages;
	unsigned long present_pages;	/* spanned minus reserved */
	unsigned long watermark[NR_WMARK];
	spinlock_t lock;
	struct free_area free_area[NR_PAGE_ORDERS];
	unsigned long free_pages;	/* written under lock, read racily */
	/* bootsim statistics, under lock */
	unsigned long nr_alloc_calls, nr_free_calls, nr_alloc_failed;
	/* one per possible CPU; NULL without mem_params.pcp or pages */
	struct per_cpu_pages *per_cpu_pageset;
};

/* Parameters of the simulated machine's memory. */
struct mem_params {
	unsigned long long mem_bytes;	/* rounded down to a pageblock */
	int bits_per_long;		/* 64 (default; 0 means 64) or 32 */
	unsigned long reserved_low_pages;	/* default 256 (1 MiB) */
	unsigned long long movable_bytes;	/* ZONE_MOVABLE at the top; 0: none */
	bool pcp;			/* per-CPU page lists (nr_cpu_ids of them) */
};

#define MEM_MIN_BYTES		(16ULL << 20)
#define MEM_MAX_BYTES_32BIT	(4ULL << 30)

/* What mem_setup() refuses in a struct mem_params (it returns -EINVAL). */
enum mem_params_fault {
	MEM_PARAMS_OK,
	MEM_PARAMS_BAD_BITS,		/* bits_per_long neither 32 nor 64 */
	MEM_PARAMS_TOO_SMALL,		/* less than MEM_MIN_BYTES */
	MEM_PARAMS_OVER_4G_32BIT,	/* more than 4 GiB on a 32-bit machine */
	MEM_PARAMS_TOO_MANY_PFNS,	/* free lists link PFNs in 32 bits */
	MEM_PARAMS_RESERVED_ALL,	/* reserved_low_pages covers everything */
	MEM_PARAMS_MOVABLE_TOO_BIG,	/* the other zones keep < MEM_MIN_BYTES */
};
enum mem_params_fault mem_check_params(const struct mem_params *params);
/* One line for people: "more than 4 GiB of memory on a 32-bit machine". */
const char *mem_params_fault_text(enum mem_params_fault fault);
/* ZONE_MOVABLE's size in pages for @movable_bytes: rounded up to pageblocks. */
unsigned long mem_movable_pages(unsigned long long movable_bytes);

struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];
	unsigned long node_start_pfn;
	unsigned long node_spanned_pages;	/* max_pfn */
	struct page *mem_map;		/* NORESERVE, indexed by PFN */
	unsigned char *phys;		/* NORESERVE page bodies */
	uint8_t *pageblock_mt;		/* one migratetype per pageblock */
	size_t mem_map_bytes, phys_bytes;
};

extern struct pglist_data contig_page_data;
#define NODE_DATA(nid)	(&contig_page_data)
extern unsigned long max_pfn;

/* 0, -EBUSY (a machine is up), -EINVAL (see mem_check_params) or -ENOMEM. */
int mem_setup(const struct mem_params *params);
void mem_teardown(void);

/* BITS_PER_LONG of the simulated machine: 64 or 32 (64 when none is set up). */
unsigned int mem_bits_per_long(void);

static inline struct page *pfn_to_page(unsigned long pfn)
{
	return contig_page_data.mem_map + pfn;
}

static inline unsigned long page_to_pfn(const struct page *page)
{
	return (unsigned long)(page - contig_page_data.mem_map);
}

static inline bool pfn_valid(unsigned long pfn)
{
	return pfn < max_pfn;
}

/* The page body; NULL for a 32-bit highmem page without a kernel mapping. */
void *page_address(const struct page *page);
struct page *virt_to_page(const void *addr);
/*
 * The body of any page, highmem included: the kernel maps a highmem page for
 * a moment (clear_highpage() does this for __GFP_ZERO).  Not a kernel-mapped
 * address: never hand it to virt_to_page().
 */
void *kmap_local_page(const struct page *page);
static inline void kunmap_local(const void *addr)
{
	(void)addr;
}

struct zone *page_zone(const struct page *page);
int get_pageblock_migratetype(const struct page *page);

/*
 * Is @page placed where only movable memory belongs: in ZONE_MOVABLE, or in
 * a MIGRATE_MOVABLE pageblock?  A pinned kernel page (such as an early-PFN
 * tracking page) placed so is a mobility violation: memory offlining and
 * compaction cannot move it (D14).
 */
bool page_in_movable_placement(const struct page *page);

static inline uint32_t page_flags(const struct page *page)
{
	return __atomic_load_n(&page->flags, __ATOMIC_RELAXED);
}

static inline void set_page_flags(struct page *page, uint32_t flags)
{
	__atomic_store_n(&page->flags, flags, __ATOMIC_RELAXED);
}

static inline int page_ref_count(const struct page *page)
{
	return __atomic_load_n(&page->_refcount, __ATOMIC_RELAXED);
}

static inline void get_page(struct page *page)
{
	__atomic_fetch_add(&page->_refcount, 1, __ATOMIC_RELAXED);
}

static inline bool put_page_testzero(struct page *page)
{
	return __atomic_sub_fetch(&page->_refcount, 1, __ATOMIC_ACQ_REL) == 0;
}

static inline bool PageHead(const struct page *page)
{
	return page_flags(page) & PG_head;
}

static inline bool PageCompound(const struct page *page)
{
	return page_flags(page) & PG_compound;
}

/* Not a kernel flag: lets the oracles tell D17's untagged split tails. */
static inline bool PageSplitTail(const struct page *page)
{
	return page_flags(page) & PG_split_tail;
}

/*
 * Hooks the allocator calls into allocation tagging (§2.5).  sim/ wires them
 * to alloc_tag/; a NULL member is skipped.  This is how the kernel's cycle
 * (allocator → tagging → allocator) is broken here.
 */
struct alloc_tag;
struct alloc_hooks {
	/* end of post_alloc_hook(): pgalloc_tag_add(page, current, 1 << order, ...) */
	void (*post_alloc)(struct page *page, unsigned int order, gfp_t gfp,
			   unsigned int alloc_flags);
	/* __free_pages_prepare(): pgalloc_tag_sub(page, 1 << order) */
	void (*free_prepare)(struct page *page, unsigned int order);
	/* __free_pages() on a non-compound page still referenced (7.2 form) */
	struct alloc_tag *(*tag_get)(struct page *page);
	void (*tag_sub_pages)(struct alloc_tag *tag, unsigned int nr);
	void (*clear_tag_ref)(struct page *page);
	/* split_page(): pgalloc_tag_split(page, 1, 1 << order) */
	void (*split)(struct page *page, unsigned int old_order, unsigned int new_order);
	/* every entry of the allocator: a scheduling/trace point for sim/ */
	void (*trace_alloc)(struct page *page, unsigned int order, gfp_t gfp, int mt);
	void (*trace_free)(struct page *page, unsigned int order);
	/*
	 * The static key the tagging hooks (all but the trace ones) sit behind,
	 * mem_alloc_profiling_key: while *key is false the allocator does not
	 * call them, as the kernel's inline pgalloc_tag_*() wrappers return at
	 * once (§2.5).  NULL: always call them.
	 */
	const bool *key;
};
void mem_set_hooks(const struct alloc_hooks *hooks);

/*
 * __alloc_pages_noprof - allocate 2^@order pages.  @alloc_flags may hold only
 * ALLOC_CALLER_MASK bits (else WARN_ON and NULL, §2.8).  Zone from
 * gfp_zone(@gfp) with fallback to lower zones; migratetype from @gfp with
 * fallback stealing; __GFP_HIGH may dip below the min watermark by half;
 * __GFP_MEMALLOC without __GFP_NOMEMALLOC ignores the watermarks
 * (ALLOC_NO_WATERMARKS) and may take the last free page; __GFP_ZERO zeroes
 * the body (highmem too).  Calls might_alloc(@gfp): a blocking @gfp in
 * atomic or RCU-reader context is reported as "sleeping function called from
 * invalid context".  Returns NULL on failure.
 */
struct page *__alloc_pages_noprof(gfp_t gfp, unsigned int order, int preferred_nid,
				  void *nodemask, unsigned int alloc_flags);
struct page *alloc_pages_noprof(gfp_t gfp, unsigned int order);
/*
 * alloc_pages_nolock_noprof - the allocation any context may make, NMI
 * included: __alloc_pages_noprof(__GFP_NOWARN | __GFP_ZERO |
 * __GFP_NOMEMALLOC | __GFP_COMP | @gfp, @order, @nid, NULL, ALLOC_NOLOCK),
 * which only trylocks zone->lock (and pcp->lock) and has no slow path.
 * Orders above PAGE_ALLOC_COSTLY_ORDER fail (the kernel serves pcp orders
 * only).  The kernel accepts only __GFP_ACCOUNT in @gfp; bootsim passes what
 * it is given.
 */
struct page *alloc_pages_nolock_noprof(gfp_t gfp, int nid, unsigned int order);
unsigned long alloc_pages_bulk_noprof(gfp_t gfp, int nid, void *nodemask,
				      unsigned long nr_pages, struct page **page_array);
void *alloc_pages_exact_nid_noprof(int nid, size_t size, gfp_t gfp);
void free_pages_exact(void *virt, size_t size);

/* Drop a reference; free the block when it reaches zero (§2.5 7.2 form). */
void __free_pages(struct page *page, unsigned int order);
#define __free_page(page) __free_pages((page), 0)
void split_page(struct page *page, unsigned int order);

/*
 * The kernel's GFP_ZONE_TABLE: the zone modifiers are exclusive except that
 * __GFP_MOVABLE combines with the others; __GFP_MOVABLE alone does not leave
 * ZONE_NORMAL (it only picks the movable migratetype), only together with
 * __GFP_HIGHMEM does it select ZONE_MOVABLE, whether or not the machine has
 * one (the zonelist then starts below it).  OPT_ZONE_HIGHMEM and
 * OPT_ZONE_DMA32 depend on the build: a 64-bit kernel has no ZONE_HIGHMEM
 * (so __GFP_HIGHMEM means ZONE_NORMAL), a 32-bit x86 kernel has no
 * CONFIG_ZONE_DMA32 (so __GFP_DMA32 means ZONE_NORMAL).
 */
static inline enum zone_type gfp_zone(gfp_t gfp)
{
	if (gfp & __GFP_DMA)
		return ZONE_DMA;
	if (gfp & __GFP_DMA32)
		return mem_bits_per_long() == 32 ? ZONE_NORMAL : ZONE_DMA32;
	if (gfp & __GFP_HIGHMEM) {
		if (gfp & __GFP_MOVABLE)
			return ZONE_MOVABLE;
		return mem_bits_per_long() == 32 ? ZONE_HIGHMEM : ZONE_NORMAL;
	}
	return ZONE_NORMAL;
}

static inline int gfp_migratetype(gfp_t gfp)
{
	BUILD_BUG_ON((__GFP_MOVABLE >> GFP_MOVABLE_SHIFT) != MIGRATE_MOVABLE);
	BUILD_BUG_ON((__GFP_RECLAIMABLE >> GFP_MOVABLE_SHIFT) != MIGRATE_RECLAIMABLE);

	/* Both bits at once is a caller bug in the kernel; keep it movable. */
	if ((gfp & GFP_MOVABLE_MASK) == GFP_MOVABLE_MASK)
		return MIGRATE_MOVABLE;
	return (int)((gfp & GFP_MOVABLE_MASK) >> GFP_MOVABLE_SHIFT);
}

/*
 * mem_claim_block - take the exact free block [@pfn, @pfn + 2^@order) out of
 * the buddy allocator (splitting the free block that contains it), as the
 * allocation a trace recorded.  Runs the post-alloc hooks like an ordinary
 * allocation.  Returns the page, or NULL with *why set ("not free", "beyond
 * memory", "reserved", "misaligned") when the block is not wholly free.
 */
struct page *mem_claim_block(unsigned long pfn, unsigned int order, gfp_t gfp,
			     const char **why);

/* A free that is not a free: the kernel's "Bad page state" report, no crash. */
enum bad_free_reason {
	BAD_FREE_NONE,
	BAD_FREE_DOUBLE,	/* block already free */
	BAD_FREE_NOT_HEAD,	/* PFN inside a block, not its head */
	BAD_FREE_ORDER,		/* order differs from the allocation */
	BAD_FREE_RESERVED,
	BAD_FREE_INVALID_PFN,
};
/* Counts of bad frees reported since setup. */
unsigned long mem_bad_free_count(void);

/* DMA, DMA32 (64-bit) and Normal even when empty; HighMem and Movable when populated. */
struct mem_zone_stats {
	const char *name;
	unsigned long start_pfn, spanned, present, free_pages;
	unsigned long pcp_pages;	/* on per-CPU lists, not in free_pages */
	unsigned long min_wmark, nr_alloc_calls, nr_free_calls, nr_alloc_failed;
};
int mem_zone_stats(struct mem_zone_stats *out, int max);

/*
 * mem_check_invariants - verify the page-state invariants above: every PFN
 * of every zone in exactly one state, every free list and per-CPU list
 * consistent (links, order, zone, migratetype), per-zone counts adding up.
 * Prints up to a few violations to @log (may be NULL).  Returns the number
 * of violations.
 */
long mem_check_invariants(FILE *log);

/* Debug level: 1 runs mem_check_invariants() after every alloc/free (slow). */
void mem_set_debug_level(int level);

/* Visit every allocated block (CPUs stopped). */
void mem_for_each_allocated_block(void (*fn)(struct page *head, unsigned int order,
					     void *arg), void *arg);

/* Order of an allocated block head, or -1 when @page is not one. */
int mem_allocated_order(const struct page *page);

#endif /* ALLOC_MM_H */
