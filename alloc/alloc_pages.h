/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alloc/alloc_pages.h - the hooked allocation entry points callers use.
 *
 * Each macro gives its call site a static tag (alloc_hooks(), §2.2), as the
 * kernel's gfp.h wrappers do; the *_noprof functions in mm.h do the work.
 */
#ifndef ALLOC_ALLOC_PAGES_H
#define ALLOC_ALLOC_PAGES_H

#include "sim/core/codetag.h"
#include "mm.h"

#define alloc_pages(gfp, order)		alloc_hooks(alloc_pages_noprof((gfp), (order)))
#define alloc_page(gfp)			alloc_pages((gfp), 0)
#define __alloc_pages(gfp, order, nid, nodemask, alloc_flags) \
	alloc_hooks(__alloc_pages_noprof((gfp), (order), (nid), (nodemask), (alloc_flags)))
#define alloc_pages_nolock(gfp, nid, order) \
	alloc_hooks(alloc_pages_nolock_noprof((gfp), (nid), (order)))
#define alloc_pages_bulk(gfp, nr, array) \
	alloc_hooks(alloc_pages_bulk_noprof((gfp), NUMA_NO_NODE, NULL, (nr), (array)))
#define alloc_pages_exact_nid(nid, size, gfp) \
	alloc_hooks(alloc_pages_exact_nid_noprof((nid), (size), (gfp)))

static inline unsigned int get_order(unsigned long size)
{
	unsigned int order = 0;

	size = (size - 1) >> PAGE_SHIFT;
	while (size) {
		order++;
		size >>= 1;
	}
	return order;
}

#endif /* ALLOC_ALLOC_PAGES_H */
