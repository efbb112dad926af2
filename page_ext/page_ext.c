// SPDX-License-Identifier: GPL-2.0
/*
 * page_ext/page_ext.c - extended per-page data, allocated per memory section.
 *
 * The lifetime problem this file is about: struct page cannot grow, so
 * debugging features (page_owner, allocation tagging, ...) keep their per-page
 * data in page_ext, a table per SPARSEMEM section.  The tables are allocated
 * by page_ext_init() from the page allocator itself, one section at a time,
 * long after the allocator went live (§2.6).  Until a page's section has a
 * table, lookups for it fail, and any feature that wanted to record something
 * for that page's allocation simply cannot.  The walk also allocates (its own
 * tables, kmemleak's bookkeeping), so it creates early allocations of its own
 * (§1.5).  Only once every section is done are the clients' init callbacks
 * invoked, in array order, whether or not each client needed page_ext.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/core/rcu.h"
#include "sim/core/printk.h"
#include "alloc/alloc_pages.h"
#include "page_ext.h"
#include "sim/core/trace.h"
#include "kmemleak.h"

#define MAX_PAGE_EXT_CLIENTS 8

struct mem_section {
	struct page_ext *page_ext;	/* table base; NULL until published */
};

static struct page_ext_operations *page_ext_ops[MAX_PAGE_EXT_CLIENTS];
static int nr_page_ext_ops;
static struct page_ext_config config;

static struct mem_section *mem_sections;
static unsigned long nr_mem_sections;
static size_t page_ext_size;
static long total_usage;
static bool flat_available;
static struct page_ext_stats stats;

int page_ext_register(struct page_ext_operations *ops)
{
	if (nr_page_ext_ops >= MAX_PAGE_EXT_CLIENTS)
		return -1;
	page_ext_ops[nr_page_ext_ops++] = ops;
	return 0;
}

int page_ext_setup(const struct page_ext_config *cfg)
{
	nr_mem_sections = DIV_ROUND_UP(max_pfn, PAGES_PER_SECTION);
	mem_sections = calloc(nr_mem_sections, sizeof(*mem_sections));
	if (!mem_sections)
		return -1;
	config = *cfg;
	page_ext_size = 0;
	total_usage = 0;
	flat_available = false;
	memset(&stats, 0, sizeof(stats));
	kmemleak_setup(cfg->kmemleak);
	return 0;
}

void page_ext_reset(void)
{
	/* The tables live in simulated memory, which the machine unmaps. */
	free(mem_sections);
	mem_sections = NULL;
	nr_mem_sections = 0;
	nr_page_ext_ops = 0;
	kmemleak_reset();
}

static bool invoke_need_callbacks(void)
{
	bool need = false;

	page_ext_size = sizeof(struct page_ext);
	for (int i = 0; i < nr_page_ext_ops; i++) {
		if (page_ext_ops[i]->need && page_ext_ops[i]->need()) {
			page_ext_ops[i]->offset = page_ext_size;
			page_ext_size += page_ext_ops[i]->size;
			need = true;
		}
	}
	return need;
}

static void invoke_init_callbacks(void)
{
	for (int i = 0; i < nr_page_ext_ops; i++)
		if (page_ext_ops[i]->init)
			page_ext_ops[i]->init();
}

static bool page_ext_invalid(const struct page_ext *page_ext)
{
	return !page_ext;
}

static struct page_ext *get_entry(struct page_ext *base, unsigned long index)
{
	return (struct page_ext *)((char *)base + page_ext_size * index);
}

/* Inlined into page_ext_get(), which every tagged allocation and free calls. */
static __always_inline struct page_ext *__lookup_page_ext(const struct page *page)
{
	unsigned long pfn = page_to_pfn(page);
	unsigned long nr = pfn_to_section_nr(pfn);
	struct page_ext *base;

	if (unlikely(!mem_sections || nr >= nr_mem_sections))
		return NULL;
	if (unlikely(config.mode == PAGE_EXT_FLAT) &&
	    !__atomic_load_n(&flat_available, __ATOMIC_ACQUIRE))
		return NULL;
	SIM_POINT("lookup_page_ext", &mem_sections[nr]);
	base = READ_ONCE(mem_sections[nr].page_ext);
	if (page_ext_invalid(base))
		return NULL;
	return get_entry(base, pfn & ~PAGE_SECTION_MASK);
}

/**
 * page_ext_prefetch - start loading @pfn's record into the cache.
 *
 * bootsim only, for trace replay, which knows the PFNs of the next events
 * before it plays them.  No RCU reader and no scheduling point: a prefetch
 * never faults, so a table freed meanwhile costs nothing, and the section's
 * pointer is read once, relaxed.
 */
void page_ext_prefetch(unsigned long pfn)
{
	unsigned long nr = pfn_to_section_nr(pfn);
	struct page_ext *base;

	if (!mem_sections || nr >= nr_mem_sections)
		return;
	base = __atomic_load_n(&mem_sections[nr].page_ext, __ATOMIC_RELAXED);
	if (!page_ext_invalid(base))
		__builtin_prefetch(get_entry(base, pfn & ~PAGE_SECTION_MASK), 1);
}

/**
 * lookup_page_ext - the page_ext record of @page, or NULL if its section has
 * no table yet.  Call inside an RCU read-side section.
 */
