/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/trace.h - what a CPU did, for timelines and recordings.
 *
 * sim_note() is bootsim's trace_printk(): the modelled code states an action
 * in words ("cmpxchg head fails", "page_ext published for section 3").  It
 * costs one predictable branch unless a tracer is installed, so exploration
 * runs without one and the failing schedule is replayed with one.
 *
 *   | API                | caller                  | notes                      |
 *   |--------------------|-------------------------|----------------------------|
 *   | sim_note(fmt, ...) | any simulated CPU       | the tracer sees current CPU|
 *   | sim_trace_log      | printk                  | every kernel-log line      |
 *   | sim_mark(m, arg)   | modelled code, any CPU  | a bootsim marker event     |
 *   | sim_set_tracer     | machine owner, CPUs off | NULL removes it            |
 *   | sim_set_mark_hook  | machine owner, CPUs off | trace replay: marks only,  |
 *   |                    |                         | beside any tracer          |
 *
 * Markers are the moments a trace replay needs that the kernel's own trace
 * events do not show (sim/trace_record.h writes them as bootsim_marker
 * events); sim_mark_format() gives each its one fixed text.
 */
#ifndef SIM_CORE_TRACE_H
#define SIM_CORE_TRACE_H

#include "compiler.h"

enum sim_mark {
	SIM_MARK_PAGE_EXT_INIT_START,	/* "page_ext_init start" */
	SIM_MARK_PAGE_EXT_SECTION,	/* "page_ext section=N published" (arg N) */
	SIM_MARK_PAGE_EXT_INIT_DONE,	/* "page_ext_init done" */
	SIM_MARK_CLEAR_START,		/* "clear_early_alloc_pfn_tag_refs start" */
	SIM_MARK_CLEAR_DONE,		/* "clear_early_alloc_pfn_tag_refs done" */
};

struct sim_tracer {
	void (*note)(void *priv, int cpu, const char *text);
	void (*log)(void *priv, int cpu, const char *line);
	void (*mark)(void *priv, int cpu, enum sim_mark mark, unsigned long arg);
	void *priv;
};

extern const struct sim_tracer *sim_tracer;
extern const struct sim_tracer *sim_mark_hook;

void sim_set_tracer(const struct sim_tracer *t);
/* Only @t->mark is called; the hook may block the marking CPU (replay.c). */
void sim_set_mark_hook(const struct sim_tracer *t);
void __sim_note(const char *fmt, ...) __printf(1, 2);
void sim_trace_log(const char *line);
void __sim_mark(enum sim_mark mark, unsigned long arg);
/* The marker's text, snprintf style (-1 for an unknown mark). */
int sim_mark_format(char *buf, size_t size, enum sim_mark mark, unsigned long arg);

#define sim_tracing() unlikely(sim_tracer != NULL)

#define sim_note(fmt, ...)						\
	do {								\
		if (sim_tracing())					\
			__sim_note(fmt, ##__VA_ARGS__);			\
	} while (0)

#define sim_mark(mark, arg)						\
	do {								\
		if (sim_tracing() || unlikely(sim_mark_hook != NULL))	\
			__sim_mark((mark), (arg));			\
	} while (0)

#endif /* SIM_CORE_TRACE_H */
