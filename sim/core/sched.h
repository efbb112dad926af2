/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/sched.h - simulated CPUs, tasks and scheduling points (§2.9).
 *
 * Every simulated CPU is one host thread running one task at a time; the
 * thread-local `current` is that task.  The modelled kernel code marks each
 * operation another CPU could interleave with as a scheduling point.  What a
 * point does depends on the execution backend chosen at run time:
 *
 *   | backend     | scheduling point                         | locks, RCU          |
 *   |-------------|------------------------------------------|---------------------|
 *   | free        | nothing, or a short random delay with     | pthread mutexes,    |
 *   |             | --jitter, to widen race windows           | liburcu (urcu-memb) |
 *   | controlled  | hands the CPU to the scheduler, which     | modelled by the     |
 *   |             | picks who runs next (controlled.h)        | scheduler           |
 *
 * Concurrency contract:
 *
 *   | API                      | callable from            | notes                       |
 *   |--------------------------|--------------------------|-----------------------------|
 *   | current, smp_processor_id| any thread               | host threads get a stub task|
 *   | sim_cpu_start/join       | the machine owner        | one thread per CPU; pooled: |
 *   |                          |                          | CPU n's thread is kept for  |
 *   |                          |                          | the next controlled run     |
 *   | sim_cpu_pool_enable/pin  | the machine owner        | no CPU running              |
 *   | SIM_POINT                | simulated CPU threads    | no-op unless hooked         |
 *   | sim_points_off/on        | a CPU thread             | nestable; bookkeeping code  |
 *   |                          |                          | (oracles) makes no decisions|
 *   | sim_clock_ns             | any thread               | virtual under controlled    |
 *   | sim_set_backend/jitter   | before CPUs start        | not while CPUs run          |
 */
#ifndef SIM_CORE_SCHED_H
#define SIM_CORE_SCHED_H

#include "compiler.h"

struct alloc_tag;
struct sim_nmi;

struct task_struct {
	char comm[16];
	int pid;
	int cpu;
	struct alloc_tag *alloc_tag;	/* innermost alloc_hooks() call site */
	int rcu_read_depth;		/* > 0: inside an RCU read-side section */
	int lock_depth;			/* spinlocks held (atomic context) */
	bool in_nmi;			/* running an NMI handler (nmi.h) */
	struct sim_nmi *nmi;		/* armed on this CPU, not fired yet */
	int nmi_window;			/* > 0: inside code NMIs are aimed at */
	bool freeing_tracking_page;	/* bootsim: early-PFN code frees its page */
};

extern __thread struct task_struct *sim_current_task;
extern struct task_struct sim_host_task;

static __always_inline struct task_struct *get_current(void)
{
	struct task_struct *t = sim_current_task;

	return likely(t) ? t : &sim_host_task;
}
#define current get_current()

static __always_inline int smp_processor_id(void)
{
	return get_current()->cpu;
}

/* Number of possible CPUs of the simulated machine (sizes per-CPU arrays). */
extern unsigned int nr_cpu_ids;

enum sim_backend {
	SIM_BACKEND_FREE,
	SIM_BACKEND_CONTROLLED,
};

/* A static description of one scheduling point, named after its source. */
struct sim_point {
	const char *file;
	int line;
	const char *func;
	const char *what;	/* "cmpxchg", "alloc page", "page_ext publish" ... */
};

extern bool sim_sched_hooked;	/* true: points must call __sim_sched_point */

void __sim_sched_point(const struct sim_point *pt, const void *obj);

#define SIM_POINT(what_, obj)						\
	do {								\
		if (unlikely(sim_sched_hooked)) {			\
			static const struct sim_point __pt = {		\
				__FILE__, __LINE__, __func__, (what_) };\
			__sim_sched_point(&__pt, (obj));		\
		}							\
	} while (0)

enum sim_backend sim_get_backend(void);
/* True on a thread bound to a simulated CPU (not the host thread). */
bool sim_on_cpu_thread(void);
void sim_points_off(void);
void sim_points_on(void);
bool sim_points_suppressed(void);
/* Log clock: host monotonic time, or 1 µs per decision under controlled. */
long long sim_clock_ns(void);
void sim_clock_reset(void);
/* Set by sim_ctl_begin()/sim_ctl_end() (controlled.h); not while CPUs run. */
void sim_set_backend(enum sim_backend backend);
/* Average extra delay at each scheduling point, free backend only (0: off). */
void sim_set_jitter(unsigned int max_ns, unsigned long long seed);

/*
 * sim_cpu_start - run @fn(@arg) on simulated CPU @cpu as task @comm.
 * The thread is registered with RCU for its lifetime.  Returns 0 or errno.
 */
int sim_cpu_start(int cpu, const char *comm, int pid, void (*fn)(void *), void *arg);
/* Wait for every CPU thread started with sim_cpu_start(). */
void sim_cpu_join_all(void);
/*
 * From now on, a controlled execution's CPU threads outlive it, parked for
 * the next one (CPU n is always the same thread): for a process that runs
 * executions by the thousand and does not fork (the explorer's worker).
 */
void sim_cpu_pool_enable(void);
/*
 * Pin the calling thread and the pooled CPU threads to host CPU @host_cpu
 * (only one of them runs at a time, so hand-overs stay on that CPU), or,
 * with -1, give them back the affinity they had before.  Returns 0 or errno.
 */
int sim_cpu_pool_pin(int host_cpu);

/* Bind the calling host thread to a simulated CPU for the duration of @fn. */
void sim_run_as_cpu(int cpu, const char *comm, int pid, void (*fn)(void *), void *arg);

#endif /* SIM_CORE_SCHED_H */
