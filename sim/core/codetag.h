/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/codetag.h - call-site tags and alloc_hooks() (§2.2).
 *
 * This is the generic half of allocation tagging (lib/codetag.c and the
 * alloc_hooks() macro): every hooked allocation macro owns a static tag for
 * its call site, placed in the "alloc_tags" section so the whole set can be
 * enumerated, and installs it in current->alloc_tag around the real call.
 * The semantics (counters, slots, checks) live in alloc_tag/.  It sits in the
 * shim because every layer, page_ext/ included, makes hooked allocations.
 *
 * Layout contract: sizeof(struct alloc_tag) is a multiple of its alignment, so
 * the section is a packed array [__start_alloc_tags, __stop_alloc_tags).
 */
#ifndef SIM_CORE_CODETAG_H
#define SIM_CORE_CODETAG_H

#include <stdint.h>
#include "compiler.h"
#include "printk.h"
#include "sched.h"

#define CODETAG_FLAG_INACCURATE	(1u << 0)

struct codetag {
	unsigned int flags;
	unsigned int lineno;
	const char *modname;	/* NULL for built-in code */
	const char *function;
	const char *filename;
} __attribute__((aligned(8)));

struct alloc_tag_counters {
	int64_t bytes;
	int64_t calls;
};

/* The codetag is the first member: a tag and its codetag share an address. */
struct alloc_tag {
	struct codetag ct;
	struct alloc_tag_counters __percpu *counters;
	/* bootsim: 1 + creation order of a run-time tag; 0 for static ones */
	unsigned int dyn_id;
} __attribute__((aligned(8)));

BUILD_BUG_ON(sizeof(struct alloc_tag) % 8 != 0);

#define ALLOC_TAG_SECTION "alloc_tags"

#define DEFINE_ALLOC_TAG(_tag)						\
	static struct alloc_tag _tag					\
	__attribute__((used, section(ALLOC_TAG_SECTION), aligned(8))) = { \
		.ct = { .lineno = __LINE__, .modname = NULL,		\
			.function = __func__, .filename = __FILE__ } }

static inline struct alloc_tag *alloc_tag_save(struct alloc_tag *tag)
{
	struct alloc_tag *old = current->alloc_tag;

	current->alloc_tag = tag;
	return old;
}

static inline void alloc_tag_restore(struct alloc_tag *tag, struct alloc_tag *old)
{
	WARN(current->alloc_tag != tag, "current->alloc_tag was changed:\n");
	current->alloc_tag = old;
}

#define alloc_hooks_tag(_tag, _do_alloc)				\
	({								\
		struct alloc_tag *__old = alloc_tag_save(_tag);		\
		__typeof__(_do_alloc) __res = _do_alloc;		\
		alloc_tag_restore(_tag, __old);				\
		__res;							\
	})

#define alloc_hooks(_do_alloc)						\
	({								\
		DEFINE_ALLOC_TAG(__alloc_tag);				\
		alloc_hooks_tag(&__alloc_tag, _do_alloc);		\
	})

/* The static tags of the whole program, in link order. */
struct alloc_tag *codetag_section_start(void);
struct alloc_tag *codetag_section_stop(void);

/* Tags made at run time (one per task name or gfp string in trace replay). */
struct alloc_tag *codetag_new_dynamic(const char *filename, unsigned int lineno,
				      const char *function, const char *modname);
void codetag_free_dynamic(void);

/* Every tag, static then dynamic. */
#define codetag_for_each(fn, arg) codetag_iterate((fn), (arg))
void codetag_iterate(void (*fn)(struct alloc_tag *tag, void *arg), void *arg);

/*
 * Registration indexes, for compressed-mode tag references (§2.2): static
 * tags are 0..n-1 in link order (the kernel's tags), run-time tags follow in
 * creation order (like module tags); codetag_free_dynamic() restarts them.
 *
 *   | API                 | context                 | notes                     |
 *   |---------------------|-------------------------|---------------------------|
 *   | codetag_index       | any thread              | of a tag it holds         |
 *   | codetag_from_index  | any thread, lock-free   | NULL for an unused index; |
 *   |                     |                         | may race with creation    |
 *   | codetag_count       | any thread              | static + dynamic so far   |
 *   | codetag_new_dynamic | any thread (host mutex) | publishes the index last  |
 *   | codetag_free_dynamic| no reader running       | frees tags and the index  |
 */
#define CODETAG_NO_INDEX	UINT32_MAX
/* Run-time tags beyond this many get no index (CODETAG_NO_INDEX). */
#define CODETAG_MAX_DYNAMIC	(1u << 22)
uint32_t codetag_index(const struct alloc_tag *tag);
struct alloc_tag *codetag_from_index(uint32_t idx);
uint32_t codetag_count(void);

#endif /* SIM_CORE_CODETAG_H */
