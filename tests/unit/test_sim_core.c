// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel shim (§2.2, §2.9): the warning registry and log, atomics and
 * cmpxchg, per-CPU counters, spinlocks, RCU, the seeded PRNG and codetags.
 * No machine is brought up: these are the primitives the machine is built on.
 */
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "sim/core/atomic.h"
#include "sim/core/codetag.h"
#include "sim/core/percpu.h"
#include "sim/core/printk.h"
#include "sim/core/random.h"
#include "sim/core/rcu.h"
#include "sim/core/sched.h"
#include "sim/core/spinlock.h"

#define CUT_HERE "------------[ cut here ]------------"

static unsigned int saved_nr_cpu_ids;

static int setup(void **state)
{
	(void)state;
	saved_nr_cpu_ids = nr_cpu_ids;
	sim_log_set_stream(NULL);
	sim_log_set_echo(true);
	sim_log_clock_reset();
	sim_warn_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sim_set_jitter(0, 0);
	sim_warn_reset();
	sim_log_set_echo(false);
	codetag_free_dynamic();
	nr_cpu_ids = saved_nr_cpu_ids;
	return 0;
}

/* Occurrences of @needle in @hay. */
static int count_substr(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ */
/* Warning registry and log                                            */

struct site_snapshot {
	int nr_sites;
	long count;
	int first_cpu;
	enum sim_report_kind kind;
	char text[160];
	const char *func;
};

static void snapshot_site(const struct sim_warn_site *site, void *arg)
{
	struct site_snapshot *s = arg;

	if (!s->nr_sites++) {
		s->count = site->count;
		s->first_cpu = site->first_cpu;
		s->kind = site->kind;
		s->func = site->func;
		memcpy(s->text, site->text, sizeof(s->text));
	}
}

/* One WARN_ONCE call site, hit once per call. */
static bool warn_once_site(bool cond, int n)
{
	return WARN_ONCE(cond, "sim_core test warning %d\n", n);
}

static void warn_once_on_cpu(void *arg)
{
	warn_once_site(true, *(int *)arg);
}

static void test_warn_once_prints_one_cut_here_block_but_counts_every_hit(void **state)
{
	struct site_snapshot s = { 0 };
	int first = 7;

	(void)state;
	/* The first hit comes from CPU 2: the site remembers that CPU. */
	sim_run_as_cpu(2, "warner", 42, warn_once_on_cpu, &first);
	warn_once_site(true, 8);
	warn_once_site(true, 9);

	assert_int_equal(count_substr(sim_log_buffer(), CUT_HERE), 1);
	assert_int_equal(count_substr(sim_log_buffer(), "sim_core test warning"), 1);
	assert_non_null(strstr(sim_log_buffer(), "sim_core test warning 7"));
	assert_non_null(strstr(sim_log_buffer(), "WARNING: CPU: 2 PID: 42 at "));
	assert_non_null(strstr(sim_log_buffer(), "---[ end trace ]---"));
	assert_int_equal(sim_warn_count_fmt("sim_core test warning"), 3);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 3);

	sim_warn_for_each(snapshot_site, &s);
	assert_int_equal(s.nr_sites, 1);
	assert_int_equal(s.count, 3);
	assert_int_equal(s.first_cpu, 2);
	assert_int_equal(s.kind, SIM_REPORT_WARN);
	assert_string_equal(s.func, "warn_once_site");
	/* The first formatted text, without its trailing newline. */
	assert_string_equal(s.text, "sim_core test warning 7");
}

static void test_warn_once_returns_the_condition_and_a_false_one_is_not_counted(void **state)
{
	(void)state;
	assert_false(warn_once_site(false, 1));
	assert_int_equal(sim_warn_count_fmt("sim_core test warning"), 0);
	assert_int_equal(count_substr(sim_log_buffer(), CUT_HERE), 0);

	assert_true(warn_once_site(true, 2));
	/* Already printed: still true, still counted. */
	assert_true(warn_once_site(true, 3));
	assert_false(warn_once_site(false, 4));
	assert_int_equal(sim_warn_count_fmt("sim_core test warning"), 2);
}

