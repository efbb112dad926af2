// SPDX-License-Identifier: GPL-2.0
/*
 * Host mappings for simulated memory, zeroed in place and kept for the next
 * machine (host_map.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host_map.h"

/*
 * The PAGEMAP_SCAN ABI (include/uapi/linux/fs.h, Linux 6.7), spelt out
 * because the distributions' headers may predate it; the kernel checks
 * arg.size, so a layout mismatch fails cleanly.
 */
#define HM_PAGE_IS_PRESENT	(1ULL << 3)
#define HM_PAGE_IS_SWAPPED	(1ULL << 4)
#define HM_PAGE_IS_PFNZERO	(1ULL << 5)

struct hm_page_region {
	uint64_t start, end, categories;
};

struct hm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};

#define HM_PAGEMAP_SCAN		_IOWR('f', 16, struct hm_scan_arg)

#define CACHE_SLOTS	4
#define SCAN_VEC	256

struct kept {
	void *addr;
	size_t bytes;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct kept cache[CACHE_SLOTS];
static int pagemap_fd = -1;
static bool scan_unsupported;
static bool atfork_done;
static int next_evict;

static void *fresh_map(size_t bytes)
{
	return mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}

/* The child's /proc/self/pagemap must be its own, not the parent's. */
static void atfork_child(void)
{
	if (pagemap_fd >= 0)
		close(pagemap_fd);
	pagemap_fd = -1;
	pthread_mutex_init(&lock, NULL);
}

static int open_pagemap(void)
{
	if (pagemap_fd >= 0 || scan_unsupported)
		return pagemap_fd;
	if (!atfork_done) {
		if (pthread_atfork(NULL, NULL, atfork_child)) {
			scan_unsupported = true;
			return -1;
		}
		atfork_done = true;
	}
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pagemap_fd < 0)
		scan_unsupported = true;
	return pagemap_fd;
}

struct regions {
	struct hm_page_region *v;
	size_t n, cap;
	size_t present_bytes;
};

/*
 * Collect the pages of [@addr, +@bytes) that do not read as zero by
 * themselves: resident (but not the shared zero page) or swapped out.
 * Returns 0, or -1 when the kernel cannot tell (no PAGEMAP_SCAN).
 */
static int scan_nonzero(void *addr, size_t bytes, struct regions *r)
{
	struct hm_page_region vec[SCAN_VEC];
	struct hm_scan_arg arg = {
		.size = sizeof(arg),
		.start = (uintptr_t)addr,
		.end = (uintptr_t)addr + bytes,
		.vec = (uintptr_t)vec,
		.vec_len = SCAN_VEC,
		/* "not the zero page" and "present or swapped" */
		.category_inverted = HM_PAGE_IS_PFNZERO,
		.category_mask = HM_PAGE_IS_PFNZERO,
		.category_anyof_mask = HM_PAGE_IS_PRESENT | HM_PAGE_IS_SWAPPED,
		.return_mask = HM_PAGE_IS_PRESENT | HM_PAGE_IS_SWAPPED,
	};
	int fd = open_pagemap();

	if (fd < 0)
		return -1;
	for (;;) {
		long n = ioctl(fd, HM_PAGEMAP_SCAN, &arg);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP)
				scan_unsupported = true;
			return -1;
		}
		for (long i = 0; i < n; i++) {
			if (r->n == r->cap) {
				size_t cap = r->cap ? 2 * r->cap : SCAN_VEC;
				struct hm_page_region *v = realloc(r->v, cap * sizeof(*v));

				if (!v)
					return -1;
				r->v = v;
				r->cap = cap;
			}
			r->v[r->n++] = vec[i];
			if (vec[i].categories & HM_PAGE_IS_PRESENT)
				r->present_bytes += vec[i].end - vec[i].start;
		}
		if (arg.walk_end >= arg.end)
			return 0;
		arg.start = arg.walk_end;
	}
}

/* Make a released mapping read as zeroes again; false: unmap it instead. */
static bool zero_in_place(void *addr, size_t bytes)
{
	struct regions r = { 0 };
	bool ok = false;

	if (scan_nonzero(addr, bytes, &r) || r.present_bytes > HOST_MAP_KEEP_MAX)
		goto out;
	for (size_t i = 0; i < r.n; i++) {
		void *p = (void *)(uintptr_t)r.v[i].start;
		size_t len = r.v[i].end - r.v[i].start;

		/* A region is all present or all swapped (return_mask). */
		if (r.v[i].categories & HM_PAGE_IS_PRESENT)
			memset(p, 0, len);
		else if (madvise(p, len, MADV_DONTNEED))
			goto out;
	}
	ok = true;
out:
	free(r.v);
	return ok;
}

void *host_map_get(size_t bytes)
{
	void *addr = NULL;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (cache[i].addr && cache[i].bytes == bytes) {
			addr = cache[i].addr;
			cache[i].addr = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	return addr ? addr : fresh_map(bytes);
}

void host_map_put(void *addr, size_t bytes)
{
	void *evict = NULL;
	size_t evict_bytes = 0;
	int slot = -1;

	if (!addr || addr == MAP_FAILED)
		return;
	pthread_mutex_lock(&lock);
	if (!zero_in_place(addr, bytes)) {
		pthread_mutex_unlock(&lock);
		munmap(addr, bytes);
		return;
	}
	for (int i = 0; i < CACHE_SLOTS && slot < 0; i++)
		if (!cache[i].addr)
			slot = i;
	if (slot < 0) {
		slot = next_evict;
		next_evict = (next_evict + 1) % CACHE_SLOTS;
		evict = cache[slot].addr;
		evict_bytes = cache[slot].bytes;
	}
	cache[slot] = (struct kept){ addr, bytes };
	pthread_mutex_unlock(&lock);
	if (evict)
		munmap(evict, evict_bytes);
}

void host_map_drop_all(void)
{
	struct kept old[CACHE_SLOTS];

	pthread_mutex_lock(&lock);
	memcpy(old, cache, sizeof(old));
	memset(cache, 0, sizeof(cache));
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (old[i].addr)
			munmap(old[i].addr, old[i].bytes);
}
