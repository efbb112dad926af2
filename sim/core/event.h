/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/event.h - a counter CPUs wait on (boot stages, scenario phases).
 *
 * Not a kernel API: the boot model and scenarios use it where the kernel
 * has its own ordering (smp_init() after the boot CPU's work, and so on).
 *
 *   | API                  | free backend          | controlled backend        |
 *   |----------------------|-----------------------|---------------------------|
 *   | sim_event_add(e, v)  | mutex + broadcast     | scheduling point, store   |
 *   | sim_event_wait(e, n) | condvar until >= n    | not enabled until >= n    |
 *   | sim_event_reached    | mutex-protected read  | scheduling point, load    |
 *
 * The host thread may add (never wait) under the controlled backend.
 */
#ifndef SIM_CORE_EVENT_H
#define SIM_CORE_EVENT_H

#include <pthread.h>
#include "compiler.h"

struct sim_event {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	long value;
	const char *name;
};

void sim_event_init(struct sim_event *e, const char *name);
void sim_event_destroy(struct sim_event *e);
/* Returns the new value: exactly one adder sees each value. */
long sim_event_add(struct sim_event *e, long v);
void sim_event_wait(struct sim_event *e, long at_least);
bool sim_event_reached(struct sim_event *e, long at_least);

#endif /* SIM_CORE_EVENT_H */
