// SPDX-License-Identifier: GPL-2.0
#include "controlled.h"
#include "event.h"

void sim_event_init(struct sim_event *e, const char *name)
{
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	e->value = 0;
	e->name = name;
}

void sim_event_destroy(struct sim_event *e)
{
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->cond);
}

long sim_event_add(struct sim_event *e, long v)
{
	long now;

	if (sim_ctl_active()) {
		SIM_POINT("event add", e);
		return e->value += v;
	}
	pthread_mutex_lock(&e->lock);
	now = e->value += v;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	return now;
}

void sim_event_wait(struct sim_event *e, long at_least)
{
	if (sim_ctl_active()) {
		SIM_CTL_POINT("event wait");

		sim_ctl_event_wait(e, at_least, &__pt);
		return;
	}
	pthread_mutex_lock(&e->lock);
	while (e->value < at_least)
		pthread_cond_wait(&e->cond, &e->lock);
	pthread_mutex_unlock(&e->lock);
}

bool sim_event_reached(struct sim_event *e, long at_least)
{
	bool r;

	if (sim_ctl_active()) {
		SIM_POINT("event read", e);
		return e->value >= at_least;
	}
	pthread_mutex_lock(&e->lock);
	r = e->value >= at_least;
	pthread_mutex_unlock(&e->lock);
	return r;
}
