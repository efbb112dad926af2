// SPDX-License-Identifier: GPL-2.0
/*
 * The controlled backend: CPU threads hand a single baton to each other at
 * scheduling points, as a strategy decides.  Spinlocks, RCU readers, grace
 * periods and sim_event waits are modelled here rather than with pthread or
 * liburcu primitives, so a parked thread can never block a running one and a
 * state where nobody can run is seen, not hung in.
 */
#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlled.h"
#include "event.h"
#include "nmi.h"
#include "spinlock.h"

enum ctl_wait {
	WAIT_NONE,
	WAIT_LOCK,
	WAIT_GP,
	WAIT_EVENT,
};

#define GP_NOT_READING (~0UL)

struct ctl_cpu {
	sem_t *baton;			/* the CPU thread's own (sched.c) */
	struct task_struct *task;
	bool registered, done;
	enum ctl_wait wait;
	const void *wait_obj;
	long wait_value;
	unsigned long *gp_snap;		/* rcu_exits of each CPU at the call */
	unsigned long rcu_exits;	/* outermost readers left so far */
	const struct sim_point *last_pt;
};

static struct {
	bool active;
	unsigned int nr_cpus, words;
	struct ctl_cpu *cpu;
	uint64_t *enabled;
	struct sim_ctl_hooks hooks;
	unsigned long steps;
	unsigned int nr_registered, nr_done;
	sem_t host;
} ctl;

bool sim_ctl_active(void)
{
	return ctl.active;
}

unsigned long sim_ctl_steps(void)
{
	return ctl.steps;
}

const char *sim_ctl_abort_name(enum sim_ctl_abort why)
{
	switch (why) {
	case SIM_CTL_OK:
		return "ok";
	case SIM_CTL_DEADLOCK:
		return "deadlock";
	case SIM_CTL_STEP_BUDGET:
		return "step budget exhausted (hang)";
	case SIM_CTL_MISMATCH:
		return "schedule does not fit";
	}
	return "?";
}

int sim_ctl_begin(unsigned int nr_cpus, const struct sim_ctl_hooks *hooks)
{
	if (ctl.active || !nr_cpus || !hooks || !hooks->choose)
		return -EINVAL;
	memset(&ctl, 0, sizeof(ctl));
	ctl.nr_cpus = nr_cpus;
	ctl.words = (nr_cpus + 63) / 64;
	ctl.cpu = calloc(nr_cpus, sizeof(*ctl.cpu));
	ctl.enabled = calloc(ctl.words, sizeof(*ctl.enabled));
	if (!ctl.cpu || !ctl.enabled) {
		free(ctl.cpu);
		free(ctl.enabled);
		return -ENOMEM;
	}
	ctl.hooks = *hooks;
	sem_init(&ctl.host, 0, 0);
	ctl.active = true;
	sim_set_backend(SIM_BACKEND_CONTROLLED);
	return 0;
}

void sim_ctl_end(void)
{
	if (!ctl.active)
		return;
	sim_set_backend(SIM_BACKEND_FREE);
	for (unsigned int i = 0; i < ctl.nr_cpus; i++)
		free(ctl.cpu[i].gp_snap);
	sem_destroy(&ctl.host);
	free(ctl.cpu);
	free(ctl.enabled);
	ctl.cpu = NULL;
	ctl.enabled = NULL;
	ctl.active = false;
}

void sim_ctl_cpu_register(int cpu, struct task_struct *task, sem_t *baton)
{
	struct ctl_cpu *c;

	if (cpu < 0 || (unsigned int)cpu >= ctl.nr_cpus || ctl.cpu[cpu].registered) {
		fprintf(stderr, "bootsim: internal error: CPU %d registered twice or "
			"beyond %u CPUs\n", cpu, ctl.nr_cpus);
		abort();
	}
	c = &ctl.cpu[cpu];
	c->baton = baton;
	c->task = task;
	c->registered = true;
	ctl.nr_registered++;
}

static void baton_wait(sem_t *s)
{
	while (sem_wait(s) && errno == EINTR)
		;
}

static bool gp_done(const struct ctl_cpu *c)
{
	for (unsigned int i = 0; i < ctl.nr_cpus; i++) {
		const struct ctl_cpu *r = &ctl.cpu[i];

		if (c->gp_snap[i] == GP_NOT_READING)
			continue;
		if (r->task->rcu_read_depth > 0 && r->rcu_exits == c->gp_snap[i])
			return false;
	}
	return true;
}

static bool cpu_enabled(const struct ctl_cpu *c)
{
	if (!c->registered || c->done)
		return false;
	switch (c->wait) {
	case WAIT_NONE:
		return true;
	case WAIT_LOCK:
		return ((const spinlock_t *)c->wait_obj)->owner_cpu == -1;
	case WAIT_EVENT:
		return ((const struct sim_event *)c->wait_obj)->value >= c->wait_value;
	case WAIT_GP:
		return gp_done(c);
	}
	return false;
}

