// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated CPU threads and the scheduling-point dispatcher.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched.h"
#include "controlled.h"
#include "rcu.h"
#include "random.h"

__thread struct task_struct *sim_current_task;
struct task_struct sim_host_task = { .comm = "bootsim", .pid = 0, .cpu = 0 };
unsigned int nr_cpu_ids = 1;
bool sim_sched_hooked;

static enum sim_backend backend = SIM_BACKEND_FREE;
static __thread int points_off;
static struct timespec clock_t0;
static unsigned int jitter_max_ns;
static unsigned long long jitter_seed;
static __thread struct sim_rng jitter_rng;
static __thread bool jitter_rng_ready;

enum sim_backend sim_get_backend(void)
{
	return backend;
}

void sim_set_backend(enum sim_backend b)
{
	backend = b;
	sim_sched_hooked = b == SIM_BACKEND_CONTROLLED || jitter_max_ns;
}

bool sim_on_cpu_thread(void)
{
	return sim_current_task != NULL;
}

void sim_points_off(void)
{
	points_off++;
}

void sim_points_on(void)
{
	points_off--;
}

bool sim_points_suppressed(void)
{
	return points_off > 0;
}

long long sim_clock_ns(void)
{
	struct timespec now;

	if (backend == SIM_BACKEND_CONTROLLED)
		return (long long)sim_ctl_steps() * 1000;
	if (!clock_t0.tv_sec && !clock_t0.tv_nsec)
		clock_gettime(CLOCK_MONOTONIC, &clock_t0);
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - clock_t0.tv_sec) * 1000000000LL +
	       (now.tv_nsec - clock_t0.tv_nsec);
}

void sim_clock_reset(void)
{
	clock_gettime(CLOCK_MONOTONIC, &clock_t0);
}

void sim_set_jitter(unsigned int max_ns, unsigned long long seed)
{
	jitter_max_ns = max_ns;
	jitter_seed = seed;
	sim_sched_hooked = backend == SIM_BACKEND_CONTROLLED || jitter_max_ns;
}

static void jitter(void)
{
	struct timespec ts;
	uint64_t r;

	if (!jitter_rng_ready) {
		sim_rng_seed(&jitter_rng, jitter_seed, (uint64_t)smp_processor_id() + 1);
		jitter_rng_ready = true;
	}
	r = sim_rng_next(&jitter_rng);
	/* Most points pass straight through; one in eight yields or sleeps. */
	if ((r & 7) != 0)
		return;
	if ((r >> 3) & 1) {
		sched_yield();
		return;
	}
	ts.tv_sec = 0;
	ts.tv_nsec = (long)((r >> 8) % jitter_max_ns);
	nanosleep(&ts, NULL);
}

void __sim_sched_point(const struct sim_point *pt, const void *obj)
{
	/* The host thread (oracles, reports) is not a CPU: nothing to schedule. */
	if (!sim_current_task || points_off)
		return;
	if (backend == SIM_BACKEND_CONTROLLED) {
		sim_ctl_point(pt, obj);
		return;
	}
	if (jitter_max_ns)
		jitter();
}

struct cpu_thread {
	pthread_t thread;
	struct task_struct task;
	void (*fn)(void *);
	void *arg;
	struct cpu_thread *next;
	sem_t baton;			/* controlled backend: posted to run */
	void *alt_stack;		/* pooled threads */
};

static struct cpu_thread *cpu_threads;
static pthread_mutex_t cpu_threads_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The explorer's worker runs controlled executions by the thousand, and
 * creating, exiting and joining a thread per CPU per execution was a good
 * part of each: there (sim_cpu_pool_enable()) CPU n is always the same host
 * thread, parked on its baton between executions.  The first decision that
 * picks the CPU starts its function; after sim_ctl_cpu_exit() the thread
 * touches nothing of the execution and parks again.  Elsewhere a process
 * with parked threads would fork (tests do) with threads alive.
 */
static bool pool_on;
static struct cpu_thread **pool;
static unsigned int pool_size;
static bool pool_atfork_done;
static cpu_set_t pool_wide;		/* affinity before sim_cpu_pool_pin() */
static bool pool_wide_saved;

static void bind_task(struct task_struct *task, int cpu, const char *comm, int pid)
{
	memset(task, 0, sizeof(*task));
	snprintf(task->comm, sizeof(task->comm), "%s", comm);
	task->pid = pid;
	task->cpu = cpu;
}

/*
 * An alternate signal stack per CPU thread, so a stack overflow in the
 * modelled code (unbounded recursion, D9) can still be reported as an oops.
 */
#define ALT_STACK_SIZE (64 * 1024)

static void *alt_stack_on(void)
{
	stack_t ss = { .ss_sp = malloc(ALT_STACK_SIZE), .ss_size = ALT_STACK_SIZE };

	if (ss.ss_sp && sigaltstack(&ss, NULL)) {
		free(ss.ss_sp);
		return NULL;
	}
	return ss.ss_sp;
}

static void alt_stack_off(void *sp)
{
	stack_t ss = { .ss_flags = SS_DISABLE };

	if (!sp)
		return;
	sigaltstack(&ss, NULL);
	free(sp);
}

/* One controlled execution of the CPU: parked until the scheduler picks it. */
static void run_controlled(struct cpu_thread *ct)
{
	while (sem_wait(&ct->baton) && errno == EINTR)
		;
	/* As a fresh thread would start, for a pooled one. */
	sim_current_task = &ct->task;
	jitter_rng_ready = false;
	points_off = 0;
	ct->fn(ct->arg);
	sim_ctl_cpu_exit(ct->task.cpu);
	sim_current_task = NULL;
}

