// SPDX-License-Identifier: GPL-2.0
/*
 * A kmemleak object cache reduced to its effect on the page allocator: one
 * object per tracked block, a new slab page every KMEMLEAK_OBJECTS_PER_SLAB
 * objects, never freed during boot.
 */
#include "sim/core/spinlock.h"
#include "alloc/alloc_pages.h"
#include "kmemleak.h"

static bool kmemleak_enabled;
static DEFINE_SPINLOCK(kmemleak_cache_lock);
static unsigned int free_objects;
static unsigned long slab_pages;

void kmemleak_setup(bool enabled)
{
	kmemleak_enabled = enabled;
	free_objects = 0;
	slab_pages = 0;
}

void kmemleak_reset(void)
{
	kmemleak_enabled = false;
}

/* gfp_nested_mask(): what kmemleak passes down for its own metadata. */
static gfp_t gfp_nested_mask(gfp_t gfp)
{
	return (gfp & (GFP_KERNEL | GFP_ATOMIC)) | __GFP_NORETRY |
	       __GFP_NOMEMALLOC | __GFP_NOWARN;
}

static bool kmemleak_cache_alloc(gfp_t gfp)
{
	struct page *page;
	bool took;

	spin_lock(&kmemleak_cache_lock);
	took = free_objects > 0;
	if (took)
		free_objects--;
	spin_unlock(&kmemleak_cache_lock);
	if (took)
		return true;

	/* allocate_slab(): the lock is not held across the page allocation */
	page = alloc_pages_noprof(gfp | __GFP_COMP, 0);
	if (!page)
		return false;
	spin_lock(&kmemleak_cache_lock);
	free_objects += KMEMLEAK_OBJECTS_PER_SLAB - 1;
	slab_pages++;
	spin_unlock(&kmemleak_cache_lock);
	return true;
}

static void create_object(const void *ptr, size_t size, int min_count, gfp_t gfp)
{
	(void)ptr;
	(void)size;
	(void)min_count;
	/* kmem_cache_alloc() is a hooked call: the slab page carries this tag. */
	alloc_hooks(kmemleak_cache_alloc(gfp_nested_mask(gfp)));
}

void kmemleak_alloc(const void *ptr, size_t size, int min_count, gfp_t gfp)
{
	if (kmemleak_enabled)
		create_object(ptr, size, min_count, gfp);
}

unsigned long kmemleak_slab_pages(void)
{
	return slab_pages;
}
