// SPDX-License-Identifier: GPL-2.0
/*
 * The controlled backend (sim/core/controlled.h): one CPU at a time, locks,
 * RCU and events modelled by the scheduler, deadlocks seen rather than hung.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sim/core/atomic.h"
#include "sim/core/controlled.h"
#include "sim/core/event.h"
#include "sim/core/nmi.h"
#include "sim/core/rcu.h"
#include "sim/core/spinlock.h"

/* A strategy scripted by the test: a list of CPUs, then the default. */
struct script {
	const int *cpus;
	size_t n;
	int trace[4096];		/* chosen CPU per decision */
	size_t len;
	unsigned int max_enabled;
};

static int script_choose(void *priv, const struct sim_ctl_decision *d)
{
	struct script *s = priv;
	int cpu;

	if (d->step < s->n && sim_ctl_is_enabled(d, s->cpus[d->step]))
		cpu = s->cpus[d->step];
	else if (d->prev_enabled)
		cpu = d->prev;
	else
		cpu = sim_ctl_next_enabled(d, d->prev + 1);
	if (s->len < ARRAY_SIZE(s->trace))
		s->trace[s->len++] = cpu;
	if (d->nr_enabled > s->max_enabled)
		s->max_enabled = d->nr_enabled;
	return cpu;
}

static void run_cpus(struct script *s, unsigned int n, void (*fn)(void *), void *arg)
{
	struct sim_ctl_hooks hooks = { .choose = script_choose, .priv = s };

	assert_int_equal(sim_ctl_begin(n, &hooks), 0);
	for (unsigned int cpu = 0; cpu < n; cpu++)
		assert_int_equal(sim_cpu_start((int)cpu, "t", (int)cpu, fn, arg), 0);
	sim_cpu_join_all();
	sim_ctl_end();
}

/* Each CPU appends its id to a shared log at every step: no locks needed. */
static int order_log[64];
static atomic_t order_len;

static void append_three(void *arg)
{
	for (int i = 0; i < 3; i++) {
		int at = atomic_read(&order_len);

		order_log[at] = smp_processor_id();
		atomic_set(&order_len, at + 1);
	}
}

static void test_only_one_cpu_runs_and_script_is_followed(void **state)
{
	/* a racy read-then-write is never torn apart unless the script says so */
	static const int cpus[] = { 0, 0, 0, 0, 0, 0, 0 };
	struct script s = { cpus, ARRAY_SIZE(cpus) };

	atomic_set(&order_len, 0);
	run_cpus(&s, 2, append_three, NULL);
	assert_int_equal(atomic_read(&order_len), 6);
	for (int i = 0; i < 3; i++)
		assert_int_equal(order_log[i], 0);
	for (int i = 3; i < 6; i++)
		assert_int_equal(order_log[i], 1);
	assert_true(s.max_enabled <= 2);
}

static void test_preemption_between_read_and_write_loses_an_update(void **state)
{
	/*
	 * decision 0 starts CPU 0; it passes atomic_read (1) and stops before
	 * atomic_set (2): CPU 1 runs its whole loop, then CPU 0 stores the
	 * length it read (0) + 1, losing CPU 1's three appends but one.
	 */
	static const int cpus[] = { 0, 0, 1, 1, 1, 1, 1, 1, 1 };
	struct script s = { cpus, ARRAY_SIZE(cpus) };

	atomic_set(&order_len, 0);
	run_cpus(&s, 2, append_three, NULL);
	assert_int_equal(atomic_read(&order_len), 3);
	assert_int_equal(order_log[0], 1);	/* CPU 1 overwrote CPU 0's first entry */
}

static void test_same_script_gives_same_trace(void **state)
{
	static const int cpus[] = { 1, 0, 1, 0, 1, 0, 1 };
	struct script a = { cpus, ARRAY_SIZE(cpus) }, b = { cpus, ARRAY_SIZE(cpus) };

	atomic_set(&order_len, 0);
	run_cpus(&a, 2, append_three, NULL);
	atomic_set(&order_len, 0);
	run_cpus(&b, 2, append_three, NULL);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.trace, b.trace, a.len * sizeof(int));
	assert_int_equal(sim_ctl_active(), false);
}

static DEFINE_SPINLOCK(test_lock);
static int in_critical, max_in_critical;

static void locked_section(void *arg)
{
	for (int i = 0; i < 2; i++) {
		spin_lock(&test_lock);
		in_critical++;
		if (in_critical > max_in_critical)
			max_in_critical = in_critical;
		SIM_POINT("inside", NULL);
		in_critical--;
		spin_unlock(&test_lock);
	}
}

