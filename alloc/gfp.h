/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alloc/gfp.h - GFP bits with the kernel's 6.10+ values (§2.8, x86-64, no
 * KASAN_HW_TAGS, no lockdep) and the page allocator's alloc_flags.
 */
#ifndef ALLOC_GFP_H
#define ALLOC_GFP_H

#include <stddef.h>
#include <stdbool.h>

typedef unsigned int gfp_t;

#define __GFP_DMA		0x1u
#define __GFP_HIGHMEM		0x2u
#define __GFP_DMA32		0x4u
#define __GFP_MOVABLE		0x8u
#define __GFP_RECLAIMABLE	0x10u
#define __GFP_HIGH		0x20u
#define __GFP_IO		0x40u
#define __GFP_FS		0x80u
#define __GFP_ZERO		0x100u
/* 0x200 unused */
#define __GFP_DIRECT_RECLAIM	0x400u
#define __GFP_KSWAPD_RECLAIM	0x800u
#define __GFP_WRITE		0x1000u
#define __GFP_NOWARN		0x2000u
#define __GFP_RETRY_MAYFAIL	0x4000u
#define __GFP_NOFAIL		0x8000u
#define __GFP_NORETRY		0x10000u
#define __GFP_MEMALLOC		0x20000u
#define __GFP_COMP		0x40000u
#define __GFP_NOMEMALLOC	0x80000u
#define __GFP_HARDWALL		0x100000u
#define __GFP_THISNODE		0x200000u
#define __GFP_ACCOUNT		0x400000u
#define __GFP_ZEROTAGS		0x800000u
/* Next free bit with neither SKIP_KASAN nor NOLOCKDEP configured (§2.8). */
#define __GFP_NO_OBJ_EXT	0x1000000u
#define __GFP_BITS_MASK		0x1ffffffu

#define GFP_ZONEMASK		(__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE)
#define GFP_MOVABLE_MASK	(__GFP_RECLAIMABLE | __GFP_MOVABLE)
#define GFP_MOVABLE_SHIFT	3
#define __GFP_RECLAIM		(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)

#define GFP_ATOMIC		(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL		(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT		(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN)
#define GFP_NOIO		(__GFP_RECLAIM)
#define GFP_NOFS		(__GFP_RECLAIM | __GFP_IO)
#define GFP_USER		(__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA			__GFP_DMA
#define GFP_DMA32		__GFP_DMA32
#define GFP_HIGHUSER		(GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE	(GFP_HIGHUSER | __GFP_MOVABLE)
#define GFP_TRANSHUGE_LIGHT	((GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | \
				  __GFP_NOWARN) & ~__GFP_RECLAIM)
#define GFP_TRANSHUGE		(GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM)

/*
 * Page-allocator alloc_flags (mm/internal.h values).  Only NOLOCK and
 * NO_CODETAG may be passed in (§2.8).
 */
#define ALLOC_DEFAULT		0x0u
/*
 * internal: ignore the watermarks entirely.  The slow path grants it to
 * __GFP_MEMALLOC without __GFP_NOMEMALLOC (__gfp_pfmemalloc_flags), so such
 * a request may take the very last free page; what a __GFP_HIGH request
 * leaves below its reserve is exactly what D18 needs exhausted.
 */
#define ALLOC_NO_WATERMARKS	0x04u
#define ALLOC_NON_BLOCK		0x10u	/* internal: caller cannot block */
#define ALLOC_MIN_RESERVE	0x20u	/* internal: granted by __GFP_HIGH */
#define ALLOC_NOLOCK		0x400u	/* the former ALLOC_TRYLOCK bit */
/* §2.8: a backport note places it at 0x1000; the value is unverified. */
#define ALLOC_NO_CODETAG	0x1000u
#define ALLOC_CALLER_MASK	(ALLOC_NOLOCK | ALLOC_NO_CODETAG)

static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return !!(gfp & __GFP_DIRECT_RECLAIM);
}

/*
 * gfp_print - the kernel's %pGg / show_gfp_flags rendering, composite names
 * first ("GFP_KERNEL|__GFP_ZERO"); "none" for 0.  Returns the length written.
 */
size_t gfp_print(char *buf, size_t size, gfp_t gfp);
/*
 * gfp_parse - inverse of gfp_print: '|'-separated names (composites, __GFP_*,
 * or hex numbers).  Returns 0, or -1 with *bad pointing at the unknown name.
 */
int gfp_parse(const char *s, size_t len, gfp_t *out, const char **bad);

#endif /* ALLOC_GFP_H */