static unsigned int compute_enabled(void)
{
	unsigned int n = 0;

	memset(ctl.enabled, 0, ctl.words * sizeof(*ctl.enabled));
	for (unsigned int i = 0; i < ctl.nr_cpus; i++) {
		if (cpu_enabled(&ctl.cpu[i])) {
			ctl.enabled[i / 64] |= 1ULL << (i % 64);
			n++;
		}
	}
	return n;
}

int sim_ctl_next_enabled(const struct sim_ctl_decision *d, int from)
{
	if (!d->nr_enabled)
		return -1;
	if (from < 0 || (unsigned int)from >= d->nr_cpus)
		from = 0;
	for (unsigned int k = 0; k < d->nr_cpus; k++) {
		int cpu = (int)((from + k) % d->nr_cpus);

		if (sim_ctl_is_enabled(d, cpu))
			return cpu;
	}
	return -1;
}

static const char *comm_of(const struct ctl_cpu *c)
{
	return c->task ? c->task->comm : "?";
}

static int describe_wait(char *buf, size_t size, const struct ctl_cpu *c)
{
	switch (c->wait) {
	case WAIT_LOCK: {
		const spinlock_t *l = c->wait_obj;
		int me = (int)(c - ctl.cpu);

		/* D3: the CPU spins on its own lock with IRQs off, forever */
		if (l->owner_cpu == me)
			return snprintf(buf, size, "watchdog: Watchdog detected hard LOCKUP on "
					"cpu %d: spins%s on spinlock %s, which CPU %d itself "
					"holds", me, c->task->in_nmi ? " in NMI context" : "",
					l->name ? l->name : "?", me);
		return snprintf(buf, size, "waits for spinlock %s held by CPU %d",
				l->name ? l->name : "?", l->owner_cpu);
	}
	case WAIT_EVENT: {
		const struct sim_event *e = c->wait_obj;

		return snprintf(buf, size, "waits for %s to reach %ld (now %ld)",
				e->name ? e->name : "an event", c->wait_value, e->value);
	}
	case WAIT_GP: {
		int n = snprintf(buf, size, "in synchronize_rcu(), waiting for the reader on CPU");
		bool first = true;

		for (unsigned int i = 0; i < ctl.nr_cpus; i++) {
			const struct ctl_cpu *r = &ctl.cpu[i];

			if (c->gp_snap[i] == GP_NOT_READING ||
			    r->task->rcu_read_depth == 0 || r->rcu_exits != c->gp_snap[i])
				continue;
			n += snprintf(buf + n, size > (size_t)n ? size - n : 0, "%s %u",
				      first ? "" : ",", i);
			first = false;
		}
		return n;
	}
	case WAIT_NONE:
		break;
	}
	return snprintf(buf, size, "%s", c->done ? "finished" : "runnable");
}

int sim_ctl_describe_cpus(char *buf, size_t size)
{
	int n = 0;

	if (size)
		buf[0] = '\0';
	for (unsigned int i = 0; i < ctl.nr_cpus; i++) {
		const struct ctl_cpu *c = &ctl.cpu[i];
		char what[256];

		if (!c->registered)
			continue;
		describe_wait(what, sizeof(what), c);
		n += snprintf(buf + n, size > (size_t)n ? size - n : 0,
			      "CPU %u (%s): %s", i, comm_of(c), what);
		if (c->last_pt)
			n += snprintf(buf + n, size > (size_t)n ? size - n : 0,
				      ", at %s:%d %s: %s", c->last_pt->file,
				      c->last_pt->line, c->last_pt->func,
				      c->last_pt->what);
		n += snprintf(buf + n, size > (size_t)n ? size - n : 0, "\n");
	}
	return n;
}

static __noreturn void abort_execution(enum sim_ctl_abort why)
{
	char desc[4096];

	if (ctl.hooks.abort)
		ctl.hooks.abort(ctl.hooks.priv, why);
	sim_ctl_describe_cpus(desc, sizeof(desc));
	fprintf(stderr, "bootsim: controlled execution aborted: %s\n%s",
		sim_ctl_abort_name(why), desc);
	abort();
}

/*
 * One decision.  @me is the CPU at a point (-1: the host starting the run);
 * @park: @me waits for the baton if another CPU is chosen (false when @me
 * has finished).
 */