static void pr_warn_once_site(int n)
{
	pr_warn_once("sim_core pr_warn_once %d\n", n);
}

static void test_pr_warn_once_logs_once_and_counts_every_call(void **state)
{
	struct site_snapshot s = { 0 };

	(void)state;
	for (int i = 0; i < 5; i++)
		pr_warn_once_site(i);

	assert_int_equal(count_substr(sim_log_buffer(), "sim_core pr_warn_once"), 1);
	assert_non_null(strstr(sim_log_buffer(), "] sim_core pr_warn_once 0\n"));
	/* pr_warn_once has no cut-here block */
	assert_int_equal(count_substr(sim_log_buffer(), CUT_HERE), 0);
	assert_int_equal(sim_warn_count_fmt("sim_core pr_warn_once"), 5);
	assert_int_equal(sim_warn_total(SIM_REPORT_PR_WARN), 5);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);

	sim_warn_for_each(snapshot_site, &s);
	assert_int_equal(s.nr_sites, 1);
	assert_int_equal(s.kind, SIM_REPORT_PR_WARN);
	assert_string_equal(s.text, "sim_core pr_warn_once 0");
}

static void test_warn_count_fmt_matches_by_format_prefix_across_sites(void **state)
{
	(void)state;
	warn_once_site(true, 1);
	pr_warn_once_site(1);
	pr_warn_once_site(2);
	assert_int_equal(sim_warn_count_fmt("sim_core "), 3);
	assert_int_equal(sim_warn_count_fmt("sim_core test warning %d\n"), 1);
	assert_int_equal(sim_warn_count_fmt("sim_core pr_warn_once"), 2);
	assert_int_equal(sim_warn_count_fmt("no such format"), 0);
}

static void test_warn_reset_clears_counts_and_rearms_the_once_flag(void **state)
{
	struct site_snapshot s = { 0 };

	(void)state;
	warn_once_site(true, 1);
	warn_once_site(true, 2);
	pr_warn_once_site(1);
	assert_int_equal(sim_warn_count_fmt("sim_core "), 3);

	sim_warn_reset();
	assert_int_equal(sim_warn_count_fmt("sim_core "), 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
	assert_int_equal(sim_warn_total(SIM_REPORT_PR_WARN), 0);
	sim_warn_for_each(snapshot_site, &s);
	assert_int_equal(s.nr_sites, 0);

	/* Re-armed: printed again, counted from zero, new first text. */
	warn_once_site(true, 3);
	pr_warn_once_site(4);
	assert_int_equal(count_substr(sim_log_buffer(), CUT_HERE), 2);
	assert_int_equal(count_substr(sim_log_buffer(), "sim_core pr_warn_once"), 2);
	assert_int_equal(sim_warn_count_fmt("sim_core test warning"), 1);
	sim_warn_for_each(snapshot_site, &s);
	assert_int_equal(s.nr_sites, 2);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.text, "sim_core test warning 3");
}

struct order_ctx {
	int n;
	const char *func[4];
};

static void collect_order(const struct sim_warn_site *site, void *arg)
{
	struct order_ctx *c = arg;

	if (c->n < 4)
		c->func[c->n] = site->func;
	c->n++;
}

static void test_sites_are_visited_in_order_of_first_hit(void **state)
{
	struct order_ctx c = { 0 };

	(void)state;
	pr_warn_once_site(1);
	warn_once_site(true, 1);
	pr_warn_once_site(2);
	sim_warn_for_each(collect_order, &c);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.func[0], "pr_warn_once_site");
	assert_string_equal(c.func[1], "warn_once_site");
}

static void test_warn_on_logs_every_hit(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		WARN_ON(i >= 0);
	assert_int_equal(count_substr(sim_log_buffer(), CUT_HERE), 3);
	assert_int_equal(count_substr(sim_log_buffer(), "WARN_ON(i >= 0)"), 3);
	assert_int_equal(sim_warn_count_fmt("WARN_ON("), 3);
}

