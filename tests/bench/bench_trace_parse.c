// SPDX-License-Identifier: GPL-2.0
/*
 * bench_trace_parse - parser throughput on synthetic ftrace text.
 *
 *   bench_trace_parse [LINES [RUNS]]     synthetic lines (default 1000000, 7 runs)
 *   bench_trace_parse --file PATH [RUNS] a real trace, opened anew each run
 *   bench_trace_parse --write PATH [LINES] write the synthetic text to PATH
 *
 * The synthetic mix follows the real sample (shared/traces): per 100 lines
 * about 25 mm_page_alloc with a handful of distinct gfp strings, 44
 * mm_page_free, 2 mm_page_free_batched, 2 console, 26 function lines and an
 * unrelated event.  Reports the median over RUNS of lines/s and MB/s, next
 * to a baseline that only copies the text block by block and splits lines
 * with memchr() (what any reader of the file must do).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/bench.h"
#include "sim/trace_parse.h"

static const char *const gfps[] = {
	"GFP_KERNEL|__GFP_RETRY_MAYFAIL|__GFP_COMP|__GFP_ZERO",
	"GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP",
	"GFP_HIGHUSER_MOVABLE|__GFP_COMP",
	"GFP_KERNEL",
	"__GFP_IO|__GFP_FS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC",
	"GFP_KERNEL_ACCOUNT|__GFP_COMP|__GFP_ZERO",
};
static const char *const tasks[] = {
	"<idle>-0", "kworker/u8:0-44", "init-1", "cpuhp/1-30", "pgdatinit0-42", "systemd-udevd-97",
};

static char *synth(unsigned long lines, size_t *len)
{
	size_t cap = lines * 200 + 1, pos = 0;
	char *s = malloc(cap);
	unsigned long long x = 88172645463325252ull;

	if (!s)
		return NULL;
	for (unsigned long i = 0; i < lines; i++) {
		unsigned int r, cpu;
		double ts = 0.5 + (double)i * 1e-6;
		const char *task;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = (unsigned int)(x % 100);
		cpu = (unsigned int)(x >> 32) % 4;
		task = tasks[(x >> 40) % 6];
		pos += (size_t)snprintf(s + pos, cap - pos, "%16s [%03u] d..1. %12.6f: ", task, cpu, ts);
		if (r < 25)
			pos += (size_t)snprintf(s + pos, cap - pos,
				"mm_page_alloc: page=00000000%08llx pfn=0x%llx order=%u migratetype=0 gfp_flags=%s\n",
				x & 0xffffffffull, (x >> 8) & 0xfffff, (unsigned int)(x >> 20) % 4,
				gfps[(x >> 24) % 6]);
		else if (r < 69)
			pos += (size_t)snprintf(s + pos, cap - pos,
				"mm_page_free: page=00000000%08llx pfn=0x%llx order=%u\n",
				x & 0xffffffffull, (x >> 8) & 0xfffff, (unsigned int)(x >> 20) % 11);
		else if (r < 71)
			pos += (size_t)snprintf(s + pos, cap - pos,
				"mm_page_free_batched: page=00000000%08llx pfn=0x%llx order=0\n",
				x & 0xffffffffull, (x >> 8) & 0xfffff);
		else if (r < 73)
			pos += (size_t)snprintf(s + pos, cap - pos,
				"console: Memory: 2014752K/2096632K available (kernel code %llu)\n", x % 1000);
		else if (r < 99)
			pos += (size_t)snprintf(s + pos, cap - pos,
				"__alloc_pages_noprof <-alloc_pages_mpol_noprof\n");
		else
			pos += (size_t)snprintf(s + pos, cap - pos,
				"alloc_vmap_area: va_start: 18410910525903863808 size=20480 align=1 failed=0\n");
	}
	*len = pos;
	return s;
}

/* Copy blocks and split lines: the floor any text reader pays. */
static unsigned long split_only(const char *text, size_t len)
{
	static char block[TRACE_BLOCK];
	unsigned long lines = 0;

	for (size_t off = 0; off < len; off += TRACE_BLOCK) {
		size_t n = len - off < TRACE_BLOCK ? len - off : TRACE_BLOCK;
		const char *p = block, *end = block + n, *nl;

		memcpy(block, text + off, n);
		while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
			lines++;
			p = nl + 1;
		}
	}
	return lines;
}

static unsigned long parse(const char *path, const char *text, size_t len,
			   unsigned long long *bytes)
{
	struct trace_reader *r;
	struct trace_event ev;
	unsigned long n = 0;
	char err[512];
	int ret;

	r = path ? trace_open(path, err, sizeof(err))
		 : trace_open_mem("synthetic", text, len, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	while ((ret = trace_next(r, &ev, err, sizeof(err))) == 1)
		n++;
	if (ret) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	*bytes = trace_stats(r)->bytes;
	n = trace_stats(r)->lines;
	trace_close(r);
	return n;
}

int main(int argc, char **argv)
{
	unsigned long lines = 1000000, got = 0;
	const char *path = NULL;
	unsigned long long bytes = 0;
	int runs = 7, a = 1;
	double t_parse[64], t_split[64];
	struct bench_stats sp, ss;
	size_t len = 0;
	char *text = NULL;

	if (a + 1 < argc && !strcmp(argv[a], "--write")) {
		FILE *f = fopen(argv[a + 1], "w");

		if (a + 2 < argc)
			lines = strtoul(argv[a + 2], NULL, 0);
		text = synth(lines, &len);
		if (!f || !text || fwrite(text, 1, len, f) != len || fclose(f)) {
			perror(argv[a + 1]);
			return 2;
		}
		free(text);
		return 0;
	}
	if (a < argc && !strcmp(argv[a], "--file")) {
		if (a + 1 >= argc) {
			fprintf(stderr, "usage: %s --file PATH [RUNS]\n", argv[0]);
			return 2;
		}
		path = argv[a + 1];
		a += 2;
	} else if (a < argc) {
		lines = strtoul(argv[a++], NULL, 0);
	}
	if (a < argc)
		runs = atoi(argv[a]);
	if (runs < 1 || runs > 64)
		runs = 7;
	if (!path) {
		text = synth(lines, &len);
		if (!text)
			return 3;
	}
	for (int i = 0; i < runs; i++) {
		double t0 = bench_now();

		got = parse(path, text, len, &bytes);
		t_parse[i] = bench_now() - t0;
		if (text) {
			t0 = bench_now();
			if (split_only(text, len) != got)
				return 3;
			t_split[i] = bench_now() - t0;
		}
	}
	bench_stats(t_parse, (unsigned int)runs, &sp);
	printf("trace_parse: %lu lines, %.1f MB%s, median of %d runs\n", got, (double)bytes / 1e6,
	       path ? " (decompressed)" : "", runs);
	printf("  parse:      %8.3f ms  %7.2f M lines/s  %8.1f MB/s  (best %.2f M lines/s)\n",
	       sp.median * 1e3, (double)got / sp.median / 1e6, (double)bytes / sp.median / 1e6,
	       (double)got / sp.min / 1e6);
	if (text) {
		bench_stats(t_split, (unsigned int)runs, &ss);
		printf("  split only: %8.3f ms  %7.2f M lines/s  %8.1f MB/s\n", ss.median * 1e3,
		       (double)got / ss.median / 1e6, (double)len / ss.median / 1e6);
	}
	free(text);
	return 0;
}