static void *cpu_thread_main(void *p)
{
	struct cpu_thread *ct = p;
	void *alt = alt_stack_on();

	if (backend == SIM_BACKEND_CONTROLLED) {
		run_controlled(ct);
	} else {
		sim_current_task = &ct->task;
		jitter_rng_ready = false;
		sim_rcu_register_thread();
		ct->fn(ct->arg);
		sim_rcu_unregister_thread();
		sim_current_task = NULL;
	}
	alt_stack_off(alt);
	return NULL;
}

static void *pool_thread_main(void *p)
{
	struct cpu_thread *ct = p;

	ct->alt_stack = alt_stack_on();
	for (;;)
		run_controlled(ct);
	return NULL;
}

static int spawn(struct cpu_thread *ct, void *(*main)(void *))
{
	pthread_attr_t attr;
	int err;

	pthread_attr_init(&attr);
	/* Thousands of CPUs: keep host stacks small (the model needs little). */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	err = pthread_create(&ct->thread, &attr, main, ct);
	pthread_attr_destroy(&attr);
	return err;
}

/* The child of a fork() has none of the pool's threads: forget them. */
static void pool_atfork_child(void)
{
	for (unsigned int i = 0; i < pool_size; i++)
		free(pool[i]);
	free(pool);
	pool = NULL;
	pool_size = 0;
	pool_wide_saved = false;
}

static struct cpu_thread *pool_get(int cpu)
{
	struct cpu_thread *ct;

	if ((unsigned int)cpu >= pool_size) {
		unsigned int n = max((unsigned int)cpu + 1, 2 * pool_size);
		struct cpu_thread **np = realloc(pool, n * sizeof(*np));

		if (!np)
			return NULL;
		memset(np + pool_size, 0, (n - pool_size) * sizeof(*np));
		pool = np;
		pool_size = n;
	}
	if (pool[cpu])
		return pool[cpu];
	if (!pool_atfork_done) {
		if (pthread_atfork(NULL, NULL, pool_atfork_child))
			return NULL;
		pool_atfork_done = true;
	}
	ct = calloc(1, sizeof(*ct));
	if (!ct)
		return NULL;
	sem_init(&ct->baton, 0, 0);
	if (spawn(ct, pool_thread_main)) {
		sem_destroy(&ct->baton);
		free(ct);
		return NULL;
	}
	pool[cpu] = ct;
	return ct;
}

void sim_cpu_pool_enable(void)
{
	pool_on = true;
}

int sim_cpu_pool_pin(int host_cpu)
{
	const cpu_set_t *set = &pool_wide;
	cpu_set_t one;
	int err;

	if (!pool_wide_saved) {
		if (host_cpu < 0)
			return 0;
		if (sched_getaffinity(0, sizeof(pool_wide), &pool_wide))
			return errno;
		pool_wide_saved = true;
	}
	if (host_cpu >= 0) {
		CPU_ZERO(&one);
		CPU_SET(host_cpu, &one);
		set = &one;
	}
	err = pthread_setaffinity_np(pthread_self(), sizeof(*set), set);
	for (unsigned int i = 0; i < pool_size && !err; i++)
		if (pool[i])
			err = pthread_setaffinity_np(pool[i]->thread, sizeof(*set), set);
	return err;
}

int sim_cpu_start(int cpu, const char *comm, int pid, void (*fn)(void *), void *arg)
{
	struct cpu_thread *ct;
	int err;

	if (backend == SIM_BACKEND_CONTROLLED && pool_on) {
		/* Parked until the scheduler first picks it: no wake-up here. */
		ct = cpu >= 0 ? pool_get(cpu) : NULL;
		if (!ct)
			return cpu >= 0 ? EAGAIN : EINVAL;
		bind_task(&ct->task, cpu, comm, pid);
		ct->fn = fn;
		ct->arg = arg;
		sim_ctl_cpu_register(cpu, &ct->task, &ct->baton);
		return 0;
	}
	ct = calloc(1, sizeof(*ct));
	if (!ct)
		return ENOMEM;
	bind_task(&ct->task, cpu, comm, pid);
	ct->fn = fn;
	ct->arg = arg;
	sem_init(&ct->baton, 0, 0);
	if (backend == SIM_BACKEND_CONTROLLED)
		sim_ctl_cpu_register(cpu, &ct->task, &ct->baton);
	err = spawn(ct, cpu_thread_main);
	if (err) {
		sem_destroy(&ct->baton);
		free(ct);
		return err;
	}
	pthread_mutex_lock(&cpu_threads_lock);
	ct->next = cpu_threads;
	cpu_threads = ct;
	pthread_mutex_unlock(&cpu_threads_lock);
	return 0;
}

void sim_cpu_join_all(void)
{
	if (backend == SIM_BACKEND_CONTROLLED)
		sim_ctl_run();
	for (;;) {
		struct cpu_thread *ct;

		pthread_mutex_lock(&cpu_threads_lock);
		ct = cpu_threads;
		if (ct)
			cpu_threads = ct->next;
		pthread_mutex_unlock(&cpu_threads_lock);
		if (!ct)
			return;
		pthread_join(ct->thread, NULL);
		sem_destroy(&ct->baton);
		free(ct);
	}
}

void sim_run_as_cpu(int cpu, const char *comm, int pid, void (*fn)(void *), void *arg)
{
	struct task_struct task, *saved = sim_current_task;
	bool registered;

	bind_task(&task, cpu, comm, pid);
	sim_current_task = &task;
	jitter_rng_ready = false;
	/* A host thread already registered (maybe inside a reader) stays so. */
	registered = sim_rcu_register_thread();
	fn(arg);
	if (registered)
		sim_rcu_unregister_thread();
	sim_current_task = saved;
}
