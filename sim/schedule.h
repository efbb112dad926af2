/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/schedule.h - schedules as data.
 *
 * A schedule is the CPU chosen at each decision of the controlled backend
 * (sim/core/controlled.h).  Its text form is run-length encoded segments,
 * "CPU:STEPS" joined by commas:
 *
 *   "0:41,1:7,0:3,2:12"  = CPU 0 for 41 decisions, then CPU 1 for 7, ...
 *
 *   Σ steps = number of decisions;  #segments − 1 = context switches.
 *
 * The string is shell-safe (digits, ':' and ',') so it can be pasted into
 * `bootsim explore --schedule STR`.
 */
#ifndef SIM_SCHEDULE_H
#define SIM_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct schedule {
	uint16_t *cpu;		/* chosen CPU per decision */
	size_t len, cap;
};

/* One decision as the explorer records it (DFS needs the enabled set). */
struct decision_rec {
	uint16_t chosen;
	int16_t prev;		/* -1 at the start */
	uint8_t prev_enabled;	/* prev could have gone on: a switch is a preemption */
	uint64_t enabled;	/* enabled CPUs (first 64) */
};

int schedule_push(struct schedule *s, int cpu);	/* 0, -ENOMEM, -EINVAL (cpu) */
void schedule_reset(struct schedule *s);		/* len = 0, keeps memory */
void schedule_free(struct schedule *s);
int schedule_copy(struct schedule *dst, const struct schedule *src);
/* The text form; malloc'd, NULL on host OOM. */
char *schedule_format(const struct schedule *s);
/*
 * Parse the text form.  Returns 0, or -1 with a message in @err naming the
 * offending character position and what was expected.  CPU numbers must be
 * below @max_cpus (0: any below 65536); counts at least 1.
 */
int schedule_parse(const char *str, unsigned int max_cpus, struct schedule *out,
		   char *err, size_t errlen);
size_t schedule_switches(const struct schedule *s);
/* FNV-1a over the decisions: counts distinct schedules. */
uint64_t schedule_hash(const struct schedule *s);

#endif /* SIM_SCHEDULE_H */
