// SPDX-License-Identifier: GPL-2.0
/*
 * Replay ordering `free`, and the trace target of `explore --trace`.
 *
 * The trace is loaded as one sequence of events per CPU.  What the kernel
 * guaranteed between CPUs is only what happened to the same pages: a block
 * is freed after it was allocated, and allocated again after it was freed.
 * So an event waits for the last earlier event (in the file) of every other
 * CPU that touched one of its pages, and for nothing else.  Within that
 * order each block meets the same policy rows as under `timestamp`, while
 * allocations, the marker's page_ext_init() and its CLEAR race for real
 * (free backend) or as the controlled scheduler chooses (explore).
 *
 * Invariant (no deadlock): a dependency always names an event earlier in
 * the file, and each CPU plays its events in file order, so the earliest
 * unplayed event of the whole trace can always run.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "sim/core/array.h"
#include "sim/core/printk.h"
#include "alloc/alloc_pages.h"
#include "cli.h"
#include "replay_priv.h"

/* A kept event, and what it waits for. */
struct plan_op {
	struct replay_rec rec;
	uint32_t dep;		/* first of nr_deps in plan->deps */
	uint16_t nr_deps;
	bool signal;		/* another CPU waits for this one */
};

/* Wait until @cpu played @upto of its events. */
struct plan_dep {
	uint32_t cpu;
	uint32_t upto;
};

struct plan_cpu {
	struct replay_plan *plan;
	struct plan_op *ops;
	size_t n, cap;
	/* per run */
	struct sim_event progress;	/* events played, at signal ones */
	struct replay_cpu rc;
};

struct replay_plan {
	struct replay_options opt;
	struct replay r;
	struct replay_counts read;	/* what the reader counted */
	struct plan_cpu *cpus;
	struct plan_dep *deps;
	size_t nr_deps, cap_deps;
	bool owner_chosen;		/* the marks' CPU (replay.marker_owner) */
	/* per run */
	struct sim_event finished;
	struct unstamped_count unstamped;
};

/* ------------------------------------------------------------------ */
/* Loading                                                             */

/* Last event per PFN: (index + 1) << 16 | (cpu + 1); 0 if none. */
struct last_touch {
	uint64_t *v;
	unsigned long n;
};

static struct plan_op *new_op(struct plan_cpu *pc)
{
	if (!array_reserve(&pc->ops, &pc->cap, pc->n, sizeof(*pc->ops), 64))
		return NULL;
	memset(&pc->ops[pc->n], 0, sizeof(pc->ops[0]));
	return &pc->ops[pc->n++];
}

static int add_dep(struct replay_plan *p, struct plan_op *op, uint32_t cpu, uint32_t upto)
{
	struct plan_dep *d = p->deps + op->dep;

	for (unsigned int i = 0; i < op->nr_deps; i++) {
		if (d[i].cpu == cpu) {
			if (upto > d[i].upto)
				d[i].upto = upto;
			return 0;
		}
	}
	if (!array_reserve(&p->deps, &p->cap_deps, p->nr_deps, sizeof(*p->deps), 1024) ||
	    op->nr_deps == UINT16_MAX)
		return -ENOMEM;
	/* an op's deps are contiguous: they are added before the next op's */
	p->deps[p->nr_deps++] = (struct plan_dep){ cpu, upto };
	op->nr_deps++;
	return 0;
}

/* @op (the last of @cpu's) touches @n pages at @pfn: order it after their last events. */
static int order_after_last(struct replay_plan *p, struct last_touch *last, int cpu,
			    struct plan_op *op, unsigned long pfn, unsigned long n)
{
	uint64_t me = (uint64_t)p->cpus[cpu].n << 16 | (uint64_t)(cpu + 1);

	op->dep = (uint32_t)p->nr_deps;
	if (pfn + n > last->n)
		return 0;	/* beyond the trace's memory: bad input the CPU reports */
	for (unsigned long i = pfn; i < pfn + n; i++) {
		uint64_t l = last->v[i];
		int other = (int)(l & 0xffff) - 1;
		uint32_t upto = (uint32_t)(l >> 16);

		last->v[i] = me;
		if (!l || other == cpu)
			continue;
		p->cpus[other].ops[upto - 1].signal = true;
		if (add_dep(p, op, (uint32_t)other, upto))
			return -ENOMEM;
	}
	return 0;
}

static int load_before(struct replay_plan *p, struct last_touch *last)
{
	struct replay *r = &p->r;
	long name = r->nr_before ? replay_intern_before(r) : 0;

	if (name < 0)
		return -ENOMEM;
	for (size_t i = 0; i < r->nr_before; i++) {
		const struct early_block *b = &r->before[i];
		struct plan_op *op = new_op(&p->cpus[b->cpu]);

		if (!op)
			return -ENOMEM;
		op->rec = (struct replay_rec){
			.kind = REC_BEFORE, .name = (uint32_t)name, .pfn = b->pfn,
			.order = (uint8_t)b->order, .cpu = (uint16_t)b->cpu,
		};
		if (order_after_last(p, last, b->cpu, op, b->pfn, 1UL << b->order))
			return -ENOMEM;
	}
	return 0;
}

