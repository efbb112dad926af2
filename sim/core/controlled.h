/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/controlled.h - the controlled backend: one simulated CPU at a time.
 *
 * Every CPU thread is parked on its own semaphore; exactly one is running.
 * At each scheduling point the running CPU asks a strategy which CPU runs
 * the next step, hands over if that is another CPU, and parks.  Because the
 * scheduler knows every lock, RCU reader and wait, a CPU is enabled (may be
 * chosen) unless it is
 *
 *   | state                 | enabled again when                              |
 *   |-----------------------|-------------------------------------------------|
 *   | in spin_lock(l)       | l->owner_cpu == -1 (never if it is this CPU:    |
 *   |                       | described as "watchdog: Watchdog detected hard  |
 *   |                       | LOCKUP on cpu N", D3)                           |
 *   | in synchronize_rcu()  | every CPU that was inside a reader at the call  |
 *   |                       | has left that reader (rcu_exits advanced)       |
 *   | in sim_event_wait(e,n)| e->value >= n                                   |
 *   | finished              | never                                           |
 *
 * Invariants, checked at every decision:
 *   #running CPUs = 1 while any CPU runs, 0 when the host waits;
 *   chosen ∈ enabled;  enabled = ∅ ∧ ∃ unfinished CPU ⇒ deadlock.
 *
 * An NMI armed on a CPU (nmi.h) fires when that CPU enters a point, before
 * the point's decision; its handler's points are decisions like any other.
 *
 * Decisions are numbered from 0 (the host's pick of the first CPU); a CPU
 * finishing is a decision too.  The sequence of chosen CPUs is the schedule:
 * the same sequence replays the same execution, bit for bit.
 *
 * Concurrency contract:
 *
 *   | API                        | caller                                     |
 *   |----------------------------|--------------------------------------------|
 *   | sim_ctl_begin / sim_ctl_end| host thread, no CPU running (pooled CPU    |
 *   |                            | threads stay parked between runs)          |
 *   | sim_ctl_run                | host thread, after sim_cpu_start() of all  |
 *   | sim_ctl_cpu_register       | host thread, from sim_cpu_start()          |
 *   | sim_ctl_cpu_exit           | the CPU's thread, its last access to the   |
 *   |                            | execution: the thread may then be reused   |
 *   | sim_ctl_point & co.        | the running CPU thread (via the shim)      |
 *   | sim_ctl_describe_cpus      | any thread, CPUs parked or aborted         |
 */
#ifndef SIM_CORE_CONTROLLED_H
#define SIM_CORE_CONTROLLED_H

#include <semaphore.h>
#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "sched.h"

struct spinlock;
struct sim_event;

/* What the strategy sees at a decision. */
struct sim_ctl_decision {
	unsigned long step;		/* decision number, from 0 */
	int prev;			/* CPU that ran up to here, -1 at the start */
	bool prev_enabled;		/* false: prev blocked or finished */
	unsigned int nr_cpus;		/* bits in @enabled */
	unsigned int nr_enabled;
	const uint64_t *enabled;	/* bitmap of CPUs that may run */
	const struct sim_point *pt;	/* point prev is about to pass, or NULL */
};

static inline bool sim_ctl_is_enabled(const struct sim_ctl_decision *d, int cpu)
{
	return cpu >= 0 && (unsigned int)cpu < d->nr_cpus &&
	       (d->enabled[cpu / 64] >> (cpu % 64)) & 1;
}

/* Lowest enabled CPU at or above @from (wrapping), or -1. */
int sim_ctl_next_enabled(const struct sim_ctl_decision *d, int from);

enum sim_ctl_abort {
	SIM_CTL_OK,
	SIM_CTL_DEADLOCK,	/* no CPU enabled, some not finished */
	SIM_CTL_STEP_BUDGET,	/* more decisions than max_steps: a hang */
	SIM_CTL_MISMATCH,	/* the strategy gave up (schedule does not fit) */
};

struct sim_ctl_hooks {
	/* Pick the CPU for the next step; must be enabled, or -1 to abort. */
	int (*choose)(void *priv, const struct sim_ctl_decision *d);
	/* Told after every decision (trace recording); may be NULL. */
	void (*stepped)(void *priv, const struct sim_ctl_decision *d, int chosen);
	/*
	 * The execution cannot go on.  Called on the CPU thread that found it,
	 * with every other CPU parked; must not return (the explorer's worker
	 * reports and exits).  NULL: print the description and abort().
	 */
	__noreturn void (*abort)(void *priv, enum sim_ctl_abort why);
	void *priv;
	unsigned long max_steps;	/* 0: unlimited */
};

/*
 * Switch the shim to the controlled backend for one execution.  CPUs started
 * with sim_cpu_start() afterwards park until sim_ctl_run() schedules them.
 */
int sim_ctl_begin(unsigned int nr_cpus, const struct sim_ctl_hooks *hooks);
/* Run every started CPU to completion under the hooks' strategy. */
void sim_ctl_run(void);
/* Back to the free backend; the CPU threads must have been joined. */
void sim_ctl_end(void);
bool sim_ctl_active(void);

/* Decisions taken so far in this execution (the virtual clock). */
unsigned long sim_ctl_steps(void);
/* Human-readable reason of an abort ("deadlock", "step budget exhausted"). */
const char *sim_ctl_abort_name(enum sim_ctl_abort why);
/*
 * Every registered CPU's position, one line each: "CPU 1 (kworker/1:1):
 * waits for spinlock zone->lock held by CPU 0, at mm/page_alloc.c:123
 * rmqueue: spin_lock".  Returns the length written (snprintf style).
 */
int sim_ctl_describe_cpus(char *buf, size_t size);

/* The shim's entry points under this backend, for CPU threads only. */
static inline bool sim_ctl_on_cpu(void)
{
	return sim_ctl_active() && sim_on_cpu_thread();
}

#define SIM_CTL_POINT(what_)						\
	static const struct sim_point __pt = { __FILE__, __LINE__, __func__, (what_) }

void sim_ctl_point(const struct sim_point *pt, const void *obj);
void sim_ctl_spin_lock(struct spinlock *lock, const struct sim_point *pt);
bool sim_ctl_spin_trylock(struct spinlock *lock, const struct sim_point *pt);
void sim_ctl_spin_unlock(struct spinlock *lock, const struct sim_point *pt);
void sim_ctl_rcu_read_lock(const struct sim_point *pt);
void sim_ctl_rcu_read_unlock(const struct sim_point *pt);
void sim_ctl_synchronize_rcu(const struct sim_point *pt);
void sim_ctl_event_wait(struct sim_event *e, long at_least, const struct sim_point *pt);

/*
 * CPU thread lifetime (called by sched.c).  @baton is the thread's own
 * semaphore, parked on before the CPU's first step and posted whenever the
 * strategy picks the CPU; the first post starts the CPU's function, which
 * ends with sim_ctl_cpu_exit().
 */
void sim_ctl_cpu_register(int cpu, struct task_struct *task, sem_t *baton);
void sim_ctl_cpu_exit(int cpu);

#endif /* SIM_CORE_CONTROLLED_H */
