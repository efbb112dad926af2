// SPDX-License-Identifier: GPL-2.0
/*
 * Enumeration of call-site tags: the linker-made "alloc_tags" section plus
 * tags created at run time, and their registration indexes.
 *
 * The index → tag table of run-time tags is read without a lock (by the
 * compressed-mode slot decoder on any simulated CPU, §2.4): it is two-level,
 * chunks of DYN_CHUNK pointers that never move once published, each pointer
 * stored with release before the count that covers it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "codetag.h"

extern struct alloc_tag __start_alloc_tags[] __attribute__((weak));
extern struct alloc_tag __stop_alloc_tags[] __attribute__((weak));

struct alloc_tag *codetag_section_start(void)
{
	return __start_alloc_tags;
}

struct alloc_tag *codetag_section_stop(void)
{
	return __stop_alloc_tags;
}

struct dynamic_tag {
	struct alloc_tag tag;
	struct dynamic_tag *next;
	char strings[];
};

static pthread_mutex_t dyn_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dynamic_tag *dyn_head, **dyn_tail = &dyn_head;

#define DYN_CHUNK_SHIFT		12
#define DYN_CHUNK		(1u << DYN_CHUNK_SHIFT)
#define DYN_CHUNKS		(CODETAG_MAX_DYNAMIC / DYN_CHUNK)
static struct alloc_tag **dyn_index[DYN_CHUNKS];
static uint32_t nr_dyn;		/* under dyn_lock; read with acquire */

static uint32_t nr_static(void)
{
	return (uint32_t)(codetag_section_stop() - codetag_section_start());
}

/* Give @tag the next index; dyn_lock held.  False: host out of memory. */
static bool index_dynamic(struct alloc_tag *tag)
{
	uint32_t k = nr_dyn;
	struct alloc_tag **chunk;

	if (k >= CODETAG_MAX_DYNAMIC)
		return true;		/* left without an index */
	chunk = dyn_index[k >> DYN_CHUNK_SHIFT];
	if (!chunk) {
		chunk = calloc(DYN_CHUNK, sizeof(*chunk));
		if (!chunk)
			return false;
		__atomic_store_n(&dyn_index[k >> DYN_CHUNK_SHIFT], chunk, __ATOMIC_RELEASE);
	}
	tag->dyn_id = k + 1;
	__atomic_store_n(&chunk[k & (DYN_CHUNK - 1)], tag, __ATOMIC_RELEASE);
	__atomic_store_n(&nr_dyn, k + 1, __ATOMIC_RELEASE);
	return true;
}

struct alloc_tag *codetag_new_dynamic(const char *filename, unsigned int lineno,
				      const char *function, const char *modname)
{
	size_t lf = strlen(filename) + 1, lfn = strlen(function) + 1;
	size_t lm = modname ? strlen(modname) + 1 : 0;
	struct dynamic_tag *d = calloc(1, sizeof(*d) + lf + lfn + lm);
	char *s;

	if (!d)
		return NULL;
	s = d->strings;
	d->tag.ct.filename = memcpy(s, filename, lf);
	d->tag.ct.function = memcpy(s + lf, function, lfn);
	d->tag.ct.modname = modname ? memcpy(s + lf + lfn, modname, lm) : NULL;
	d->tag.ct.lineno = lineno;
	pthread_mutex_lock(&dyn_lock);
	if (!index_dynamic(&d->tag)) {
		pthread_mutex_unlock(&dyn_lock);
		free(d);
		return NULL;
	}
	*dyn_tail = d;
	dyn_tail = &d->next;
	pthread_mutex_unlock(&dyn_lock);
	return &d->tag;
}

void codetag_free_dynamic(void)
{
	struct dynamic_tag *d, *next;

	pthread_mutex_lock(&dyn_lock);
	for (d = dyn_head; d; d = next) {
		next = d->next;
		free(d);
	}
	dyn_head = NULL;
	dyn_tail = &dyn_head;
	__atomic_store_n(&nr_dyn, 0, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < DYN_CHUNKS && dyn_index[i]; i++) {
		free(dyn_index[i]);
		dyn_index[i] = NULL;
	}
	pthread_mutex_unlock(&dyn_lock);
}

uint32_t codetag_index(const struct alloc_tag *tag)
{
	uintptr_t t = (uintptr_t)tag;
	uintptr_t start = (uintptr_t)codetag_section_start();
	uintptr_t stop = (uintptr_t)codetag_section_stop();

	if (t >= start && t < stop)
		return (uint32_t)((t - start) / sizeof(*tag));
	if (!tag->dyn_id)
		return CODETAG_NO_INDEX;	/* never registered */
	return nr_static() + tag->dyn_id - 1;
}

struct alloc_tag *codetag_from_index(uint32_t idx)
{
	uint32_t ns = nr_static(), k;
	struct alloc_tag **chunk;

	if (idx < ns)
		return codetag_section_start() + idx;
	k = idx - ns;
	if (k >= __atomic_load_n(&nr_dyn, __ATOMIC_ACQUIRE))
		return NULL;
	chunk = __atomic_load_n(&dyn_index[k >> DYN_CHUNK_SHIFT], __ATOMIC_ACQUIRE);
	return __atomic_load_n(&chunk[k & (DYN_CHUNK - 1)], __ATOMIC_ACQUIRE);
}

uint32_t codetag_count(void)
{
	return nr_static() + __atomic_load_n(&nr_dyn, __ATOMIC_ACQUIRE);
}

void codetag_iterate(void (*fn)(struct alloc_tag *tag, void *arg), void *arg)
{
	struct alloc_tag *t;
	struct dynamic_tag *d;

	for (t = codetag_section_start(); t && t < codetag_section_stop(); t++)
		fn(t, arg);
	for (d = dyn_head; d; d = d->next)
		fn(&d->tag, arg);
}
