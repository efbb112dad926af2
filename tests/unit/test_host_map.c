// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the host mappings behind simulated memory (alloc/host_map.c):
 * whatever the last machine wrote, the next one starts from zeroes, in this
 * process and in a forked child (the explorer's worker).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "alloc/host_map.h"
#include "alloc/mm.h"

#define MiB (1UL << 20)

static bool all_zero(const unsigned char *p, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Dirty pages here and there (which ones depends on @shift), and read (map
 * the zero page) some others.
 */
static void scribble(unsigned char *p, size_t bytes, size_t shift)
{
	volatile unsigned char sink = 0;

	for (size_t off = shift * 4096; off < bytes; off += 37 * 4096 + 123)
		p[off] = 0xa5;
	memset(p + bytes / 2 + shift * 4096, 0x5a, 3 * 4096 + 17);
	for (size_t off = 4096; off < bytes; off += 101 * 4096)
		sink += p[off];
	(void)sink;
}

static void test_mapping_given_back_reads_as_zero_when_handed_out_again(void **state)
{
	size_t bytes = 64 * MiB;
	unsigned char *p;

	(void)state;
	for (int round = 0; round < 3; round++) {
		p = host_map_get(bytes);
		assert_ptr_not_equal(p, MAP_FAILED);
		assert_true(all_zero(p, bytes));
		scribble(p, bytes, (size_t)round);
		host_map_put(p, bytes);
	}
	host_map_drop_all();
}

static void test_mapping_with_more_than_keep_max_resident_is_still_zero_next_time(void **state)
{
	size_t bytes = HOST_MAP_KEEP_MAX + 8 * MiB;
	unsigned char *p;

	(void)state;
	p = host_map_get(bytes);
	assert_ptr_not_equal(p, MAP_FAILED);
	memset(p, 0xff, bytes);
	host_map_put(p, bytes);
	p = host_map_get(bytes);
	assert_ptr_not_equal(p, MAP_FAILED);
	assert_true(all_zero(p, bytes));
	host_map_put(p, bytes);
	host_map_drop_all();
}

/* /proc/self/pagemap opened before a fork names the parent's pages. */
static void test_forked_child_zeroes_its_own_pages_not_the_parents(void **state)
{
	size_t bytes = 16 * MiB;
	unsigned char *p;
	pid_t pid;
	int ws;

	(void)state;
	p = host_map_get(bytes);
	assert_ptr_not_equal(p, MAP_FAILED);
	scribble(p, bytes, 0);
	host_map_put(p, bytes);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int round = 0; round < 2; round++) {
			p = host_map_get(bytes);
			if (p == MAP_FAILED || !all_zero(p, bytes))
				_exit(1);
			/* pages the parent never wrote */
			scribble(p, bytes, 5);
			host_map_put(p, bytes);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	p = host_map_get(bytes);
	assert_true(all_zero(p, bytes));
	host_map_put(p, bytes);
	host_map_drop_all();
}

static void test_machine_after_a_used_machine_of_the_same_size_starts_clean(void **state)
{
	struct mem_params mp = {
		.mem_bytes = 64 * MiB,
		.bits_per_long = 64,
		.reserved_low_pages = 256,
	};
	struct page *pages[64];

	(void)state;
	assert_int_equal(mem_setup(&mp), 0);
	for (int i = 0; i < 64; i++) {
		pages[i] = alloc_pages_noprof(GFP_KERNEL, (unsigned int)(i % 4));
		assert_non_null(pages[i]);
		memset(page_address(pages[i]), 0xc3, PAGE_SIZE << (i % 4));
	}
	for (int i = 0; i < 64; i += 2)
		__free_pages(pages[i], (unsigned int)(i % 4));
	mem_teardown();

	assert_int_equal(mem_setup(&mp), 0);
	assert_true(all_zero(contig_page_data.phys, contig_page_data.phys_bytes));
	assert_int_equal(mem_check_invariants(stderr), 0);
	for (unsigned long pfn = 256; pfn < max_pfn; pfn++) {
		const struct page *pg = pfn_to_page(pfn);

		/* only free block heads are written by a fresh setup */
		if (!(page_flags(pg) & PG_buddy))
			assert_int_equal(page_flags(pg), 0);
	}
	mem_teardown();
	host_map_drop_all();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapping_given_back_reads_as_zero_when_handed_out_again),
		cmocka_unit_test(test_mapping_with_more_than_keep_max_resident_is_still_zero_next_time),
		cmocka_unit_test(test_forked_child_zeroes_its_own_pages_not_the_parents),
		cmocka_unit_test(test_machine_after_a_used_machine_of_the_same_size_starts_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
