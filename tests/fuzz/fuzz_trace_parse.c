// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_trace_parse - libFuzzer harness for sim/trace_parse.c.
 *
 *   CC=clang meson setup build-fuzz -Dfuzz=true
 *   ninja -C build-fuzz tests/fuzz/fuzz_trace_parse
 *   cp -r tests/fuzz/corpus build-fuzz/corpus
 *   build-fuzz/tests/fuzz/fuzz_trace_parse -max_total_time=60 -max_len=8192 build-fuzz/corpus
 *
 * Every input is read to the end twice: strict with the default block, and
 * lenient with the smallest block (so lines straddle refills).  Besides
 * ASan/UBSan/LSan, it checks what the API promises: events are well formed,
 * errors are sticky and say where, and at the end every line was counted
 * exactly once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/trace_parse.h"

#define CHECK(cond)								\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "fuzz_trace_parse: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);			\
			abort();						\
		}								\
	} while (0)

static void read_all(const uint8_t *data, size_t size, bool lenient, size_t block)
{
	char err[512], err2[512];
	struct trace_reader *r = trace_open_mem("fuzz", data, size, err, sizeof(err));
	const struct trace_stats *st;
	struct trace_event ev;
	unsigned long events = 0, sum = 0;
	volatile char sink = 0;
	int ret;

	if (!r) {
		CHECK(!strncmp(err, "fuzz: ", 6));
		return;
	}
	if (block)
		CHECK(trace_set_block_size(r, block) == 0);
	trace_set_lenient(r, lenient);
	st = trace_stats(r);
	while ((ret = trace_next(r, &ev, err, sizeof(err))) == 1) {
		CHECK((unsigned int)ev.kind <= TEV_OTHER);
		CHECK(ev.line == st->lines);
		CHECK(memchr(ev.task, '\0', sizeof(ev.task)));
		CHECK(ev.order <= TRACE_MAX_ORDER);
		CHECK(!ev.failed || (ev.kind == TEV_ALLOC && ev.pfn == 0));
		CHECK(ev.text_len <= TRACE_MAX_LINE);
		CHECK(!ev.text_len || ev.text);
		/* ev.text must be readable to its end. */
		for (size_t i = 0; i < ev.text_len; i++)
			sink ^= ev.text[i];
		events++;
	}
	(void)sink;
	for (int k = 0; k <= TEV_OTHER; k++)
		sum += st->events[k];
	CHECK(sum == events);
	if (ret == 0) {
		CHECK(events > 0);
		CHECK(st->lines == st->header_lines + st->blank_lines + events + st->bad_lines);
		CHECK(lenient || st->bad_lines == 0);
		CHECK(trace_next(r, &ev, err, sizeof(err)) == 0);
	} else {
		CHECK(ret == -1);
		CHECK(!strncmp(err, "fuzz:", 5));
		CHECK(trace_next(r, &ev, err2, sizeof(err2)) == -1);
		CHECK(!strcmp(err, err2));
	}
	CHECK(!st->bad_lines || trace_first_error(r));
	trace_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_all(data, size, false, 0);
	read_all(data, size, true, TRACE_MAX_LINE + 1);
	return 0;
}
