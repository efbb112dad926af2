// SPDX-License-Identifier: GPL-2.0
/*
 * Enumeration of call-site tags: the linker-made "alloc_tags" section plus
 * tags created at run time.
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
	pthread_mutex_unlock(&dyn_lock);
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
