/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/array.h - growable host arrays (bookkeeping lists, never
 * simulated memory): one doubling rule instead of a copy per list.
 */
#ifndef SIM_CORE_ARRAY_H
#define SIM_CORE_ARRAY_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * Make room for element @n of the array whose pointer is at @arrayp
 * (elements of @size bytes, *@cap allocated): doubles, starting at @first.
 * Returns false, the array untouched, when the host is out of memory.
 */
static inline bool array_reserve(void *arrayp, size_t *cap, size_t n, size_t size,
				 size_t first)
{
	size_t want;
	void *v;

	if (n < *cap)
		return true;
	want = *cap ? *cap * 2 : first;
	memcpy(&v, arrayp, sizeof(v));
	v = realloc(v, want * size);
	if (!v)
		return false;
	memcpy(arrayp, &v, sizeof(v));
	*cap = want;
	return true;
}

#endif /* SIM_CORE_ARRAY_H */
