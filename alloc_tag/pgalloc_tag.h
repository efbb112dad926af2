/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alloc_tag/pgalloc_tag.h - the per-page tag slot and the page allocator's
 * tagging hooks (§2.4, §2.5).
 *
 * The slot of a page is a codetag_ref in its page_ext record.  Access is
 * get (enter RCU, copy the slot) → modify the copy → update (store back) →
 * put (leave RCU).  The sequence is not atomic: the design assumes only the
 * page's owner touches its slot, which the early-PFN clear pass violates
 * (D7).  The loads and stores themselves are untorn (READ_ONCE/WRITE_ONCE),
 * so the simulator's races are the kernel's races and nothing worse.
 *
 * Compressed mode (mem_profiling.compressed, §2.1, §2.2): the slot is an
 * index in the spare page-flag bits PG_TAG_MASK: 0 = NULL, 1 = CODETAG_EMPTY,
 * 2 + n = the tag with registration index n (codetag_index(): built-in tags,
 * then run-time ones, as the kernel numbers kernel then module tags).  get
 * decodes it and always succeeds for a page (the slot always exists, so the
 * early-PFN path never runs); update stores it with a cmpxchg loop on
 * page->flags, leaving the allocator's bits alone; put does nothing.  The
 * allocator's own flag writes touch only pages it owns and keep the tag bits
 * (alloc/mm.h), so they never race with an owner's loop.  A tag whose index
 * does not fit (or that was never registered) is stored as NULL, as the
 * kernel's ref_to_idx() does for a tag outside its ranges; machine_setup()
 * refuses compressed mode when the tags could not all be indexed (the kernel
 * disables profiling then: "... cannot be referenced using %d available
 * page flag bits").
 *
 *   | API                          | context               | notes                        |
 *   |------------------------------|-----------------------|------------------------------|
 *   | get/update/put_page_tag_ref  | any CPU               | put on the CPU that got it   |
 *   | update_page_tag_ref_observed | CLEAR                 | bootsim's: the store, and    |
 *   | try_update_page_tag_ref      |                       | what it replaced / a cmpxchg;|
 *   |                              |                       | page_ext slots only (CLEAR   |
 *   |                              |                       | never runs compressed)       |
 *   | clear_page_tag_ref           | the page's owner      | no-op without a slot         |
 *   | pgalloc_tag_add/sub/split    | allocator hooks       | owner CPU                    |
 *   | pgalloc_tag_peek             | host thread (oracles) | no checks; its points are    |
 *   |                              |                       | ignored off a simulated CPU  |
 *   | update_page_tag_ref, compr.  | the page's owner      | cmpxchg loop on page->flags  |
 */
#ifndef ALLOC_TAG_PGALLOC_TAG_H
#define ALLOC_TAG_PGALLOC_TAG_H

#include "alloc/mm.h"
#include "page_ext/page_ext.h"
#include "alloc_tag.h"

union pgtag_ref_handle {
	union codetag_ref *ref;	/* page_ext mode: the slot in page_ext */
	struct page *page;	/* compressed mode: the slot is in page->flags */
};

/* Compressed-mode slot values (the kernel's CODETAG_ID_*). */
#define CODETAG_ID_NULL		0u
#define CODETAG_ID_EMPTY	1u
#define CODETAG_ID_FIRST	2u
/* How many tags the PG_TAG_BITS page-flag bits can reference. */
#define PGALLOC_TAG_COMPRESSED_MAX_TAGS	((1u << PG_TAG_BITS) - CODETAG_ID_FIRST)

bool get_page_tag_ref(struct page *page, union codetag_ref *ref,
		      union pgtag_ref_handle *handle);
void update_page_tag_ref(union pgtag_ref_handle handle, union codetag_ref *ref);
struct codetag *update_page_tag_ref_observed(union pgtag_ref_handle handle,
					     union codetag_ref *ref);
bool try_update_page_tag_ref(union pgtag_ref_handle handle, union codetag_ref *old,
			     union codetag_ref *new);
void put_page_tag_ref(union pgtag_ref_handle handle);
void clear_page_tag_ref(struct page *page);

struct alloc_tag *__pgalloc_tag_get(struct page *page);
struct alloc_tag *pgalloc_tag_get(struct page *page);
void pgalloc_tag_add(struct page *page, struct task_struct *task, unsigned int nr,
		     gfp_t gfp, unsigned int alloc_flags);
void pgalloc_tag_sub(struct page *page, unsigned int nr);
void pgalloc_tag_sub_pages(struct alloc_tag *tag, unsigned int nr);
void pgalloc_tag_split(struct page *page, unsigned int old_order, unsigned int new_order);

/* The page_ext client "page_alloc_tagging" (§2.6). */
extern struct page_ext_operations page_alloc_tagging_ops;

/* The struct alloc_hooks the allocator calls (wired by sim/). */
extern const struct alloc_hooks pgalloc_tag_hooks;

/*
 * Slot states as bootsim's oracles see them, read without side effects.
 */
enum slot_state { SLOT_MISSING, SLOT_NULL, SLOT_EMPTY, SLOT_TAG };
enum slot_state pgalloc_tag_peek(const struct page *page, struct alloc_tag **tag);

/* Compressed mode: the index stored in @page's flags (CODETAG_ID_*). */
static inline uint32_t pgalloc_tag_flags_idx(const struct page *page)
{
	return (page_flags(page) & PG_TAG_MASK) >> PG_TAG_SHIFT;
}

#endif /* ALLOC_TAG_PGALLOC_TAG_H */
