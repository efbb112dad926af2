/* SPDX-License-Identifier: GPL-2.0 */
/*
 * page_ext/page_ext.h - per-page extension records (§2.6).
 *
 * Concurrency contract:
 *
 *   | API                        | context                          | notes                    |
 *   |----------------------------|----------------------------------|--------------------------|
 *   | page_ext_register          | machine setup, before any CPU    | array order = init order |
 *   | page_ext_init              | one CPU (boot CPU or init task)  | may allocate; publishes  |
 *   | page_ext_get / _put        | any CPU; _put on the same CPU    | RCU reader in between    |
 *   | lookup_page_ext            | inside an RCU reader             | NULL: no table (yet)     |
 *   | page_ext_prefetch          | any thread, no reader needed     | a cache hint, never reads|
 *   | page_ext_reset             | machine teardown                 |                          |
 */
#ifndef PAGE_EXT_PAGE_EXT_H
#define PAGE_EXT_PAGE_EXT_H

#include <stddef.h>
#include <stdbool.h>

#include "alloc/mm.h"
#include "sim/core/rcu.h"

/* One record per page; each client's data follows at its ->offset. */
struct page_ext {
	unsigned long flags;
};

struct page_ext_operations {
	const char *name;
	size_t offset;		/* assigned by page_ext_init() when needed */
	size_t size;
	bool (*need)(void);
	void (*init)(void);
	bool need_shared_flags;
};

/*
 * How availability grows (§2.6): PROGRESSIVE publishes each section's table
 * as soon as the walk allocates it (SPARSEMEM, the kernel's behaviour);
 * FLAT keeps every lookup failing until the whole walk is done, then
 * switches all sections on at once.
 */
enum page_ext_mode {
	PAGE_EXT_PROGRESSIVE,
	PAGE_EXT_FLAT,
};

struct page_ext_config {
	enum page_ext_mode mode;
	bool kmemleak;		/* CONFIG_DEBUG_KMEMLEAK: §1.5's trigger */
	/* called after each section is published (timelines, traces) */
	void (*section_published)(unsigned long section_nr);
};

/* Append a client; the array order is the init-callback order (§2.6). */
int page_ext_register(struct page_ext_operations *ops);
int page_ext_setup(const struct page_ext_config *cfg);
void page_ext_reset(void);

void page_ext_init(void);

/*
 * page_ext_init() in steps, for scenarios and tests that interleave the walk
 * with other CPUs: prepare (need callbacks; false: nobody needs page_ext),
 * publish sections one by one, finish (flat switch, log line, init callbacks).
 */
bool page_ext_prepare(void);
int page_ext_init_section(unsigned long section_nr);
void page_ext_finish(void);
unsigned long page_ext_nr_sections(void);

struct page_ext *lookup_page_ext(const struct page *page);
struct page_ext *page_ext_get(const struct page *page);
void page_ext_prefetch(unsigned long pfn);

/* Leave the reader page_ext_get() entered; inline, as every tagged free uses it. */
static inline void page_ext_put(struct page_ext *page_ext)
{
	if (unlikely(!page_ext))
		return;
	rcu_read_unlock();
}

static inline void *page_ext_data(struct page_ext *page_ext,
				  const struct page_ext_operations *ops)
{
	return (char *)page_ext + ops->offset;
}

bool page_ext_section_published(unsigned long section_nr);

struct page_ext_stats {
	size_t entry_size;		/* bytes per page, 0 if nobody needs page_ext */
	long total_usage;		/* "allocated %ld bytes of page_ext" */
	unsigned long sections_published;
	unsigned long sections_skipped;
	unsigned long kmemleak_slab_pages;
	bool done;			/* walk finished, callbacks invoked */
};
void page_ext_get_stats(struct page_ext_stats *st);

#endif /* PAGE_EXT_PAGE_EXT_H */
