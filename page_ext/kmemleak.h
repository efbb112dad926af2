/* SPDX-License-Identifier: GPL-2.0 */
/*
 * page_ext/kmemleak.h - just enough of kmemleak's object cache to reproduce
 * §1.5: registering a page_ext table takes a kmemleak object, and an empty
 * object cache refills with a fresh slab page from the buddy allocator.
 */
#ifndef PAGE_EXT_KMEMLEAK_H
#define PAGE_EXT_KMEMLEAK_H

#include <stddef.h>
#include <stdbool.h>
#include "alloc/gfp.h"

/* Objects per slab page of the "kmemleak_object" cache (368-byte objects). */
#define KMEMLEAK_OBJECTS_PER_SLAB 11

void kmemleak_setup(bool enabled);
void kmemleak_reset(void);
void kmemleak_alloc(const void *ptr, size_t size, int min_count, gfp_t gfp);
unsigned long kmemleak_slab_pages(void);

#endif /* PAGE_EXT_KMEMLEAK_H */