struct page_ext *lookup_page_ext(const struct page *page)
{
	return __lookup_page_ext(page);
}

/**
 * page_ext_get - enter an RCU reader and look up @page's record.
 * Returns NULL (reader already left) when there is none; otherwise the caller
 * must page_ext_put() it.
 */
struct page_ext *page_ext_get(const struct page *page)
{
	struct page_ext *page_ext;

	rcu_read_lock();
	page_ext = __lookup_page_ext(page);
	if (!page_ext) {
		rcu_read_unlock();
		return NULL;
	}
	return page_ext;
}

bool page_ext_section_published(unsigned long section_nr)
{
	return section_nr < nr_mem_sections &&
	       READ_ONCE(mem_sections[section_nr].page_ext) != NULL &&
	       (config.mode != PAGE_EXT_FLAT ||
		__atomic_load_n(&flat_available, __ATOMIC_ACQUIRE));
}

/* bootsim: lookups for @nr succeed from now on (timelines, trace markers). */
static void section_published(unsigned long nr)
{
	sim_mark(SIM_MARK_PAGE_EXT_SECTION, nr);
	if (config.section_published)
		config.section_published(nr);
}

static void *alloc_page_ext(size_t size, int nid)
{
	gfp_t flags = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN;
	void *addr;

	addr = alloc_pages_exact_nid(nid, size, flags);
	if (addr)
		kmemleak_alloc(addr, size, 1, flags);
	/*
	 * The kernel falls back to vzalloc_node(); a virtually contiguous table
	 * cannot be built from simulated pages, so the walk fails instead.
	 */
	return addr;
}

static int init_section_page_ext(unsigned long pfn, int nid)
{
	unsigned long nr = pfn_to_section_nr(pfn);
	size_t table_size;
	void *base;

	if (mem_sections[nr].page_ext)
		return 0;

	table_size = page_ext_size * PAGES_PER_SECTION;
	base = alloc_page_ext(table_size, nid);
	if (!base)
		return -1;

	/* Publication: from here on lookups for this section succeed (§2.6). */
	SIM_POINT("page_ext publish", &mem_sections[nr]);
	__atomic_store_n(&mem_sections[nr].page_ext, (struct page_ext *)base,
			 __ATOMIC_RELEASE);
	total_usage += (long)table_size;
	stats.sections_published++;
	sim_note("page_ext published for section %lu", nr);
	if (config.mode == PAGE_EXT_PROGRESSIVE)
		section_published(nr);
	return 0;
}

bool page_ext_prepare(void)
{
	if (!invoke_need_callbacks())
		return false;
	stats.entry_size = page_ext_size;
	return true;
}

int page_ext_init_section(unsigned long section_nr)
{
	unsigned long pfn = section_nr_to_pfn(section_nr);

	if (section_nr >= nr_mem_sections || !pfn_valid(pfn)) {
		stats.sections_skipped++;
		return 0;
	}
	return init_section_page_ext(pfn, 0);
}

void page_ext_finish(void)
{
	if (config.mode == PAGE_EXT_FLAT) {
		SIM_POINT("page_ext publish all", &flat_available);
		__atomic_store_n(&flat_available, true, __ATOMIC_RELEASE);
		sim_note("page_ext published for every section");
		if (config.section_published || sim_tracing())
			for (unsigned long nr = 0; nr < nr_mem_sections; nr++)
				if (mem_sections[nr].page_ext)
					section_published(nr);
	}
	/* hotplug_memory_notifier(): memory hot-add makes no early PFNs (§2.6) */
	pr_info("allocated %ld bytes of page_ext\n", total_usage);
	stats.total_usage = total_usage;
	invoke_init_callbacks();
	stats.done = true;
}

unsigned long page_ext_nr_sections(void)
{
	return nr_mem_sections;
}

/**
 * page_ext_init - allocate every section's table, then run client callbacks.
 *
 * Runs on one CPU.  Returns before the walk if no client needs page_ext, in
 * which case no init callback runs either (§2.6).  An allocation failure is
 * the kernel's panic("Out of memory"), reported as a BUG.
 */
static void __page_ext_init(void)
{
	struct pglist_data *pgdat = NODE_DATA(0);
	unsigned long start_pfn, end_pfn, pfn;

	if (!page_ext_prepare())
		return;

	start_pfn = pgdat->node_start_pfn & PAGE_SECTION_MASK;
	end_pfn = pgdat->node_start_pfn + pgdat->node_spanned_pages;
	for (pfn = start_pfn; pfn < end_pfn; pfn = ALIGN(pfn + 1, PAGES_PER_SECTION)) {
		if (page_ext_init_section(pfn_to_section_nr(pfn))) {
			sim_report_bug("Kernel panic - not syncing: Out of memory\n");
			return;
		}
	}
	page_ext_finish();
}

void page_ext_init(void)
{
	/* bootsim: the moment a trace replay makes page_ext available */
	sim_mark(SIM_MARK_PAGE_EXT_INIT_START, 0);
	__page_ext_init();
	sim_mark(SIM_MARK_PAGE_EXT_INIT_DONE, 0);
}

void page_ext_get_stats(struct page_ext_stats *st)
{
	*st = stats;
	st->kmemleak_slab_pages = kmemleak_slab_pages();
}
