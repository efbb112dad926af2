/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/trace_record.h - `bootsim boot --record FILE`: the simulated boot as the
 * text /sys/kernel/tracing/trace prints (DESIGN.md "Traces").
 *
 * What is recorded, one event per line, with the kernel's prefix
 * "%16s-%-7d [%03d] ..... %5lu.%06lu: " (task comm, pid, CPU, seconds):
 *
 *   | event           | source                          | text after the event name |
 *   |-----------------|---------------------------------|---------------------------|
 *   | mm_page_alloc   | the allocator's trace_alloc     | page= pfn= order=         |
 *   |                 | hook (bulk allocations: none)   | migratetype= gfp_flags=   |
 *   | mm_page_free    | trace_free (every freed block)  | page= pfn= order=         |
 *   | console         | every kernel-log line           | the line, no timestamp    |
 *   | bootsim_marker  | sim_mark() (sim/core/trace.h)   | sim_mark_format() text    |
 *
 * page= is not a pointer: the PFN as %016lx stands in for the kernel's hashed
 * pointer.  Timestamps are sim_clock_ns(): host monotonic time under the free
 * backend, 1 µs per scheduling decision under the controlled one (so a
 * controlled recording is the same bytes every time).
 *
 * Buffering: each host thread (one per simulated CPU) appends fixed-layout
 * binary records to its own 8 KiB buffer without any lock; a full buffer is
 * written to an anonymous temporary file at an offset reserved with one
 * atomic add.  trace_record_write() then k-way merges the per-thread streams
 * by (timestamp, CPU) -- the kernel's trace file is merged across CPUs the
 * same way -- and writes the header, whose entry count is known by then.
 * Memory stays at 8 KiB per thread plus 16 bytes per spilled buffer; the
 * events themselves live in the temporary file.
 *
 *   | API                         | caller                                      |
 *   |-----------------------------|---------------------------------------------|
 *   | trace_record_open / _close  | the command line                            |
 *   | trace_record_start / _stop  | the machine owner, no simulated CPU running |
 *   | trace_record_hooks          | machine_config.trace (machine_setup wires)  |
 *   | trace_record_write          | after _stop                                 |
 *
 * One recording at a time per process: start installs the global sim tracer.
 */
#ifndef SIM_TRACE_RECORD_H
#define SIM_TRACE_RECORD_H

#include <stdio.h>
#include "alloc/mm.h"

struct trace_record;

/* Create (truncate) @path; NULL with errno set. */
struct trace_record *trace_record_open(const char *path);
/* Begin recording; @nr_cpus is the header's #P.  0 or a negative errno. */
int trace_record_start(struct trace_record *rec, unsigned int nr_cpus);
/* Stop recording (idempotent); events after it are not recorded. */
void trace_record_stop(struct trace_record *rec);
/*
 * Write the header and every event merged across CPUs.  Returns 0 or the
 * first negative errno of the recording (host memory, temporary file, output).
 */
int trace_record_write(struct trace_record *rec);
/* Events recorded so far (the header's entries-in-buffer). */
unsigned long trace_record_entries(const struct trace_record *rec);
/* Close the file and free the recording; 0 or a negative errno of the close. */
int trace_record_close(struct trace_record *rec);

/* trace_alloc and trace_free for machine_config.trace. */
extern const struct alloc_hooks trace_record_hooks;

#endif /* SIM_TRACE_RECORD_H */