static void test_cpu_waiting_for_a_held_lock_is_not_enabled(void **state)
{
	/* ask for CPU 1 inside CPU 0's critical section: the script cannot win */
	static const int cpus[] = { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	struct script s = { cpus, ARRAY_SIZE(cpus) };

	max_in_critical = 0;
	run_cpus(&s, 3, locked_section, NULL);
	assert_int_equal(max_in_critical, 1);
	assert_int_equal(test_lock.owner_cpu, -1);
}

static int reader_done, writer_saw_reader_done;

static void rcu_pair(void *arg)
{
	if (smp_processor_id() == 0) {
		rcu_read_lock();
		SIM_POINT("reading", NULL);
		SIM_POINT("reading", NULL);
		reader_done = 1;
		rcu_read_unlock();
	} else {
		synchronize_rcu();
		writer_saw_reader_done = reader_done;
	}
}

static void test_synchronize_rcu_waits_for_a_reader_that_started_before(void **state)
{
	/* CPU 0 enters its reader, then CPU 1 is asked for at every decision */
	static const int cpus[] = { 0, 0, 1, 1, 1, 1, 1, 1 };
	struct script s = { cpus, ARRAY_SIZE(cpus) };

	reader_done = writer_saw_reader_done = 0;
	run_cpus(&s, 2, rcu_pair, NULL);
	assert_int_equal(writer_saw_reader_done, 1);
}

static void test_synchronize_rcu_does_not_wait_for_readers_that_start_later(void **state)
{
	/* CPU 1 first: no reader is active, so its grace period ends at once */
	static const int cpus[] = { 1, 1, 1 };
	struct script s = { cpus, ARRAY_SIZE(cpus) };

	reader_done = writer_saw_reader_done = 0;
	run_cpus(&s, 2, rcu_pair, NULL);
	assert_int_equal(writer_saw_reader_done, 0);
}

static struct sim_event go;
static int waiter_saw;

static void event_pair(void *arg)
{
	if (smp_processor_id() == 0) {
		SIM_POINT("work", NULL);
		waiter_saw = 7;
		sim_event_add(&go, 1);
	} else {
		sim_event_wait(&go, 1);
		waiter_saw *= 2;
	}
}

static void test_event_wait_blocks_until_the_value_is_reached(void **state)
{
	static const int cpus[] = { 1, 1, 1, 1 };
	struct script s = { cpus, ARRAY_SIZE(cpus) };

	sim_event_init(&go, "go");
	waiter_saw = 0;
	run_cpus(&s, 2, event_pair, NULL);
	assert_int_equal(waiter_saw, 14);
	sim_event_destroy(&go);
}

static unsigned long steps_seen;

static void count_steps(void *arg)
{
	for (int i = 0; i < 5; i++)
		SIM_POINT("step", NULL);
	steps_seen = sim_ctl_steps();
}

static void test_steps_count_decisions_and_drive_the_log_clock(void **state)
{
	struct script s = { NULL, 0 };

	run_cpus(&s, 1, count_steps, NULL);
	/* start + 5 points before the read; the last CPU to exit decides nothing */
	assert_int_equal(steps_seen, 6);
	assert_int_equal(s.len, 6);
}

/* Deadlocks end the execution through the abort hook: run them in a child. */
static DEFINE_SPINLOCK(lock_a);
static DEFINE_SPINLOCK(lock_b);
static int abort_pipe[2];

static __noreturn void abort_to_pipe(void *priv, enum sim_ctl_abort why)
{
	char buf[2048];
	int n = snprintf(buf, sizeof(buf), "%s\n", sim_ctl_abort_name(why));

	n += sim_ctl_describe_cpus(buf + n, sizeof(buf) - n);
	if (write(abort_pipe[1], buf, (size_t)n) < 0)
		_exit(3);
	_exit(42);
}

static void abba(void *arg)
{
	spinlock_t *first = smp_processor_id() ? &lock_b : &lock_a;
	spinlock_t *second = smp_processor_id() ? &lock_a : &lock_b;

	spin_lock(first);
	spin_lock(second);
	spin_unlock(second);
	spin_unlock(first);
}

static void self_sync(void *arg)
{
	rcu_read_lock();
	synchronize_rcu();
	rcu_read_unlock();
}

static void run_aborting(void (*fn)(void *), unsigned int ncpus, const int *cpus,
			 size_t n, unsigned long max_steps, char *out, size_t outlen)
{
	struct script s = { cpus, n };
	struct sim_ctl_hooks hooks = {
		.choose = script_choose, .abort = abort_to_pipe, .priv = &s,
		.max_steps = max_steps,
	};
	int status;
	ssize_t got;
	pid_t pid;

	assert_int_equal(pipe(abort_pipe), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(abort_pipe[0]);
		if (sim_ctl_begin(ncpus, &hooks))
			_exit(3);
		for (unsigned int cpu = 0; cpu < ncpus; cpu++)
			sim_cpu_start((int)cpu, cpu ? "cpu1" : "cpu0", (int)cpu, fn, NULL);
		sim_cpu_join_all();
		_exit(0);
	}
	close(abort_pipe[1]);
	got = read(abort_pipe[0], out, outlen - 1);
	out[got > 0 ? got : 0] = '\0';
	close(abort_pipe[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 42);
}

static void test_abba_locking_is_reported_as_a_deadlock_with_positions(void **state)
{
	/* CPU 0 takes A, CPU 1 takes B, then each waits for the other */
	static const int cpus[] = { 0, 0, 1, 1 };
	char out[2048];

	run_aborting(abba, 2, cpus, ARRAY_SIZE(cpus), 0, out, sizeof(out));
	assert_non_null(strstr(out, "deadlock"));
	assert_non_null(strstr(out, "CPU 0 (cpu0): waits for spinlock lock_b held by CPU 1"));
	assert_non_null(strstr(out, "CPU 1 (cpu1): waits for spinlock lock_a held by CPU 0"));
}

static void test_synchronize_rcu_inside_a_reader_is_a_deadlock(void **state)
{
	char out[2048];

	run_aborting(self_sync, 1, NULL, 0, 0, out, sizeof(out));
	assert_non_null(strstr(out, "deadlock"));
	assert_non_null(strstr(out, "in synchronize_rcu(), waiting for the reader on CPU 0"));
}

static void spin_forever(void *arg)
{
	for (;;)
		SIM_POINT("spin", NULL);
}

static void test_step_budget_turns_a_livelock_into_a_hang_report(void **state)
{
	char out[2048];

	run_aborting(spin_forever, 1, NULL, 0, 1000, out, sizeof(out));
	assert_non_null(strstr(out, "step budget exhausted"));
	assert_non_null(strstr(out, "spin_forever: spin"));
}

/* NMIs (nmi.h): armed per CPU, aimed at windows, fired on entering a point */
static struct sim_nmi test_nmi;
static int nmi_hits, nmi_handler_saw_in_nmi, nmi_fired_at, nmi_arm_ret;
static bool nmi_in_nmi_after, nmi_left_armed;

static void count_nmi(void *arg)
{
	nmi_hits++;
	nmi_handler_saw_in_nmi = in_nmi();
	SIM_POINT("in the handler", NULL);	/* not counted, no nesting */
}

static void points_in_a_window(void *arg)
{
	int inside = (int)(intptr_t)arg;

	test_nmi = (struct sim_nmi){ .handler = count_nmi, .at = 3 };
	nmi_arm_ret = sim_nmi_arm(&test_nmi);
	for (int i = 0; i < 5; i++)
		SIM_POINT("before the window", NULL);
	nmi_window_enter();
	for (int i = 0; i < inside; i++) {
		SIM_POINT("inside", NULL);
		if (test_nmi.fired && !nmi_fired_at)
			nmi_fired_at = i + 1;
	}
	nmi_window_exit();
	SIM_POINT("after the window", NULL);
	nmi_in_nmi_after = in_nmi();
	nmi_left_armed = sim_nmi_disarm() != NULL;
}

static void run_nmi_window(int inside)
{
	struct script s = { NULL, 0 };

	nmi_hits = nmi_handler_saw_in_nmi = nmi_fired_at = 0;
	nmi_arm_ret = -1;
	run_cpus(&s, 1, points_in_a_window, (void *)(intptr_t)inside);
	assert_int_equal(nmi_arm_ret, 0);
	assert_false(nmi_in_nmi_after);
}

static void test_nmi_fires_once_at_the_kth_point_inside_a_window_with_in_nmi_set(void **state)
{
	run_nmi_window(6);
	assert_int_equal(nmi_hits, 1);
	assert_int_equal(nmi_fired_at, 3);	/* points outside the window do not count */
	assert_true(nmi_handler_saw_in_nmi);
	assert_true(test_nmi.fired);
	assert_false(nmi_left_armed);
}

static void test_nmi_never_fires_when_the_cpu_does_not_reach_the_kth_point(void **state)
{
	run_nmi_window(2);
	assert_int_equal(nmi_hits, 0);
	assert_false(test_nmi.fired);
	assert_int_equal(test_nmi.seen, 2);
	assert_true(nmi_left_armed);
}

static void try_arm(void *arg)
{
	static struct sim_nmi nmi = { .handler = count_nmi, .at = 1 };

	*(int *)arg = sim_nmi_arm(&nmi);
	if (sim_nmi_disarm())
		*(int *)arg = 1;
}

static void test_nmi_cannot_be_armed_under_the_free_backend(void **state)
{
	struct sim_nmi nmi = { .handler = count_nmi, .at = 1 };
	int ret = 0;

	sim_run_as_cpu(0, "t", 0, try_arm, &ret);	/* a CPU thread, free backend */
	assert_int_equal(ret, -EOPNOTSUPP);
	assert_int_equal(sim_nmi_arm(&nmi), -EOPNOTSUPP);	/* the host thread */
}

static DEFINE_SPINLOCK(record_lock);
static struct sim_nmi lock_nmi;

static void nmi_takes_record_lock(void *arg)
{
	unsigned long flags;

	spin_lock_irqsave(&record_lock, flags);
	spin_unlock_irqrestore(&record_lock, flags);
}

static void nmi_while_holding_record_lock(void *arg)
{
	unsigned long flags;

	lock_nmi = (struct sim_nmi){ .handler = nmi_takes_record_lock, .at = 2 };
	sim_nmi_arm(&lock_nmi);
	nmi_window_enter();
	spin_lock_irqsave(&record_lock, flags);		/* point 1 */
	spin_unlock_irqrestore(&record_lock, flags);	/* point 2: NMI, lock held */
	nmi_window_exit();
}

static void test_nmi_spinning_on_a_lock_its_cpu_holds_is_reported_as_a_hard_lockup(void **state)
{
	char out[2048];

	run_aborting(nmi_while_holding_record_lock, 1, NULL, 0, 0, out, sizeof(out));
	assert_non_null(strstr(out, "deadlock"));
	assert_non_null(strstr(out, "CPU 0 (cpu0): watchdog: Watchdog detected hard LOCKUP on "
			       "cpu 0: spins in NMI context on spinlock record_lock, which "
			       "CPU 0 itself holds, at "));
}

static void lock_twice(void *arg)
{
	if (smp_processor_id() == 1) {
		spin_lock(&lock_a);
		spin_lock(&lock_a);
	}
}

static void test_cpu_re_taking_its_own_lock_is_a_hard_lockup_on_that_cpu_only(void **state)
{
	char out[2048];

	run_aborting(lock_twice, 2, NULL, 0, 0, out, sizeof(out));
	assert_non_null(strstr(out, "CPU 1 (cpu1): watchdog: Watchdog detected hard LOCKUP on "
			       "cpu 1: spins on spinlock lock_a, which CPU 1 itself holds"));
	assert_non_null(strstr(out, "CPU 0 (cpu0): finished"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_one_cpu_runs_and_script_is_followed),
		cmocka_unit_test(test_preemption_between_read_and_write_loses_an_update),
		cmocka_unit_test(test_same_script_gives_same_trace),
		cmocka_unit_test(test_cpu_waiting_for_a_held_lock_is_not_enabled),
		cmocka_unit_test(test_synchronize_rcu_waits_for_a_reader_that_started_before),
		cmocka_unit_test(test_synchronize_rcu_does_not_wait_for_readers_that_start_later),
		cmocka_unit_test(test_event_wait_blocks_until_the_value_is_reached),
		cmocka_unit_test(test_steps_count_decisions_and_drive_the_log_clock),
		cmocka_unit_test(test_abba_locking_is_reported_as_a_deadlock_with_positions),
		cmocka_unit_test(test_synchronize_rcu_inside_a_reader_is_a_deadlock),
		cmocka_unit_test(test_step_budget_turns_a_livelock_into_a_hang_report),
		cmocka_unit_test(test_nmi_fires_once_at_the_kth_point_inside_a_window_with_in_nmi_set),
		cmocka_unit_test(test_nmi_never_fires_when_the_cpu_does_not_reach_the_kth_point),
		cmocka_unit_test(test_nmi_cannot_be_armed_under_the_free_backend),
		cmocka_unit_test(test_nmi_spinning_on_a_lock_its_cpu_holds_is_reported_as_a_hard_lockup),
		cmocka_unit_test(test_cpu_re_taking_its_own_lock_is_a_hard_lockup_on_that_cpu_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
