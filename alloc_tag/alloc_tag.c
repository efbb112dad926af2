// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU counters of every tag, and reading them back.
 */
#include <string.h>

#include "alloc_tag.h"

struct mem_profiling_config mem_profiling = {
	.enabled = true,
	.debug = true,
	.compressed = false,
};

struct alloc_tag_counters alloc_tag_read(const struct alloc_tag *tag)
{
	struct alloc_tag_counters v = { 0, 0 };

	if (!tag->counters)
		return v;
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		v.bytes += per_cpu_read(tag->counters, cpu, bytes);
		v.calls += per_cpu_read(tag->counters, cpu, calls);
	}
	return v;
}

static void init_one(struct alloc_tag *tag, void *arg)
{
	int *err = arg;

	free_percpu(tag->counters);
	tag->ct.flags = 0;
	tag->counters = alloc_percpu(struct alloc_tag_counters);
	if (!tag->counters)
		*err = -1;
}

int alloc_tag_counters_init(void)
{
	int err = 0;

	codetag_iterate(init_one, &err);
	return err;
}

int alloc_tag_counters_attach(struct alloc_tag *tag)
{
	int err = 0;

	init_one(tag, &err);
	return err;
}

static void free_one(struct alloc_tag *tag, void *arg)
{
	(void)arg;
	free_percpu(tag->counters);
	tag->counters = NULL;
}

void alloc_tag_counters_free(void)
{
	codetag_iterate(free_one, NULL);
}

const char *codetag_display_filename(const char *filename)
{
	while (!strncmp(filename, "../", 3) || !strncmp(filename, "./", 2))
		filename += filename[1] == '/' ? 2 : 3;
	return filename;
}