static void decide(int me, const struct sim_point *pt, bool park)
{
	struct sim_ctl_decision d;
	unsigned int nr;
	int next;

	if (park && sim_points_suppressed())
		return;
	if (ctl.hooks.max_steps && ctl.steps >= ctl.hooks.max_steps)
		abort_execution(SIM_CTL_STEP_BUDGET);
	nr = compute_enabled();
	if (!nr)
		abort_execution(SIM_CTL_DEADLOCK);
	d = (struct sim_ctl_decision){
		.step = ctl.steps,
		.prev = me,
		.prev_enabled = me >= 0 && cpu_enabled(&ctl.cpu[me]),
		.nr_cpus = ctl.nr_cpus,
		.nr_enabled = nr,
		.enabled = ctl.enabled,
		.pt = pt,
	};
	next = ctl.hooks.choose(ctl.hooks.priv, &d);
	if (!sim_ctl_is_enabled(&d, next))
		abort_execution(SIM_CTL_MISMATCH);
	if (ctl.hooks.stepped)
		ctl.hooks.stepped(ctl.hooks.priv, &d, next);
	ctl.steps++;
	if (next == me)
		return;
	sem_post(ctl.cpu[next].baton);
	if (park)
		baton_wait(ctl.cpu[me].baton);
}

void sim_ctl_run(void)
{
	if (!ctl.nr_registered)
		return;
	decide(-1, NULL, false);
	baton_wait(&ctl.host);
}

void sim_ctl_cpu_exit(int cpu)
{
	ctl.cpu[cpu].done = true;
	if (++ctl.nr_done == ctl.nr_registered) {
		sem_post(&ctl.host);
		return;
	}
	decide(cpu, NULL, false);
}

static int me_at(const struct sim_point *pt)
{
	int me = smp_processor_id();

	ctl.cpu[me].last_pt = pt;
	return me;
}

/*
 * Every entry point below is one scheduling point.  An armed NMI fires on
 * entry, before the point's operation and its decision (nmi.h).
 */
void sim_ctl_point(const struct sim_point *pt, const void *obj)
{
	sim_nmi_point();
	decide(me_at(pt), pt, true);
}

void sim_ctl_spin_lock(struct spinlock *lock, const struct sim_point *pt)
{
	int me;
	struct ctl_cpu *c;

	sim_nmi_point();
	me = me_at(pt);
	c = &ctl.cpu[me];
	/*
	 * Re-taking a lock this CPU holds can never proceed: a deadlock,
	 * described as the kernel's hard lockup (D3).
	 */
	c->wait = WAIT_LOCK;
	c->wait_obj = lock;
	decide(me, pt, true);
	c->wait = WAIT_NONE;
	lock->owner_cpu = me;
	current->lock_depth++;
}

bool sim_ctl_spin_trylock(struct spinlock *lock, const struct sim_point *pt)
{
	int me;

	sim_nmi_point();
	me = me_at(pt);

	decide(me, pt, true);
	if (lock->owner_cpu != -1)
		return false;
	lock->owner_cpu = me;
	current->lock_depth++;
	return true;
}

void sim_ctl_spin_unlock(struct spinlock *lock, const struct sim_point *pt)
{
	sim_nmi_point();
	current->lock_depth--;
	lock->owner_cpu = -1;
	decide(me_at(pt), pt, true);
}

void sim_ctl_rcu_read_lock(const struct sim_point *pt)
{
	sim_nmi_point();
	decide(me_at(pt), pt, true);
	current->rcu_read_depth++;
}

void sim_ctl_rcu_read_unlock(const struct sim_point *pt)
{
	int me = smp_processor_id();

	sim_nmi_point();
	if (--current->rcu_read_depth == 0)
		ctl.cpu[me].rcu_exits++;
	decide(me_at(pt), pt, true);
}

void sim_ctl_synchronize_rcu(const struct sim_point *pt)
{
	int me;
	struct ctl_cpu *c;

	sim_nmi_point();
	me = me_at(pt);
	c = &ctl.cpu[me];

	if (!c->gp_snap) {
		c->gp_snap = malloc(ctl.nr_cpus * sizeof(*c->gp_snap));
		if (!c->gp_snap)
			abort();
	}
	/* A caller inside a reader waits for itself: reported as a deadlock. */
	for (unsigned int i = 0; i < ctl.nr_cpus; i++) {
		const struct ctl_cpu *r = &ctl.cpu[i];

		c->gp_snap[i] = r->registered && r->task->rcu_read_depth > 0 ?
				r->rcu_exits : GP_NOT_READING;
	}
	c->wait = WAIT_GP;
	decide(me, pt, true);
	c->wait = WAIT_NONE;
}

void sim_ctl_event_wait(struct sim_event *e, long at_least, const struct sim_point *pt)
{
	int me;
	struct ctl_cpu *c;

	sim_nmi_point();
	me = me_at(pt);
	c = &ctl.cpu[me];

	c->wait = WAIT_EVENT;
	c->wait_obj = e;
	c->wait_value = at_least;
	decide(me, pt, true);
	c->wait = WAIT_NONE;
}
