// SPDX-License-Identifier: GPL-2.0
/*
 * alloc_tag/pgalloc_tag.c - page tag slots and the allocator hooks (§2.4,
 * §2.5).  The slot-missing branch of __pgalloc_tag_add() is where early
 * allocations enter the early-PFN logic of the selected variant.
 */
#include "sim/core/rcu.h"
#include "sim/core/trace.h"
#include "pgalloc_tag.h"
#include "early_pfn.h"

static union codetag_ref *codetag_ref_from_page_ext(struct page_ext *page_ext)
{
	return page_ext_data(page_ext, &page_alloc_tagging_ops);
}

static struct page_ext *page_ext_from_codetag_ref(union codetag_ref *ref)
{
	return (struct page_ext *)((char *)ref - page_alloc_tagging_ops.offset);
}

/* Compressed mode: the index of the slot value @ref (§2.2). */
static uint32_t ref_to_idx(const union codetag_ref *ref)
{
	uint32_t idx;

	if (!ref->ct)
		return CODETAG_ID_NULL;
	if (is_codetag_empty(ref))
		return CODETAG_ID_EMPTY;
	idx = codetag_index(ct_to_alloc_tag(ref->ct));
	/* Unregistered or beyond the index space: not referenceable, NULL. */
	if (idx == CODETAG_NO_INDEX || idx >= PGALLOC_TAG_COMPRESSED_MAX_TAGS)
		return CODETAG_ID_NULL;
	return CODETAG_ID_FIRST + idx;
}

static void idx_to_ref(uint32_t idx, union codetag_ref *ref)
{
	struct alloc_tag *tag;

	switch (idx) {
	case CODETAG_ID_NULL:
		ref->ct = NULL;
		break;
	case CODETAG_ID_EMPTY:
		set_codetag_empty(ref);
		break;
	default:
		tag = codetag_from_index(idx - CODETAG_ID_FIRST);
		ref->ct = tag ? &tag->ct : NULL;
		break;
	}
}

/*
 * The slot accessors are inlined into the allocator hooks below, which run
 * on every allocation and free; the exported ones are the same code.
 */
static __always_inline bool __get_page_tag_ref(struct page *page, union codetag_ref *ref,
					       union pgtag_ref_handle *handle)
{
	struct page_ext *page_ext;
	union codetag_ref *tmp;

	if (!page)
		return false;
	if (unlikely(mem_profiling.compressed)) {
		/* The slot always exists: no RCU, no early path (§2.4). */
		SIM_POINT("read slot", &page->flags);
		idx_to_ref(pgalloc_tag_flags_idx(page), ref);
		handle->page = page;
		return true;
	}
	page_ext = page_ext_get(page);
	if (!page_ext)
		return false;
	tmp = codetag_ref_from_page_ext(page_ext);
	SIM_POINT("read slot", tmp);
	ref->ct = READ_ONCE(tmp->ct);
	handle->ref = tmp;
	return true;
}

bool get_page_tag_ref(struct page *page, union codetag_ref *ref,
		      union pgtag_ref_handle *handle)
{
	return __get_page_tag_ref(page, ref, handle);
}

static __always_inline void __update_page_tag_ref(union pgtag_ref_handle handle,
						  union codetag_ref *ref)
{
	if (unlikely(mem_profiling.compressed)) {
		struct page *page = handle.page;
		uint32_t idx, old, new;

		if (WARN_ON(!page || !ref))
			return;
		idx = ref_to_idx(ref) << PG_TAG_SHIFT;
		SIM_POINT("write slot", &page->flags);
		/* Only the tag bits change; the loop retries on any flags update. */
		old = page_flags(page);
		do {
			new = (old & ~PG_TAG_MASK) | idx;
		} while (unlikely(!__atomic_compare_exchange_n(&page->flags, &old, new, false,
								 __ATOMIC_SEQ_CST,
								 __ATOMIC_RELAXED)));
		return;
	}
	SIM_POINT("write slot", handle.ref);
	WRITE_ONCE(handle.ref->ct, ref->ct);
}

void update_page_tag_ref(union pgtag_ref_handle handle, union codetag_ref *ref)
{
	__update_page_tag_ref(handle, ref);
}

