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
 *   | API                          | context               | notes                        |
 *   |------------------------------|-----------------------|------------------------------|
 *   | get/update/put_page_tag_ref  | any CPU               | put on the CPU that got it   |
 *   | try_update_page_tag_ref      | any CPU               | bootsim's: cmpxchg the slot  |
 *   | clear_page_tag_ref           | the page's owner      | no-op without a slot         |
 *   | pgalloc_tag_add/sub/split    | allocator hooks       | owner CPU                    |
 *   | pgalloc_tag_peek             | host thread (oracles) | no checks; its points are    |
 *   |                              |                       | ignored off a simulated CPU  |
 */
#ifndef ALLOC_TAG_PGALLOC_TAG_H
#define ALLOC_TAG_PGALLOC_TAG_H

#include "alloc/mm.h"
#include "page_ext/page_ext.h"
#include "alloc_tag.h"

union pgtag_ref_handle {
	union codetag_ref *ref;	/* page_ext mode */
};

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

#endif /* ALLOC_TAG_PGALLOC_TAG_H */
