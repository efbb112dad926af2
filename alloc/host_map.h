/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alloc/host_map.h - the host mappings behind simulated memory, kept from
 * one machine to the next.
 *
 * The explorer builds and tears down a machine per execution, thousands a
 * second.  A fresh mmap() costs a page fault (and a zeroed host page) for
 * every struct page block head and page body the machine touches, and the
 * munmap() a TLB shootdown across the worker's CPU threads: together most
 * of an execution's time.  So a released mapping is kept: the pages the last
 * machine made resident are found with the PAGEMAP_SCAN ioctl (Linux 6.7)
 * and zeroed in place, and the next machine of the same size gets it back,
 * reading as zeroes exactly like a fresh mapping.
 *
 *   | page of the released mapping   | made zero by                          |
 *   |--------------------------------|---------------------------------------|
 *   | never touched, or dropped      | nothing (reads as zero)               |
 *   | mapped to the shared zero page | nothing                               |
 *   | resident, written              | memset()                              |
 *   | swapped out                    | madvise(MADV_DONTNEED)                |
 *
 * A mapping whose resident pages exceed HOST_MAP_KEEP_MAX, or any mapping
 * when the kernel has no PAGEMAP_SCAN, is unmapped as before: only small
 * working sets are worth keeping, and RSS stays bounded.
 *
 * Concurrency contract:
 *
 *   | API                     | caller                                       |
 *   |-------------------------|----------------------------------------------|
 *   | host_map_get / _put     | any thread (a mutex guards the cache); the   |
 *   |                         | mapping must not be in use by anyone at put  |
 *   | host_map_drop_all       | same                                         |
 *
 * A forked child keeps the cache (private mappings are copied on write, so
 * they still read as zeroes) but reopens /proc/self/pagemap, which names the
 * address space of whoever opened it.
 */
#ifndef ALLOC_HOST_MAP_H
#define ALLOC_HOST_MAP_H

#include <stddef.h>

/* At most this much resident memory is zeroed and kept per mapping. */
#define HOST_MAP_KEEP_MAX	(32UL << 20)

/*
 * A private anonymous MAP_NORESERVE mapping of @bytes that reads as zeroes,
 * read-write; MAP_FAILED with errno set if none can be made.
 */
void *host_map_get(size_t bytes);
/* Give back a mapping of host_map_get(): kept for reuse, or unmapped. */
void host_map_put(void *addr, size_t bytes);
/* Unmap every kept mapping. */
void host_map_drop_all(void);

#endif /* ALLOC_HOST_MAP_H */
