/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared fixtures: bring a quiet machine up and down around each test.
 */
#ifndef TESTS_TEST_UTIL_H
#define TESTS_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sim/core/printk.h"
#include "sim/machine.h"
#include "alloc_tag/alloc_tag.h"
#include "alloc_tag/pgalloc_tag.h"
#include "alloc_tag/early_pfn.h"

static inline void test_machine_up(unsigned long long mem, unsigned int cpus)
{
	struct machine_config cfg;
	char err[256];

	machine_config_defaults(&cfg);
	cfg.mem_bytes = mem;
	cfg.cpus = cpus;
	cfg.kmemleak = false;
	sim_log_set_stream(NULL);
	sim_log_set_echo(true);
	assert_int_equal(machine_setup(&cfg, err, sizeof(err)), 0);
}

static inline void test_machine_down(void)
{
	machine_teardown();
	sim_log_set_echo(false);
}

/* The tag whose function is @func (the first one, in link order). */
struct find_tag_ctx {
	const char *func;
	struct alloc_tag *found;
};

static inline void find_tag_cb(struct alloc_tag *tag, void *arg)
{
	struct find_tag_ctx *c = arg;

	if (!c->found && !strcmp(tag->ct.function, c->func))
		c->found = tag;
}

static inline struct alloc_tag *find_tag_by_func(const char *func)
{
	struct find_tag_ctx c = { func, NULL };

	codetag_iterate(find_tag_cb, &c);
	return c.found;
}

/* Counters summed over every tag of @func (a function may hold several sites). */
struct sum_tag_ctx {
	const char *func;
	struct alloc_tag_counters sum;
};

static inline void sum_tag_cb(struct alloc_tag *tag, void *arg)
{
	struct sum_tag_ctx *c = arg;

	if (!strcmp(tag->ct.function, c->func)) {
		struct alloc_tag_counters v = alloc_tag_read(tag);

		c->sum.bytes += v.bytes;
		c->sum.calls += v.calls;
	}
}

static inline struct alloc_tag_counters sum_tags_by_func(const char *func)
{
	struct sum_tag_ctx c = { func, { 0, 0 } };

	codetag_iterate(sum_tag_cb, &c);
	return c.sum;
}

static inline enum slot_state slot_of(struct page *page)
{
	struct alloc_tag *tag;

	return pgalloc_tag_peek(page, &tag);
}

/* A fresh /tmp file holding @text; @path must be "...XXXXXX". */
static inline void write_temp_trace(char *path, const char *text)
{
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#endif /* TESTS_TEST_UTIL_H */
