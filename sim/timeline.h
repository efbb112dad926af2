/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/timeline.h - an execution drawn the way reviewers draw races: one
 * column per CPU, one row per relevant step, time going down.
 *
 * Rows come from the notes and kernel-log lines the CPUs produced while a
 * schedule was replayed with tracing on, plus one row where a CPU lost the
 * baton ("preempted before cmpxchg in __alloc_tag_add_early_pfn").  A run
 * of steps where only one CPU could run (boot phases before and after the
 * race) collapses into one row, except for warnings, which always show.
 */
#ifndef SIM_TIMELINE_H
#define SIM_TIMELINE_H

#include <stdio.h>
#include "sim/core/sched.h"
#include "schedule.h"

enum exec_event_kind {
	EXEC_EVENT_NOTE,	/* sim_note() */
	EXEC_EVENT_LOG,		/* a kernel-log line */
};

struct exec_event {
	unsigned long step;	/* decisions taken before it */
	int cpu;
	enum exec_event_kind kind;
	const char *text;
};

struct timeline_input {
	size_t nr_steps;
	const struct decision_rec *recs;
	const struct sim_point *const *pts;	/* point passed at each decision */
	const struct exec_event *events;	/* in step order */
	size_t nr_events;
	unsigned int nr_cpus;
	const char (*comm)[16];			/* last task name per CPU, or "" */
	bool full;				/* no collapsing, no row limit */
};

void timeline_print_text(FILE *out, const struct timeline_input *in);
/* A JSON array of {"step", "cpu", "text"} rows (same rows as the text). */
void timeline_print_json(FILE *out, const struct timeline_input *in);

#endif /* SIM_TIMELINE_H */