/*
 * update_page_tag_ref() that also tells bootsim what the store replaced, so
 * CLEAR can count the D4/D7 overwrites: the kernel's plain store, observed.
 */
struct codetag *update_page_tag_ref_observed(union pgtag_ref_handle handle,
					     union codetag_ref *ref)
{
	SIM_POINT("write slot", handle.ref);
	return __atomic_exchange_n(&handle.ref->ct, ref->ct, __ATOMIC_RELAXED);
}

/*
 * bootsim's own (no kernel counterpart): store @new only if the slot still
 * holds @old; on failure @old gets what the slot holds.  What a
 * compare-and-swap NULL → EMPTY in CLEAR would use to close D7.
 */
bool try_update_page_tag_ref(union pgtag_ref_handle handle, union codetag_ref *old,
			     union codetag_ref *new)
{
	SIM_POINT("cmpxchg slot", handle.ref);
	return __atomic_compare_exchange_n(&handle.ref->ct, &old->ct, new->ct, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

static __always_inline void __put_page_tag_ref(union pgtag_ref_handle handle)
{
	if (unlikely(mem_profiling.compressed))
		return;
	page_ext_put(page_ext_from_codetag_ref(handle.ref));
}

void put_page_tag_ref(union pgtag_ref_handle handle)
{
	__put_page_tag_ref(handle);
}

void clear_page_tag_ref(struct page *page)
{
	union pgtag_ref_handle handle;
	union codetag_ref ref;

	if (!mem_alloc_profiling_enabled())
		return;
	if (get_page_tag_ref(page, &ref, &handle)) {
		sim_note("clear_page_tag_ref: pfn %#lx slot %s := EMPTY", page_to_pfn(page),
			 codetag_ref_name(&ref));
		set_codetag_empty(&ref);
		update_page_tag_ref(handle, &ref);
		put_page_tag_ref(handle);
	}
}

/* EMPTY yields NULL too, since the array series (D16). */
struct alloc_tag *__pgalloc_tag_get(struct page *page)
{
	struct alloc_tag *tag = NULL;
	union pgtag_ref_handle handle;
	union codetag_ref ref;

	if (__get_page_tag_ref(page, &ref, &handle)) {
		alloc_tag_sub_check(&ref);
		if (ref.ct && !is_codetag_empty(&ref))
			tag = ct_to_alloc_tag(ref.ct);
		__put_page_tag_ref(handle);
	}
	return tag;
}

struct alloc_tag *pgalloc_tag_get(struct page *page)
{
	return mem_alloc_profiling_enabled() ? __pgalloc_tag_get(page) : NULL;
}

static __always_inline void __pgalloc_tag_add(struct page *page, struct task_struct *task,
					      unsigned int nr, gfp_t gfp,
					      unsigned int alloc_flags)
{
	union pgtag_ref_handle handle;
	union codetag_ref ref;

	if (likely(__get_page_tag_ref(page, &ref, &handle))) {
		alloc_tag_add(&ref, task->alloc_tag, PAGE_SIZE * nr);
		sim_note("pfn %#lx slot := %s", page_to_pfn(page), codetag_ref_name(&ref));
		__update_page_tag_ref(handle, &ref);
		__put_page_tag_ref(handle);
	} else {
		sim_note("pfn %#lx has no page_ext slot: early RECORD", page_to_pfn(page));
		/* No slot yet: remember the PFN so CLEAR can stamp it (§3). */
		alloc_tag_add_early_pfn(page_to_pfn(page), gfp, alloc_flags);
		if (task->alloc_tag)
			alloc_tag_set_inaccurate(task->alloc_tag);
	}
}

void pgalloc_tag_add(struct page *page, struct task_struct *task, unsigned int nr,
		     gfp_t gfp, unsigned int alloc_flags)
{
	if (mem_alloc_profiling_enabled())
		__pgalloc_tag_add(page, task, nr, gfp, alloc_flags);
}

static __always_inline void __pgalloc_tag_sub(struct page *page, unsigned int nr)
{
	union pgtag_ref_handle handle;
	union codetag_ref ref;

	if (mem_alloc_profiling_enabled() && __get_page_tag_ref(page, &ref, &handle)) {
		sim_note("pfn %#lx slot %s: %s", page_to_pfn(page), codetag_ref_name(&ref),
			 !ref.ct ? "nothing to subtract" : is_codetag_empty(&ref) ?
			 "untagged, nothing subtracted" : "subtracted");
		/* bootsim: the early-PFN code's own page warns here (D12) */
		if (!ref.ct && current->freeing_tracking_page)
			early_pfn_stat_inc(tracking_pages_freed_null);
		alloc_tag_sub(&ref, PAGE_SIZE * nr);
		__update_page_tag_ref(handle, &ref);
		__put_page_tag_ref(handle);
	}
}

void pgalloc_tag_sub(struct page *page, unsigned int nr)
{
	__pgalloc_tag_sub(page, nr);
}

void pgalloc_tag_sub_pages(struct alloc_tag *tag, unsigned int nr)
{
	if (mem_alloc_profiling_enabled() && tag)
		this_cpu_sub(tag->counters, bytes, (int64_t)(PAGE_SIZE * nr));
}

/* Tails take the head's tag only when the head has a real one (§2.5). */
void pgalloc_tag_split(struct page *page, unsigned int old_order, unsigned int new_order)
{
	unsigned int nr_pages = 1u << new_order;
	struct alloc_tag *tag;

	if (!mem_alloc_profiling_enabled())
		return;
	tag = __pgalloc_tag_get(page);
	if (!tag)
		return;
	for (unsigned int i = nr_pages; i < (1u << old_order); i += nr_pages) {
		union pgtag_ref_handle handle;
		union codetag_ref ref;

		if (get_page_tag_ref(page + i, &ref, &handle)) {
			alloc_tag_ref_set(&ref, tag);
			update_page_tag_ref(handle, &ref);
			put_page_tag_ref(handle);
		}
	}
}

static bool need_page_alloc_tagging(void)
{
	return mem_profiling.enabled && !mem_profiling.compressed;
}

static void init_page_alloc_tagging(void)
{
	clear_early_alloc_pfn_tag_refs();
}

struct page_ext_operations page_alloc_tagging_ops = {
	.name = "page_alloc_tagging",
	.size = sizeof(union codetag_ref),
	.need = need_page_alloc_tagging,
	.init = init_page_alloc_tagging,
};

/* The hooks are the kernel's inline wrappers: one call from the allocator. */
static void hook_post_alloc(struct page *page, unsigned int order, gfp_t gfp,
			    unsigned int alloc_flags)
{
	if (mem_alloc_profiling_enabled())
		__pgalloc_tag_add(page, current, 1u << order, gfp, alloc_flags);
}

static void hook_free_prepare(struct page *page, unsigned int order)
{
	__pgalloc_tag_sub(page, 1u << order);
}

const struct alloc_hooks pgalloc_tag_hooks = {
	.post_alloc = hook_post_alloc,
	.free_prepare = hook_free_prepare,
	.tag_get = pgalloc_tag_get,
	.tag_sub_pages = pgalloc_tag_sub_pages,
	.clear_tag_ref = clear_page_tag_ref,
	.split = pgalloc_tag_split,
	.key = &mem_profiling.enabled,
};

enum slot_state pgalloc_tag_peek(const struct page *page, struct alloc_tag **tag)
{
	struct page_ext *page_ext;
	struct codetag *ct;

	*tag = NULL;
	if (mem_profiling.compressed) {
		uint32_t idx = pgalloc_tag_flags_idx(page);

		if (idx == CODETAG_ID_NULL)
			return SLOT_NULL;
		if (idx == CODETAG_ID_EMPTY)
			return SLOT_EMPTY;
		*tag = codetag_from_index(idx - CODETAG_ID_FIRST);
		return *tag ? SLOT_TAG : SLOT_NULL;
	}
	rcu_read_lock();
	page_ext = lookup_page_ext(page);
	if (!page_ext) {
		rcu_read_unlock();
		return SLOT_MISSING;
	}
	ct = __atomic_load_n(&codetag_ref_from_page_ext(page_ext)->ct, __ATOMIC_RELAXED);
	rcu_read_unlock();
	if (!ct)
		return SLOT_NULL;
	if (ct == CODETAG_EMPTY)
		return SLOT_EMPTY;
	*tag = ct_to_alloc_tag(ct);
	return SLOT_TAG;
}