/* Stepped: every mark on the CPU of the first, which plays them all. */
static int load_marker(struct replay_plan *p, const struct trace_event *ev,
		       enum replay_rec_kind kind)
{
	struct plan_op *op;

	if (!p->owner_chosen) {
		p->owner_chosen = true;
		p->r.marker_owner = ev->cpu;
	}
	op = new_op(&p->cpus[p->r.marker_owner]);
	if (!op)
		return -ENOMEM;
	replay_rec_set(&op->rec, ev, kind, 0);
	op->dep = (uint32_t)p->nr_deps;
	return 0;
}

static int load_event(struct replay_plan *p, struct last_touch *last,
		      const struct trace_event *ev)
{
	bool first = replay_first_marker(&p->r, ev);	/* keeps its text */
	struct plan_op *op;
	long name = 0;
	int ret = 0;

	if (p->r.stepped && replay_mark_rank(ev) >= 0)
		ret = load_marker(p, ev, REC_MARK);
	else if (!p->r.stepped && first)
		ret = load_marker(p, ev, REC_MARKER);
	if (ret)
		return ret;
	replay_count_other(&p->read, ev);
	if (ev->kind != TEV_ALLOC && ev->kind != TEV_FREE && ev->kind != TEV_FREE_BATCHED)
		return 0;
	if (ev->kind == TEV_ALLOC && (name = replay_intern(&p->r, ev)) < 0)
		return -ENOMEM;
	op = new_op(&p->cpus[ev->cpu]);
	if (!op)
		return -ENOMEM;
	replay_rec_set(&op->rec, ev, (enum replay_rec_kind)ev->kind, (uint32_t)name);
	if (ev->kind == TEV_ALLOC && ev->failed) {
		op->dep = (uint32_t)p->nr_deps;
		return 0;
	}
	return order_after_last(p, last, ev->cpu, op, ev->pfn, 1UL << ev->order);
}

