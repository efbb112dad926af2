/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alloc_tag/alloc_tag.h - allocation tags: counters, CODETAG_EMPTY and the
 * add/sub primitives with their DEBUG checks (§2.2, §2.3).
 *
 * For every tag T, with counters summed over all possible CPUs:
 *   Σ_cpu T.bytes == Σ { PAGE_SIZE << order : live block whose slot == T }
 *   Σ_cpu T.calls == #  { live block whose slot == T }
 * except where a documented defect breaks it (D4, D7, D13, and the partial
 * subtraction of the 7.2 __free_pages form); sim/oracles.c checks it.
 *
 *   | API                      | context                | notes                          |
 *   |--------------------------|------------------------|--------------------------------|
 *   | alloc_tag_add / _sub     | the page's owner CPU   | per-CPU counters, no locks     |
 *   | alloc_tag_set_inaccurate | any CPU                | plain OR, as in the kernel     |
 *   | alloc_tag_read           | any thread             | may be stale while CPUs run    |
 *   | alloc_tag_counters_init  | machine setup          | allocates per-CPU arrays       |
 */
#ifndef ALLOC_TAG_ALLOC_TAG_H
#define ALLOC_TAG_ALLOC_TAG_H

#include <stdint.h>

#include "sim/core/codetag.h"
#include "sim/core/percpu.h"
#include "sim/core/printk.h"

/* CONFIG_MEM_ALLOC_PROFILING{,_DEBUG} and the boot-time mode (§2.1). */
struct mem_profiling_config {
	bool enabled;		/* mem_alloc_profiling_key */
	bool debug;		/* CONFIG_MEM_ALLOC_PROFILING_DEBUG */
	bool compressed;	/* mem_profiling_compressed */
};
extern struct mem_profiling_config mem_profiling;

static inline bool mem_alloc_profiling_enabled(void)
{
	return mem_profiling.enabled;
}

union codetag_ref {
	struct codetag *ct;
};

/* Only with DEBUG: the pointer value 1, "intentionally untagged". */
#define CODETAG_EMPTY	((struct codetag *)1)

static inline bool is_codetag_empty(const union codetag_ref *ref)
{
	return mem_profiling.debug && ref->ct == CODETAG_EMPTY;
}

static inline void set_codetag_empty(union codetag_ref *ref)
{
	if (ref)
		ref->ct = mem_profiling.debug ? CODETAG_EMPTY : NULL;
}

static inline struct alloc_tag *ct_to_alloc_tag(struct codetag *ct)
{
	return container_of(ct, struct alloc_tag, ct);
}

static inline void alloc_tag_add_check(union codetag_ref *ref, struct alloc_tag *tag)
{
	if (!mem_profiling.debug)
		return;
	WARN_ONCE(ref && ref->ct && !is_codetag_empty(ref),
		  "alloc_tag was not cleared (got tag for %s:%u)\n",
		  ref->ct->filename, ref->ct->lineno);
	WARN_ONCE(!tag, "current->alloc_tag not set\n");
}

static inline void alloc_tag_sub_check(union codetag_ref *ref)
{
	if (!mem_profiling.debug)
		return;
	WARN_ONCE(ref && !ref->ct, "alloc_tag was not set\n");
}

/* Returns false when nothing was recorded (no slot or no tag). */
static inline bool alloc_tag_ref_set(union codetag_ref *ref, struct alloc_tag *tag)
{
	alloc_tag_add_check(ref, tag);
	if (!ref || !tag)
		return false;
	ref->ct = &tag->ct;
	this_cpu_inc(tag->counters, calls);
	return true;
}

static inline void alloc_tag_add(union codetag_ref *ref, struct alloc_tag *tag, size_t bytes)
{
	if (likely(alloc_tag_ref_set(ref, tag)))
		this_cpu_add(tag->counters, bytes, (int64_t)bytes);
}

static inline void alloc_tag_sub(union codetag_ref *ref, size_t bytes)
{
	struct alloc_tag *tag;

	alloc_tag_sub_check(ref);
	if (!ref || !ref->ct)
		return;
	if (is_codetag_empty(ref)) {
		/* EMPTY: intentionally untagged, nothing to subtract */
		ref->ct = NULL;
		return;
	}
	tag = ct_to_alloc_tag(ref->ct);
	this_cpu_sub(tag->counters, bytes, (int64_t)bytes);
	this_cpu_dec(tag->counters, calls);
	ref->ct = NULL;
}

/* bootsim: what a slot holds, in words, for timelines. */
static inline const char *codetag_ref_name(const union codetag_ref *ref)
{
	if (!ref->ct)
		return "NULL";
	if (is_codetag_empty(ref))
		return "EMPTY";
	return ref->ct->function;
}

/* A plain read-modify-write in the kernel: modelled as two untorn accesses. */
static inline void alloc_tag_set_inaccurate(struct alloc_tag *tag)
{
	WRITE_ONCE(tag->ct.flags, READ_ONCE(tag->ct.flags) | CODETAG_FLAG_INACCURATE);
}

static inline bool alloc_tag_is_inaccurate(const struct alloc_tag *tag)
{
	return __atomic_load_n(&tag->ct.flags, __ATOMIC_RELAXED) & CODETAG_FLAG_INACCURATE;
}

/* Sum of every possible CPU's copy. */
struct alloc_tag_counters alloc_tag_read(const struct alloc_tag *tag);

/* Per-CPU arrays for every tag, static and dynamic; flags cleared. */
int alloc_tag_counters_init(void);
/* A tag created after init (trace replay) gets its counters here. */
int alloc_tag_counters_attach(struct alloc_tag *tag);
void alloc_tag_counters_free(void);

/* "lib/alloc_tag.c" rather than "../alloc_tag/early_pfn_pool.c". */
const char *codetag_display_filename(const char *filename);

#endif /* ALLOC_TAG_ALLOC_TAG_H */
