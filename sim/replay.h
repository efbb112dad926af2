/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/replay.h - `bootsim replay`: drive a simulated machine with a real
 * ftrace allocation trace (mm_page_alloc / mm_page_free text).
 *
 * Every allocation claims the exact block the trace recorded, so the
 * simulator's page state mirrors the kernel's, and runs the allocator's
 * hooks, so the selected early-PFN variant sees it; page_ext becomes
 * available at the trace's marker.  Real traces are incomplete
 * (../shared/traces/README.md items 2-4); the policy, applied in this order:
 *
 *   | trace shows                              | replay does                        |
 *   |------------------------------------------|------------------------------------|
 *   | free of a block never seen allocated,    | memory coming online: nothing (the |
 *   |   order >= pageblock_order               |   machine starts with all free)    |
 *   | free of a block never seen allocated,    | an allocation made before tracing  |
 *   |   smaller                                |   or by the untraced bulk allocator:|
 *   |                                          |   claimed before the first event,  |
 *   |                                          |   so RECORD sees it as early       |
 *   | mm_page_free_batched of a free block     | the repeat of a free: nothing      |
 *   | free of a free block seen allocated,     | the bulk allocator re-allocated it |
 *   |   in a trace showing alloc_pages_bulk    |   unseen (item 4): nothing; with   |
 *   |   function lines                         |   no such lines: a double free     |
 *   | free inside a larger live block          | alloc_pages_exact: split, then free|
 *   | mm_page_alloc pfn=0                      | a failed allocation: counted       |
 *   | allocation of a block bootsim's own      | counted, skipped (bootsim's pages  |
 *   |   pages (page_ext, pool pages) hold      |   are extra to the real kernel's)  |
 *   | allocation with __GFP_NO_OBJ_EXT         | the traced kernel's tracking page: |
 *   |                                          |   its free clears the tag ref first|
 *   |                                          |   (its CLEAR did), checks nothing  |
 *   | allocation of a block the trace holds,   | bad input: exit 2 with file:line   |
 *   |   double free, PFN beyond --mem          |   (--lenient: skipped, counted)    |
 *
 * The trace is read twice when it is a file (the first pass sizes the
 * machine and finds the blocks allocated before tracing); standard input is
 * read once and needs --mem.
 *
 * Ordering `timestamp`: one host thread plays every CPU in the order of the
 * file (the kernel merges CPUs by timestamp), switching the simulated CPU
 * identity per event: deterministic, and the fastest.  Ordering `free`:
 * see struct replay_plan below.
 *
 * page_ext: at the first marker page_ext_init() runs in one piece, except
 * in a trace with bootsim's section markers (a `boot --record` file): then
 * an extra simulated CPU runs it and stops at each of its marks until the
 * trace reaches that mark, so frees inside the window stay inside it.
 */
#ifndef SIM_REPLAY_H
#define SIM_REPLAY_H

#include <stdint.h>
#include <stdio.h>

#include "machine.h"
#include "oracles.h"

enum replay_tag_by {
	REPLAY_TAG_BY_TASK,	/* one tag per task name: "trace:<task>" */
	REPLAY_TAG_BY_GFP,	/* one tag per gfp string */
};

enum replay_marker_at {
	REPLAY_MARKER_TRACE,	/* console / function / bootsim marker lines */
	REPLAY_MARKER_TS,	/* --page-ext-at SECONDS */
	REPLAY_MARKER_LINE,	/* --page-ext-at LINE (an integer) */
};

enum replay_ordering {
	REPLAY_ORDER_TIMESTAMP,	/* one thread, the file's global order */
	REPLAY_ORDER_FREE,	/* one thread per CPU, racing (replay_plan.c) */
};

struct replay_options {
	const char *path;		/* "-": standard input */
	struct machine_config machine;	/* mem_bytes 0: sized from the trace */
	enum replay_tag_by tag_by;
	enum replay_marker_at marker_at;
	uint64_t marker_value;		/* ns or line */
	enum replay_ordering ordering;
	bool lenient;
	FILE *log;			/* kernel log; NULL: quiet */
};

struct replay_counts {
	unsigned long lines, allocs, alloc_pages, frees, free_pages;
	unsigned long failed_allocs;		/* pfn=0 */
	unsigned long early_allocs, early_alloc_pages;	/* before the marker */
	unsigned long before_tracing, before_tracing_pages;	/* claimed up front */
	unsigned long online_frees, online_pages;	/* memory coming online */
	unsigned long batched_repeats;
	unsigned long untraced_frees;		/* re-allocated by the bulk allocator */
	unsigned long exact_splits;		/* frees inside a larger live block */
	unsigned long internal_collisions;	/* trace vs bootsim's own pages */
	unsigned long tracking_pages;		/* the traced kernel's pool pages */
	unsigned long consoles, functions, markers, other_events;
	unsigned long bad_lines;		/* --lenient: unparsable */
	unsigned long bad_events;		/* --lenient: impossible events */
	bool marker_seen;
	unsigned long marker_line;
	int marker_cpu;
	char marker_text[96];
	unsigned int nr_cpus;
	unsigned long trace_max_pfn;		/* one past the highest PFN used */
};

struct replay_result {
	struct replay_counts counts;
	struct early_pfn_stats early;
	struct oracle_results oracles;
	unsigned long long mem_bytes;		/* the machine replayed on */
	double wall_seconds, replay_seconds;	/* whole run / second pass */
};

void replay_options_defaults(struct replay_options *o);
/*
 * Returns 0 with @res filled (oracles evaluated), or an exit status: 2 for
 * bad input (@err: "file:line: found ...; expected ..."), 3 internal.
 */
int replay_run(const struct replay_options *o, struct replay_result *res,
	       char *err, size_t errlen);
void replay_result_free(struct replay_result *res);

/*
 * A trace loaded as per-CPU sequences, for ordering `free` and for
 * `explore --trace`: each CPU's events run on that CPU's own thread, and an
 * event waits only for the earlier events of other CPUs on the same pages
 * (a free for its allocation, a reallocation for the free), so the
 * policy's outcome per block is the file's while everything else races.
 * Memory: about 64 bytes per alloc/free event, plus 8 per PFN of the trace.
 * Under the controlled backend (explore) the waits are scheduler waits.
 *
 *   | API               | caller                                        |
 *   |-------------------|-----------------------------------------------|
 *   | replay_plan_load  | any host thread; reads the trace twice        |
 *   | replay_plan_run   | the machine owner, no machine set up; may be  |
 *   |                   |   called again after replay_result_free()     |
 *   | replay_plan_free  | after the last run                            |
 */
struct replay_plan;

int replay_plan_load(const struct replay_options *o, struct replay_plan **out,
		     char *err, size_t errlen);
unsigned int replay_plan_cpus(const struct replay_plan *p);
int replay_plan_run(struct replay_plan *p, struct replay_result *res, char *err, size_t errlen);
void replay_plan_free(struct replay_plan *p);

#endif /* SIM_REPLAY_H */
