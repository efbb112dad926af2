/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/trace_parse.h - streaming reader of ftrace text (DESIGN.md "Traces").
 *
 * Input is what /sys/kernel/tracing/trace and `trace-cmd report` print, and
 * what `bootsim boot --record` writes (shared/traces/README.md):
 *
 *   TASK-PID [(TGID)] [CPU] [FLAGS] SECONDS.FRACTION: EVENT: BODY
 *   TASK-PID [(TGID)] [CPU] [FLAGS] SECONDS.FRACTION: FUNCTION <-PARENT
 *
 *   EVENT mm_page_alloc         TEV_ALLOC  pfn= order= migratetype= gfp_flags=
 *         mm_page_free          TEV_FREE   pfn= order=
 *         mm_page_free_batched  TEV_FREE_BATCHED (repeats an mm_page_free)
 *         console               TEV_CONSOLE, text = the message
 *         bootsim_marker        TEV_MARKER, text = BODY
 *         tracing_mark_write    TEV_MARKER if BODY is "bootsim_marker: TEXT"
 *         anything else         TEV_OTHER, text = the event name
 *   FUNCTION <-PARENT           TEV_FUNC, text = "FUNCTION <-PARENT"
 *   CPU:N [LOST M EVENTS]       TEV_OTHER "lost_events", lost_events = M
 *   '#' lines, trace-cmd's "version = 6" / "cpus=2" / "CPU 1 is empty"
 *                               skipped, stats.header_lines
 *
 * The task ends at the last "-PID" before the [CPU] column, so it may hold
 * spaces, dashes and slashes.  pfn= is hex (0x...) or decimal; order= is
 * 0..10 (MAX_PAGE_ORDER); gfp_flags= is symbolic or hex (gfp_parse()).  An
 * ALLOC with pfn=0 is a failed allocation.  Range checks against a machine
 * (PFN beyond memory, double free) belong to the replay, not here.
 *
 * Streaming: memory is constant in the trace length (one block buffer of
 * TRACE_BLOCK bytes split into lines in place, plus the decompressor's
 * state).  A line is at most TRACE_MAX_LINE bytes before its newline.
 * Compression is recognised by content (magic bytes), so a renamed file or a
 * compressed stdin works too: gzip needs zlib, xz needs liblzma at build
 * time (HAVE_ZLIB / HAVE_LZMA); without them such a file is an error that
 * names the missing library.
 *
 * Errors name the place and what was expected:
 *   "PATH:LINE: found 'TEXT'; expected WHAT"
 * TEXT is at most ~60 printable characters; other bytes print as \xNN.
 * Strict mode (the default) stops at the first bad line and the error is
 * sticky (every later trace_next() returns -1 with the same message).
 * Lenient mode skips bad lines and counts them in stats.bad_lines;
 * trace_first_error() keeps the message of the first one.  I/O and
 * decompression errors, and a trace without a single event line ("empty
 * trace"), fail in both modes.
 *
 * Concurrency contract:
 *
 *   | API                          | context                 | locking          |
 *   |------------------------------|-------------------------|------------------|
 *   | trace_open / trace_open_mem  | any thread              | none (no globals)|
 *   | every call on one reader     | one thread at a time    | the caller's     |
 *   | readers of different traces  | any threads in parallel | none needed      |
 *   | ev->text                     | valid until the next trace_next() or |
 *   |                              | trace_close() on that reader           |
 */
#ifndef SIM_TRACE_PARSE_H
#define SIM_TRACE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc/gfp.h"

/* Longest accepted line, newline not counted. */
#define TRACE_MAX_LINE		4096
/* Bytes read (or decompressed) per block. */
#define TRACE_BLOCK		(1u << 20)
/* Orders a trace may name: 0..MAX_PAGE_ORDER of x86-64. */
#define TRACE_MAX_ORDER		10

enum trace_event_kind {
	TEV_ALLOC,
	TEV_FREE,
	TEV_FREE_BATCHED,
	TEV_CONSOLE,
	TEV_FUNC,
	TEV_MARKER,
	TEV_OTHER,
};

struct trace_event {
	enum trace_event_kind kind;
	unsigned long line;		/* 1-based line number in the file */
	int cpu;
	int pid;			/* -1 on a "CPU:N [LOST M EVENTS]" line */
	char task[64];			/* "kworker/u8:0", "<idle>" (longer ones cut) */
	uint64_t ts_ns;			/* "1.913220" -> 1913220000 */
	unsigned long pfn;		/* ALLOC, FREE, FREE_BATCHED */
	unsigned int order;
	int migratetype;		/* ALLOC */
	gfp_t gfp;			/* ALLOC */
	bool failed;			/* ALLOC with pfn=0 */
	/*
	 * CONSOLE: the message; FUNC: "page_ext_init <-page_alloc_init_late";
	 * MARKER: text after "bootsim_marker: "; OTHER: the event name.  NULL
	 * for ALLOC/FREE/FREE_BATCHED.  Not NUL-terminated: use text_len.
	 * Valid until the next trace_next() call.
	 */
	const char *text;
	size_t text_len;
	/* Added: OTHER "lost_events": events the ring buffer dropped on @cpu. */
	unsigned long lost_events;
};

struct trace_stats {
	unsigned long lines;		/* every line, bad and header ones too */
	unsigned long header_lines;	/* '#' and trace-cmd header lines */
	unsigned long blank_lines;
	unsigned long events[TEV_OTHER + 1];
	unsigned long bad_lines;	/* lenient mode: lines skipped */
	unsigned long long bytes;	/* text bytes read (after decompression) */
};

struct trace_reader;

/*
 * "-" is stdin; gzip and xz content is decompressed (see above).  Returns
 * NULL with "PATH: what went wrong" in @err (missing file, a directory,
 * unreadable, compressed without the library).
 */
struct trace_reader *trace_open(const char *path, char *err, size_t errlen);
/* Same on an in-memory buffer (tests, fuzzing); @name is used in messages. */
struct trace_reader *trace_open_mem(const char *name, const void *buf, size_t len,
				    char *err, size_t errlen);
/* Bad lines are skipped and counted in stats.bad_lines instead of failing. */
void trace_set_lenient(struct trace_reader *r, bool lenient);
/*
 * 1: *ev filled; 0: end of file; -1: bad input, @err =
 * "PATH:LINE: found 'TEXT'; expected WHAT".
 */
int trace_next(struct trace_reader *r, struct trace_event *ev, char *err, size_t errlen);
const struct trace_stats *trace_stats(const struct trace_reader *r);
void trace_close(struct trace_reader *r);

/* Added API. */

/* The name messages use: the path, "<stdin>" for "-", or the mem @name. */
const char *trace_name(const struct trace_reader *r);
/* Lenient mode: the message of the first skipped line, or NULL. */
const char *trace_first_error(const struct trace_reader *r);
/*
 * Use blocks of @bytes (at least TRACE_MAX_LINE + 1) instead of TRACE_BLOCK;
 * only before the first trace_next().  Tests and the fuzzer use small blocks
 * so that lines straddle refills.  Returns 0, or -1 (too late, or no memory).
 */
int trace_set_block_size(struct trace_reader *r, size_t bytes);
/* "mm_page_alloc", ..., "other": the kinds' names for reports. */
const char *trace_event_kind_name(enum trace_event_kind kind);

#endif /* SIM_TRACE_PARSE_H */