static int load_events(struct replay_plan *p)
{
	struct replay *r = &p->r;
	struct last_touch last = { .n = r->res->counts.trace_max_pfn };
	struct trace_reader *tr;
	struct trace_event ev;
	int ret = 0;

	if (last.n) {
		last.v = mmap(NULL, last.n * sizeof(*last.v), PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (last.v == MAP_FAILED)
			return -ENOMEM;
	}
	tr = replay_open(r);
	if (!tr) {
		ret = -EINVAL;
		goto out;
	}
	ret = load_before(p, &last);
	while (!ret && (ret = replay_next(r, tr, &ev)) > 0) {
		if (ev.cpu >= (int)r->res->counts.nr_cpus)
			continue;	/* pass 1 counted it (--lenient) */
		ret = load_event(p, &last, &ev);
	}
	p->read.lines = trace_stats(tr)->lines;
	p->read.bad_lines = trace_stats(tr)->bad_lines;
	trace_close(tr);
out:
	if (last.n)
		munmap(last.v, last.n * sizeof(*last.v));
	return ret;
}

/**
 * replay_plan_load - read @o's trace into per-CPU sequences.
 *
 * Returns 0, or an exit status with @err set: 2 for bad input (the trace
 * must be a file: it is read twice), 3 internal.
 */
int replay_plan_load(const struct replay_options *o, struct replay_plan **out,
		     char *err, size_t errlen)
{
	struct replay_plan *p;
	struct replay_result scratch;
	int ret;

	*out = NULL;
	if (!strcmp(o->path, "-")) {
		snprintf(err, errlen, "replay: ordering 'free' reads the trace twice: give a "
			 "file, not standard input");
		return EXIT_USAGE;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of host memory");
		return EXIT_INTERNAL;
	}
	*out = p;
	p->opt = *o;
	memset(&scratch, 0, sizeof(scratch));
	p->r = (struct replay){ .opt = &p->opt, .res = &scratch, .err = err, .errlen = errlen };
	ret = replay_prepare(&p->r);
	if (ret)
		return ret;
	p->cpus = calloc(scratch.counts.nr_cpus, sizeof(*p->cpus));
	if (!p->cpus) {
		snprintf(err, errlen, "out of host memory");
		return EXIT_INTERNAL;
	}
	ret = load_events(p);
	p->read.nr_cpus = scratch.counts.nr_cpus;
	p->read.trace_max_pfn = scratch.counts.trace_max_pfn;
	p->read.bad_events = scratch.counts.bad_events;
	p->r.res = NULL;
	if (ret == -ENOMEM) {
		snprintf(err, errlen, "out of host memory loading the trace");
		return EXIT_INTERNAL;
	}
	if (ret < 0)
		return p->r.status ? p->r.status : EXIT_INTERNAL;
	return 0;
}

/* The simulated CPUs of a run: the trace's, and one for a stepped page_ext_init(). */
unsigned int replay_plan_cpus(const struct replay_plan *p)
{
	return p->read.nr_cpus + p->r.stepped;
}

/* ------------------------------------------------------------------ */
/* Running                                                             */

static bool stopped(const struct replay *r)
{
	return __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
}

static void plan_cpu_main(void *arg)
{
	struct plan_cpu *pc = arg;
	struct replay_plan *p = pc->plan;
	struct replay *r = &p->r;
	long played = 0;
	size_t i;

	pc->rc.self = sim_current_task;
	for (i = 0; i < pc->n; i++) {
		const struct plan_op *op = &pc->ops[i];
		const struct plan_dep *d = p->deps + op->dep;

		for (unsigned int k = 0; k < op->nr_deps; k++)
			sim_event_wait(&p->cpus[d[k].cpu].progress, d[k].upto);
		if (stopped(r) || replay_play_rec(&pc->rc, &op->rec))
			break;
		if (op->signal) {
			sim_event_add(&pc->progress, (long)(i + 1) - played);
			played = (long)(i + 1);
		}
	}
	sim_current_task = pc->rc.self;
	if (i < pc->n) {
		/* stopped: nobody may wait for an event this CPU will not play */
		sim_event_add(&pc->progress, LONG_MAX / 2);
		__atomic_store_n(&r->stop, true, __ATOMIC_RELEASE);
	}
	if (pc - p->cpus == r->marker_owner)
		replay_release_init(r);
	if (sim_event_add(&p->finished, 1) == (long)p->read.nr_cpus && !stopped(r)) {
		/* the marker's CPU released page_ext_init(): it ends on its own */
		replay_wait_init(r);
		sim_points_off();
		oracle_count_unstamped(&p->unstamped);
		sim_points_on();
	}
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int start_cpus(struct replay_plan *p)
{
	for (unsigned int cpu = 0; cpu < p->read.nr_cpus; cpu++) {
		char comm[16];
		int ret;

		snprintf(comm, sizeof(comm), "cpu%u", cpu);
		ret = sim_cpu_start((int)cpu, comm, 1 + (int)cpu, plan_cpu_main, &p->cpus[cpu]);
		if (ret) {
			snprintf(p->r.err, p->r.errlen, "cannot start a thread for CPU %u: %s",
				 cpu, strerror(ret));
			/* the started ones stop at their first event */
			__atomic_store_n(&p->r.stop, true, __ATOMIC_RELEASE);
			return EXIT_INTERNAL;
		}
	}
	return 0;
}

/**
 * replay_plan_run - one run of a loaded trace on a fresh machine.
 *
 * Returns 0 with @res filled (free it with replay_result_free()), or an
 * exit status with @err set; the machine is torn down then.
 */
int replay_plan_run(struct replay_plan *p, struct replay_result *res, char *err, size_t errlen)
{
	struct replay *r = &p->r;
	unsigned int ncpus = p->read.nr_cpus;
	struct timespec t0;
	int ret;

	memset(res, 0, sizeof(*res));
	res->counts = p->read;
	r->res = res;
	r->err = err;
	r->errlen = errlen;
	ret = replay_setup_machine(r);
	if (ret)
		return ret;
	/* the racing CPUs only read the tags */
	for (uint32_t i = 0; i < r->nr_names + (r->nr_names == REPLAY_MAX_TAGS); i++) {
		if (!replay_tag(r, i)) {
			snprintf(err, errlen, "out of host memory for allocation tags");
			machine_teardown();
			return EXIT_INTERNAL;
		}
	}
	sim_event_init(&p->finished, "replay finished");
	for (unsigned int cpu = 0; cpu < ncpus; cpu++) {
		p->cpus[cpu].plan = p;
		p->cpus[cpu].rc = (struct replay_cpu){ .r = r };
		sim_event_init(&p->cpus[cpu].progress, "replay progress");
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = replay_start_init(r, (int)ncpus);
	if (!ret)
		ret = start_cpus(p);
	else
		ret = EXIT_INTERNAL;
	if (ret)
		replay_release_init(r);
	sim_cpu_join_all();
	replay_stop_init(r);
	res->replay_seconds = seconds_since(&t0);
	for (unsigned int cpu = 0; cpu < ncpus; cpu++) {
		replay_counts_add(&res->counts, &p->cpus[cpu].rc.c);
		sim_event_destroy(&p->cpus[cpu].progress);
	}
	sim_event_destroy(&p->finished);
	if (!ret && r->status)
		ret = r->status;
	if (ret) {
		machine_teardown();
		return ret;
	}
	replay_evaluate(r, &p->unstamped);
	return 0;
}

void replay_plan_free(struct replay_plan *p)
{
	if (!p)
		return;
	for (unsigned int cpu = 0; p->cpus && cpu < p->read.nr_cpus; cpu++)
		free(p->cpus[cpu].ops);
	free(p->cpus);
	free(p->deps);
	replay_release(&p->r);
	free(p);
}
