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
 *   | sim_set_tracer     | machine owner, CPUs off | NULL removes it            |
 */
#ifndef SIM_CORE_TRACE_H
#define SIM_CORE_TRACE_H

#include "compiler.h"

struct sim_tracer {
	void (*note)(void *priv, int cpu, const char *text);
	void (*log)(void *priv, int cpu, const char *line);
	void *priv;
};

extern const struct sim_tracer *sim_tracer;

void sim_set_tracer(const struct sim_tracer *t);
void __sim_note(const char *fmt, ...) __printf(1, 2);
void sim_trace_log(const char *line);

#define sim_tracing() unlikely(sim_tracer != NULL)

#define sim_note(fmt, ...)						\
	do {								\
		if (sim_tracing())					\
			__sim_note(fmt, ##__VA_ARGS__);			\
	} while (0)

#endif /* SIM_CORE_TRACE_H */