/* Every kept line is "[sssss.uuuuuu] text": seconds width 5, microseconds 6. */
static void test_log_lines_carry_a_seconds_dot_microseconds_prefix(void **state)
{
	regex_t re;
	const char *buf, *p;
	int lines = 0;

	(void)state;
	pr_info("hello %d\n", 5);
	pr_info("two\nlines\n");
	warn_once_site(true, 1);

	assert_int_equal(regcomp(&re, "^\\[[ 0-9]{5}\\.[0-9]{6}\\] [^ ]", REG_EXTENDED), 0);
	buf = sim_log_buffer();
	for (p = buf; *p; lines++) {
		const char *nl = strchr(p, '\n');
		char line[512];
		size_t n;

		assert_non_null(nl);
		n = (size_t)(nl - p);
		assert_true(n < sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		if (regexec(&re, line, 0, NULL, 0))
			fail_msg("log line without timestamp prefix: \"%s\"", line);
		assert_int_equal(line[13], ']');
		assert_int_equal(line[14], ' ');
		p = nl + 1;
	}
	regfree(&re);
	/* hello, two, lines, and the 4-line warning block */
	assert_int_equal(lines, 7);
	assert_int_equal(strncmp(buf + 15, "hello 5\n", 8), 0);
}

static void test_log_echo_keeps_nothing_when_off_and_restarts_empty_when_on(void **state)
{
	(void)state;
	pr_info("kept\n");
	assert_non_null(strstr(sim_log_buffer(), "] kept\n"));
	sim_log_set_echo(false);
	pr_info("dropped\n");
	sim_log_set_echo(true);
	assert_string_equal(sim_log_buffer(), "");
	pr_info("again\n");
	assert_null(strstr(sim_log_buffer(), "dropped"));
	assert_null(strstr(sim_log_buffer(), "kept"));
	assert_non_null(strstr(sim_log_buffer(), "] again\n"));
}

/* ------------------------------------------------------------------ */
/* Atomics                                                             */

static void test_cmpxchg_on_a_long_returns_the_old_value_and_stores_only_on_match(void **state)
{
	long v = 10;

	(void)state;
	assert_int_equal(cmpxchg(&v, 10L, 20L), 10);
	assert_int_equal(v, 20);
	/* Mismatch: returns what was found, leaves it alone. */
	assert_int_equal(cmpxchg(&v, 10L, 30L), 20);
	assert_int_equal(v, 20);
}

static void test_cmpxchg_on_a_pointer_returns_the_old_value_and_stores_only_on_match(void **state)
{
	int a, b, c;
	int *p = &a;

	(void)state;
	assert_ptr_equal(cmpxchg(&p, &b, &c), &a);
	assert_ptr_equal(p, &a);
	assert_ptr_equal(cmpxchg(&p, &a, &b), &a);
	assert_ptr_equal(p, &b);
	assert_ptr_equal(cmpxchg(&p, &b, (int *)NULL), &b);
	assert_null(p);
}

static void test_atomic_try_cmpxchg_updates_old_on_failure(void **state)
{
	atomic_t v = ATOMIC_INIT(5);
	int old = 4;

	(void)state;
	assert_false(atomic_try_cmpxchg(&v, &old, 9));
	assert_int_equal(old, 5);		/* the value found */
	assert_int_equal(atomic_read(&v), 5);

	assert_true(atomic_try_cmpxchg(&v, &old, 9));
	assert_int_equal(old, 5);
	assert_int_equal(atomic_read(&v), 9);
}

static void test_atomic_cmpxchg_and_xchg_return_the_previous_value(void **state)
{
	atomic_t v = ATOMIC_INIT(1);
	long l = 3;

	(void)state;
	assert_int_equal(atomic_cmpxchg(&v, 2, 7), 1);
	assert_int_equal(atomic_read(&v), 1);
	assert_int_equal(atomic_cmpxchg(&v, 1, 7), 1);
	assert_int_equal(atomic_read(&v), 7);
	assert_int_equal(xchg(&l, 8L), 3);
	assert_int_equal(l, 8);
}

static void test_atomic_add_return_returns_the_new_value(void **state)
{
	atomic_t v = ATOMIC_INIT(0), one;
	atomic_long_t lv;

	(void)state;
	assert_int_equal(atomic_add_return(3, &v), 3);
	assert_int_equal(atomic_add_return(-5, &v), -2);
	assert_int_equal(atomic_inc_return(&v), -1);
	atomic_inc(&v);
	assert_int_equal(atomic_read(&v), 0);
	atomic_set(&one, 1);
	assert_true(atomic_dec_and_test(&one));
	assert_false(atomic_dec_and_test(&one));

	atomic_long_set(&lv, 1L << 40);
	assert_true(atomic_long_add_return(1, &lv) == (1L << 40) + 1);
	atomic_long_sub(2, &lv);
	assert_true(atomic_long_read(&lv) == (1L << 40) - 1);
}

/* ------------------------------------------------------------------ */
/* Simulated CPUs and per-CPU data                                     */

#define NR_TEST_CPUS 4
#define PERCPU_ROUNDS 10000

struct pcpu_counters {
	long events;
	long bytes;
};

struct pcpu_ctx {
	struct pcpu_counters *pc;
	int seen_cpu[NR_TEST_CPUS];
	char seen_comm[NR_TEST_CPUS][16];
};

static void pcpu_worker(void *arg)
{
	struct pcpu_ctx *ctx = arg;
	int cpu = smp_processor_id();

	ctx->seen_cpu[cpu] = cpu;
	memcpy(ctx->seen_comm[cpu], current->comm, 16);
	for (int i = 0; i < PERCPU_ROUNDS; i++) {
		this_cpu_inc(ctx->pc, events);
		this_cpu_add(ctx->pc, bytes, cpu + 1);
	}
	this_cpu_sub(ctx->pc, bytes, 1);
}

static void test_this_cpu_add_from_cpu_threads_sums_per_cpu(void **state)
{
	struct pcpu_ctx ctx;
	long total = 0;

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	for (int i = 0; i < NR_TEST_CPUS; i++)
		ctx.seen_cpu[i] = -1;
	nr_cpu_ids = NR_TEST_CPUS;
	ctx.pc = alloc_percpu(struct pcpu_counters);
	assert_non_null(ctx.pc);

	for (int cpu = 0; cpu < NR_TEST_CPUS; cpu++)
		assert_int_equal(sim_cpu_start(cpu, "pcpu", 100 + cpu, pcpu_worker, &ctx), 0);
	sim_cpu_join_all();

	for (int cpu = 0; cpu < NR_TEST_CPUS; cpu++) {
		assert_int_equal(ctx.seen_cpu[cpu], cpu);
		assert_string_equal(ctx.seen_comm[cpu], "pcpu");
		assert_int_equal(per_cpu_read(ctx.pc, cpu, events), PERCPU_ROUNDS);
		assert_int_equal(per_cpu_read(ctx.pc, cpu, bytes),
				 (long)PERCPU_ROUNDS * (cpu + 1) - 1);
		total += per_cpu_read(ctx.pc, cpu, bytes);
	}
	assert_int_equal(total, (long)PERCPU_ROUNDS * (1 + 2 + 3 + 4) - NR_TEST_CPUS);
	free_percpu(ctx.pc);
}

static void record_task(void *arg)
{
	struct task_struct *t = arg;

	*t = *current;
}

static void test_run_as_cpu_binds_the_task_for_the_call_and_restores_the_host(void **state)
{
	struct task_struct seen;

	(void)state;
	assert_ptr_equal(current, &sim_host_task);
	assert_int_equal(smp_processor_id(), 0);
	sim_run_as_cpu(3, "binder", 77, record_task, &seen);
	assert_int_equal(seen.cpu, 3);
	assert_int_equal(seen.pid, 77);
	assert_string_equal(seen.comm, "binder");
	assert_ptr_equal(current, &sim_host_task);
	assert_int_equal(smp_processor_id(), 0);
}

/* ------------------------------------------------------------------ */
/* Spinlocks                                                           */

#define LOCK_ROUNDS 20000

struct lock_ctx {
	spinlock_t lock;
	long counter;			/* plain: protected by ->lock only */
	int not_mine_inside;		/* spin_is_locked_by_me false while held */
	int mine_after_unlock;		/* ... or true after release */
	int bad_depth;
};

static void lock_worker(void *arg)
{
	struct lock_ctx *ctx = arg;

	for (int i = 0; i < LOCK_ROUNDS; i++) {
		spin_lock(&ctx->lock);
		if (!spin_is_locked_by_me(&ctx->lock))
			__atomic_fetch_add(&ctx->not_mine_inside, 1, __ATOMIC_RELAXED);
		if (current->lock_depth != 1)
			__atomic_fetch_add(&ctx->bad_depth, 1, __ATOMIC_RELAXED);
		ctx->counter++;
		spin_unlock(&ctx->lock);
		if (spin_is_locked_by_me(&ctx->lock))
			__atomic_fetch_add(&ctx->mine_after_unlock, 1, __ATOMIC_RELAXED);
		if (current->lock_depth != 0)
			__atomic_fetch_add(&ctx->bad_depth, 1, __ATOMIC_RELAXED);
	}
}

static void run_lock_workers(struct lock_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	spin_lock_init(&ctx->lock);
	for (int cpu = 0; cpu < NR_TEST_CPUS; cpu++)
		assert_int_equal(sim_cpu_start(cpu, "locker", 200 + cpu, lock_worker, ctx), 0);
	sim_cpu_join_all();
}

static void test_spin_lock_gives_mutual_exclusion_to_four_cpus(void **state)
{
	struct lock_ctx ctx;

	(void)state;
	nr_cpu_ids = NR_TEST_CPUS;
	run_lock_workers(&ctx);
	assert_int_equal(ctx.counter, NR_TEST_CPUS * LOCK_ROUNDS);
	assert_int_equal(ctx.not_mine_inside, 0);
	assert_int_equal(ctx.mine_after_unlock, 0);
	assert_int_equal(ctx.bad_depth, 0);
}

static void test_jitter_only_delays_so_spin_lock_still_excludes(void **state)
{
	struct lock_ctx ctx;

	(void)state;
	nr_cpu_ids = NR_TEST_CPUS;
	sim_set_jitter(1000, 12345);
	assert_true(sim_sched_hooked);
	run_lock_workers(&ctx);
	sim_set_jitter(0, 0);
	assert_false(sim_sched_hooked);
	assert_int_equal(ctx.counter, NR_TEST_CPUS * LOCK_ROUNDS);
	assert_int_equal(ctx.not_mine_inside, 0);
	assert_int_equal(ctx.mine_after_unlock, 0);
}

struct trylock_ctx {
	spinlock_t *lock;
	bool took;
	bool mine;
};

static void try_other_cpu(void *arg)
{
	struct trylock_ctx *t = arg;

	t->mine = spin_is_locked_by_me(t->lock);
	t->took = spin_trylock(t->lock);
	if (t->took)
		spin_unlock(t->lock);
}

static void test_spin_is_locked_by_me_is_true_only_on_the_holding_cpu(void **state)
{
	DEFINE_SPINLOCK(lock);
	struct trylock_ctx t = { &lock, true, true };

	(void)state;
	assert_false(spin_is_locked_by_me(&lock));
	spin_lock(&lock);			/* host task: CPU 0 */
	assert_true(spin_is_locked_by_me(&lock));
	assert_int_equal(current->lock_depth, 1);
	assert_int_equal(sim_cpu_start(1, "other", 300, try_other_cpu, &t), 0);
	sim_cpu_join_all();
	assert_false(t.mine);
	assert_false(t.took);
	spin_unlock(&lock);
	assert_false(spin_is_locked_by_me(&lock));
	assert_int_equal(current->lock_depth, 0);

	assert_int_equal(sim_cpu_start(1, "other", 300, try_other_cpu, &t), 0);
	sim_cpu_join_all();
	assert_true(t.took);
}

/* ------------------------------------------------------------------ */
/* RCU                                                                 */

struct rcu_ctx {
	int inside;
	int done;
	bool held_inside;
	bool held_after;
	int depth_after;
};

static void rcu_reader(void *arg)
{
	struct rcu_ctx *ctx = arg;

	rcu_read_lock();
	ctx->held_inside = rcu_read_lock_held();
	__atomic_store_n(&ctx->inside, 1, __ATOMIC_RELEASE);
	sleep_ms(20);
	__atomic_store_n(&ctx->done, 1, __ATOMIC_RELAXED);
	rcu_read_unlock();
	ctx->held_after = rcu_read_lock_held();
	ctx->depth_after = current->rcu_read_depth;
}

static void test_synchronize_rcu_waits_for_a_reader_that_entered_first(void **state)
{
	struct rcu_ctx ctx = { 0 };

	(void)state;
	nr_cpu_ids = 2;
	assert_int_equal(sim_cpu_start(1, "reader", 400, rcu_reader, &ctx), 0);
	while (!__atomic_load_n(&ctx.inside, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	synchronize_rcu();
	assert_int_equal(__atomic_load_n(&ctx.done, __ATOMIC_RELAXED), 1);
	sim_cpu_join_all();
	assert_true(ctx.held_inside);
	assert_false(ctx.held_after);
	assert_int_equal(ctx.depth_after, 0);
}

static void test_rcu_read_lock_held_is_true_only_inside_a_nested_reader(void **state)
{
	(void)state;
	assert_false(rcu_read_lock_held());
	rcu_read_lock();
	assert_true(rcu_read_lock_held());
	rcu_read_lock();
	assert_int_equal(current->rcu_read_depth, 2);
	rcu_read_unlock();
	assert_true(rcu_read_lock_held());
	rcu_read_unlock();
	assert_false(rcu_read_lock_held());
	assert_int_equal(current->rcu_read_depth, 0);
	/* Outside any reader a grace period returns at once. */
	synchronize_rcu();
	assert_false(rcu_read_lock_held());
}

struct rcu_obj {
	int a;
	long b;
};

static struct rcu_obj *rcu_ptr;

static void test_rcu_assign_pointer_then_rcu_dereference_round_trips(void **state)
{
	static struct rcu_obj obj = { 3, 4 };
	struct rcu_obj *p;

	(void)state;
	rcu_assign_pointer(rcu_ptr, &obj);
	rcu_read_lock();
	p = rcu_dereference(rcu_ptr);
	assert_ptr_equal(p, &obj);
	assert_int_equal(p->a, 3);
	assert_int_equal(p->b, 4);
	rcu_read_unlock();

	rcu_assign_pointer(rcu_ptr, NULL);
	rcu_read_lock();
	assert_null(rcu_dereference(rcu_ptr));
	rcu_read_unlock();
}

/* ------------------------------------------------------------------ */
/* PRNG                                                                */

static void test_rng_is_deterministic_for_equal_seed_and_stream(void **state)
{
	struct sim_rng a, b;

	(void)state;
	sim_rng_seed(&a, 42, 1);
	sim_rng_seed(&b, 42, 1);
	for (int i = 0; i < 1000; i++)
		assert_true(sim_rng_next(&a) == sim_rng_next(&b));
}

static void test_rng_streams_and_seeds_give_different_sequences(void **state)
{
	struct sim_rng a, b, c;
	int same_stream = 0, same_seed = 0;

	(void)state;
	sim_rng_seed(&a, 42, 1);
	sim_rng_seed(&b, 42, 2);
	sim_rng_seed(&c, 43, 1);
	for (int i = 0; i < 64; i++) {
		uint64_t x = sim_rng_next(&a);

		same_stream += x == sim_rng_next(&b);
		same_seed += x == sim_rng_next(&c);
	}
	assert_int_equal(same_stream, 0);
	assert_int_equal(same_seed, 0);
}

static void test_rng_below_stays_under_the_bound_and_reaches_every_value(void **state)
{
	struct sim_rng r;
	int hits[7] = { 0 };

	(void)state;
	sim_rng_seed(&r, 7, 0);
	for (int i = 0; i < 7000; i++) {
		uint64_t v = sim_rng_below(&r, 7);

		assert_true(v < 7);
		hits[v]++;
	}
	for (int i = 0; i < 7; i++)
		assert_true(hits[i] > 0);
	for (int i = 0; i < 100; i++)
		assert_true(sim_rng_below(&r, 1) == 0);
	for (int i = 0; i < 1000; i++)
		assert_true(sim_rng_below(&r, UINT64_MAX) < UINT64_MAX);
}

/* ------------------------------------------------------------------ */
/* Codetags and alloc_hooks()                                          */

static struct alloc_tag *peek_current_tag(void)
{
	return current->alloc_tag;
}

static void test_alloc_hooks_installs_the_call_site_tag_only_during_the_call(void **state)
{
	struct alloc_tag *seen;
	unsigned int line;

	(void)state;
	assert_null(current->alloc_tag);
	line = __LINE__ + 1;
	seen = alloc_hooks(peek_current_tag());

	assert_non_null(seen);
	assert_string_equal(seen->ct.function, __func__);
	assert_int_equal(seen->ct.lineno, line);
	assert_string_equal(seen->ct.filename, __FILE__);
	assert_null(seen->ct.modname);
	assert_null(current->alloc_tag);
	/* A static tag lives in the alloc_tags section. */
	assert_true(seen >= codetag_section_start() && seen < codetag_section_stop());
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
}

static struct alloc_tag *inner_call(void)
{
	return alloc_hooks(peek_current_tag());
}

struct nest_seen {
	struct alloc_tag *outer_before, *inner, *outer_after;
};

static struct nest_seen *nest_outer(struct nest_seen *s)
{
	s->outer_before = current->alloc_tag;
	s->inner = inner_call();
	s->outer_after = current->alloc_tag;
	return s;
}

static void test_nested_alloc_hooks_innermost_wins_and_each_level_is_restored(void **state)
{
	struct alloc_tag sentinel = { .ct = { .function = "sentinel" } };
	struct nest_seen s = { 0 };

	(void)state;
	current->alloc_tag = &sentinel;
	alloc_hooks(nest_outer(&s));
	assert_ptr_equal(current->alloc_tag, &sentinel);
	current->alloc_tag = NULL;

	assert_string_equal(s.outer_before->ct.function, __func__);
	assert_string_equal(s.inner->ct.function, "inner_call");
	assert_ptr_equal(s.outer_after, s.outer_before);
	assert_ptr_not_equal(s.inner, s.outer_before);
	assert_int_equal(sim_warn_total(SIM_REPORT_WARN), 0);
}

static int clobber_current_tag(void)
{
	static struct alloc_tag other;

	current->alloc_tag = &other;
	return 1;
}

static void test_alloc_hooks_warns_when_the_callee_changed_current_tag(void **state)
{
	int r;

	(void)state;
	r = alloc_hooks(clobber_current_tag());
	assert_int_equal(r, 1);
	assert_null(current->alloc_tag);	/* restored anyway */
	assert_int_equal(sim_warn_count_fmt("current->alloc_tag was changed:\n"), 1);
	assert_non_null(strstr(sim_log_buffer(), "current->alloc_tag was changed:"));
}

struct iter_ctx {
	int n;
	int first_dynamic;	/* index of the first tag outside the section */
	int static_after_dynamic;
	struct alloc_tag *dyn[2];
	int dyn_index[2];
};

static void iter_cb(struct alloc_tag *tag, void *arg)
{
	struct iter_ctx *c = arg;
	bool is_static = tag >= codetag_section_start() && tag < codetag_section_stop();

	if (!is_static && c->first_dynamic < 0)
		c->first_dynamic = c->n;
	if (is_static && c->first_dynamic >= 0)
		c->static_after_dynamic++;
	for (int i = 0; i < 2; i++)
		if (tag == c->dyn[i])
			c->dyn_index[i] = c->n;
	c->n++;
}

static void test_dynamic_tags_are_iterated_after_the_static_section_in_creation_order(void **state)
{
	struct iter_ctx c = { .first_dynamic = -1, .dyn_index = { -1, -1 } };
	char name[16] = "mm/dyn.c";
	long nr_static;

	(void)state;
	nr_static = codetag_section_stop() - codetag_section_start();
	assert_true(nr_static > 0);	/* this file's own alloc_hooks() sites */

	c.dyn[0] = codetag_new_dynamic(name, 42, "dyn_alloc", NULL);
	c.dyn[1] = codetag_new_dynamic("mm/dyn2.c", 7, "dyn2_alloc", "mymod");
	assert_non_null(c.dyn[0]);
	assert_non_null(c.dyn[1]);
	/* The strings are copied. */
	strcpy(name, "changed");
	assert_string_equal(c.dyn[0]->ct.filename, "mm/dyn.c");
	assert_string_equal(c.dyn[0]->ct.function, "dyn_alloc");
	assert_int_equal(c.dyn[0]->ct.lineno, 42);
	assert_null(c.dyn[0]->ct.modname);
	assert_string_equal(c.dyn[1]->ct.modname, "mymod");

	codetag_iterate(iter_cb, &c);
	assert_int_equal(c.n, nr_static + 2);
	assert_int_equal(c.first_dynamic, nr_static);
	assert_int_equal(c.static_after_dynamic, 0);
	assert_int_equal(c.dyn_index[0], nr_static);
	assert_int_equal(c.dyn_index[1], nr_static + 1);

	codetag_free_dynamic();
	c = (struct iter_ctx){ .first_dynamic = -1, .dyn_index = { -1, -1 } };
	codetag_iterate(iter_cb, &c);
	assert_int_equal(c.n, nr_static);
	assert_int_equal(c.first_dynamic, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_warn_once_prints_one_cut_here_block_but_counts_every_hit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warn_once_returns_the_condition_and_a_false_one_is_not_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pr_warn_once_logs_once_and_counts_every_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warn_count_fmt_matches_by_format_prefix_across_sites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warn_reset_clears_counts_and_rearms_the_once_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sites_are_visited_in_order_of_first_hit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warn_on_logs_every_hit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_lines_carry_a_seconds_dot_microseconds_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_echo_keeps_nothing_when_off_and_restarts_empty_when_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmpxchg_on_a_long_returns_the_old_value_and_stores_only_on_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmpxchg_on_a_pointer_returns_the_old_value_and_stores_only_on_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_try_cmpxchg_updates_old_on_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_cmpxchg_and_xchg_return_the_previous_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_add_return_returns_the_new_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_this_cpu_add_from_cpu_threads_sums_per_cpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_as_cpu_binds_the_task_for_the_call_and_restores_the_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spin_lock_gives_mutual_exclusion_to_four_cpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jitter_only_delays_so_spin_lock_still_excludes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spin_is_locked_by_me_is_true_only_on_the_holding_cpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_synchronize_rcu_waits_for_a_reader_that_entered_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rcu_read_lock_held_is_true_only_inside_a_nested_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rcu_assign_pointer_then_rcu_dereference_round_trips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_is_deterministic_for_equal_seed_and_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_streams_and_seeds_give_different_sequences, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_below_stays_under_the_bound_and_reaches_every_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_hooks_installs_the_call_site_tag_only_during_the_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_alloc_hooks_innermost_wins_and_each_level_is_restored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_hooks_warns_when_the_callee_changed_current_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dynamic_tags_are_iterated_after_the_static_section_in_creation_order, setup, teardown),
	};

	return cmocka_run_group_tests_name("sim_core", tests, NULL, NULL);
}
