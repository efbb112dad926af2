// SPDX-License-Identifier: GPL-2.0
/*
 * The explorer: a parent that plans executions and a worker child that runs
 * them under the controlled backend.
 *
 * Shared region (MAP_SHARED, MAP_NORESERVE: only what is written costs):
 *
 *   | part        | written by | holds                                      |
 *   |-------------|------------|--------------------------------------------|
 *   | pipe        | both       | the search's produced/consumed counters    |
 *   | slot 0:     |            |                                            |
 *   |  head       | both       | plan in; status, signature, error out      |
 *   |  prefix[]   | parent     | forced choices of the plan                 |
 *   |  recs[]     | worker     | every decision (DFS feedback, schedules)   |
 *   |  pts[]      | worker     | point passed at each decision (traced run) |
 *   |  ring[][]   | worker     | last points per CPU (oops reports)         |
 *   |  comm[][16] | worker     | task name per CPU (traced run)             |
 *   |  arena      | worker     | notes and log lines (traced run)           |
 *   | slot 1..n-1 | worker     | head, recs[], ring[][] of a search slot    |
 *
 * Two ways to run: execute() hands the worker one plan through a pipe and
 * waits for it (the probe, shrinking, traced replays); the search loop
 * pipelines instead.  The worker is forked with the parent's strategy, so
 * it computes the same plans as the parent: it runs them back to back and
 * publishes execution seq in slot seq % nr_slots, while the parent, on the
 * other host CPU, takes the slots in order, feeds its own copy of the
 * strategy and counts, as if it had run them one by one.  The two copies
 * stop at the same execution (plans run out, a finding without --all, an
 * error).  When the worker dies, the parent finishes that slot as a
 * crash, abort or hang, and forks a new worker from its strategy, which is
 * then exactly where the dead worker's was.
 *
 *   | pipe word   | written by | meaning                                    |
 *   |-------------|------------|--------------------------------------------|
 *   | produced    | worker     | executions published (slot complete)       |
 *   | consumed    | parent     | executions the parent is done with         |
 *   | parent_want | parent     | asleep until produced reaches it (0: awake)|
 *   | worker_want | worker     | asleep until consumed reaches it (0: awake)|
 *   | done        | worker     | its search loop ended                      |
 *
 * Both sleep on the other's counter with FUTEX_WAIT and are woken only when
 * what they wait for arrived, so a search costs no system call per
 * execution between the two processes.  No wake-up is lost: each side
 * stores its *_want (seq_cst) before FUTEX_WAIT, which reads the counter
 * after a full barrier, and the other side stores the counter (seq_cst)
 * before it loads *_want: one of the two sees the other's store.
 *
 * The worker writes its status before it can die, so the parent can always
 * tell a finished execution, a modelled abort (deadlock, step budget,
 * schedule mismatch), a crash (signal) and a wall-clock hang apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/core/controlled.h"
#include "sim/core/printk.h"
#include "sim/core/trace.h"
#include "alloc_tag/alloc_tag.h"
#include "cli.h"
#include "explore.h"
#include "report.h"
#include "timeline.h"
#include "version.h"

#define RING		8
#define ARENA_BYTES	(64UL << 20)
#define SHRINK_BUDGET	300
/*
 * Search slots: at most MAX_SLOTS, the recs[] of slots 1.. within
 * SLOTS_RECS_BYTES (9 slots at the default --max-steps).  The parent sleeps
 * until half of them wait for it, so it wakes every few executions.
 */
#define MAX_SLOTS	16
#define SLOTS_RECS_BYTES (256UL << 20)
/* Sleep slices: how soon a death nobody reported (SIGKILL) is seen. */
#define SLICE_MS	100
#define PIN_PERIOD_S	0.1

struct shm_pipe {
	uint32_t produced;
	uint32_t consumed;
	uint32_t parent_want;
	uint32_t worker_want;
	uint32_t done;
};

struct shm_head {
	/* in */
	struct exec_plan plan;
	bool traced;
	/* live */
	int running;
	/* out */
	enum exec_status status;
	enum sim_ctl_abort why;
	int signal;
	size_t nr_decisions;
	bool truncated;
	size_t arena_used;
	size_t nr_events;
	size_t report_off, report_len;		/* text report (traced) */
	size_t json_off, json_len;		/* oracle JSON fields (traced) */
	char signature[512];
	struct exec_summary summary;	/* filled by the worker when it returns */
	uint64_t started;		/* search: 1 + the execution begun here, 0: none */
	double t_start;			/* search: when the worker began it */
	char error[512];
	int error_exit;			/* EXEC_ERROR: 2 bad input (a trace), 3 internal */
	char desc[4096];
};

/* An event in the arena: header, then text and its NUL. */
struct arena_event {
	uint32_t step;
	int16_t cpu;
	uint8_t kind;
	uint32_t len;
	char text[];
};

/* The per-execution parts of the shared region that a search slot repeats. */
struct slot {
	struct shm_head *head;
	struct decision_rec *recs;
	const struct sim_point **ring;
	unsigned int *ring_pos;
};

struct explorer {
	const struct explore_options *opt;
	unsigned int nr_cpus;
	unsigned long cap;			/* decisions kept */
	void *map;
	size_t map_size;
	struct shm_pipe *pipe;
	struct slot slots[MAX_SLOTS];
	unsigned int nr_slots;
	/* the slot in use: slot 0 but in the search */
	struct shm_head *head;
	struct decision_rec *recs;
	const struct sim_point **ring;		/* [cpu][RING] */
	unsigned int *ring_pos;
	/* slot 0 only */
	uint16_t *prefix;
	const struct sim_point **pts;
	char (*comm)[16];
	char *arena;
	/* worker */
	pid_t pid;
	int req_fd, resp_fd;
	struct strategy *strategy;		/* forked with it: the worker searches */
	pid_t parent_pid;
	/* in the worker only */
	struct chooser *chooser;
};

static void use_slot(struct explorer *x, unsigned int i)
{
	x->head = x->slots[i].head;
	x->recs = x->slots[i].recs;
	x->ring = x->slots[i].ring;
	x->ring_pos = x->slots[i].ring_pos;
}

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

/* Sleep while *@word == @val, at most @ms; the word is shared with the other process. */
static void futex_wait_ms(uint32_t *word, uint32_t val, int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	futex(word, FUTEX_WAIT, val, &ts);
}

static void futex_wake_all(uint32_t *word)
{
	futex(word, FUTEX_WAKE, INT32_MAX, NULL);
}

/* @a is at or past @b, for counters that may wrap. */
static bool seq_reached(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* ---- the worker ------------------------------------------------------ */

static struct explorer *worker_self;

static void arena_put(struct explorer *x, int cpu, enum exec_event_kind kind, const char *text)
{
	struct shm_head *h = x->head;
	size_t len = strlen(text);
	size_t need = ALIGN(sizeof(struct arena_event) + len + 1, 8);
	struct arena_event *e;

	if (h->arena_used + need > ARENA_BYTES) {
		h->truncated = true;
		return;
	}
	e = (struct arena_event *)(x->arena + h->arena_used);
	e->step = (uint32_t)sim_ctl_steps();
	e->cpu = (int16_t)cpu;
	e->kind = (uint8_t)kind;
	e->len = (uint32_t)len;
	memcpy(e->text, text, len + 1);
	h->arena_used += need;
	h->nr_events++;
	if (cpu >= 0 && (unsigned int)cpu < x->nr_cpus)
		snprintf(x->comm[cpu], sizeof(x->comm[cpu]), "%s", current->comm);
}

static void tracer_note(void *priv, int cpu, const char *text)
{
	arena_put(priv, sim_on_cpu_thread() ? cpu : -1, EXEC_EVENT_NOTE, text);
}

static void tracer_log(void *priv, int cpu, const char *line)
{
	arena_put(priv, sim_on_cpu_thread() ? cpu : -1, EXEC_EVENT_LOG, line);
}

static int worker_choose(void *priv, const struct sim_ctl_decision *d)
{
	struct explorer *x = priv;
	int next = chooser_choose(x->chooser, d);

	if (next < 0)
		snprintf(x->head->error, sizeof(x->head->error), "%s",
			 chooser_error(x->chooser));
	x->head->running = next;
	return next;
}

static void worker_stepped(void *priv, const struct sim_ctl_decision *d, int chosen)
{
	struct explorer *x = priv;
	struct shm_head *h = x->head;

	if (d->prev >= 0 && d->pt) {
		unsigned int pos = x->ring_pos[d->prev]++ % RING;

		x->ring[(size_t)d->prev * RING + pos] = d->pt;
	}
	if (d->step >= x->cap) {
		h->truncated = true;
		return;
	}
	x->recs[d->step] = (struct decision_rec){
		.chosen = (uint16_t)chosen,
		.prev = (int16_t)d->prev,
		.prev_enabled = d->prev_enabled,
		.enabled = d->enabled[0],
	};
	if (h->traced)
		x->pts[d->step] = d->pt;
	h->nr_decisions = d->step + 1;
}

static __noreturn void worker_abort(void *priv, enum sim_ctl_abort why)
{
	struct explorer *x = priv;

	x->head->why = why;
	sim_ctl_describe_cpus(x->head->desc, sizeof(x->head->desc));
	__atomic_store_n(&x->head->status, EXEC_ABORTED, __ATOMIC_RELEASE);
	futex_wake_all(&x->pipe->produced);
	_exit(0);
}

static void worker_crash(int sig)
{
	struct explorer *x = worker_self;

	/* Not async-signal-safe in theory; the process is lost anyway. */
	x->head->signal = sig;
	sim_ctl_describe_cpus(x->head->desc, sizeof(x->head->desc));
	__atomic_store_n(&x->head->status, EXEC_CRASHED, __ATOMIC_RELEASE);
	futex_wake_all(&x->pipe->produced);
	_exit(128 + sig);
}

static void add_signature_warning(const struct sim_warn_site *s, void *arg)
{
	char *sig = arg;
	size_t n = strlen(sig);

	snprintf(sig + n, 512 - n, "%s%s:%d", n ? "; " : "",
		 codetag_display_filename(s->file), s->line);
}

/* What the execution found, independent of counts: equal for the same bug. */
static void oracle_signature(char *sig, const struct oracle_results *o)
{
	size_t n;

	sig[0] = '\0';
	sim_warn_for_each(add_signature_warning, sig);
	for (int i = 0; i < o->nr_leaks; i++) {
		n = strlen(sig);
		snprintf(sig + n, 512 - n, "%sleak %s", n ? "; " : "",
			 o->leaks[i].tag->ct.function);
	}
	n = strlen(sig);
	if (o->unstamped.pages)
		snprintf(sig + n, 512 - n, "%sunstamped", n ? "; " : "");
	n = strlen(sig);
	if (o->tracking_pages_unreachable)
		snprintf(sig + n, 512 - n, "%sunreachable", n ? "; " : "");
	n = strlen(sig);
	if (o->mobility_violations)
		snprintf(sig + n, 512 - n, "%smobility", n ? "; " : "");
	n = strlen(sig);
	if (o->invariant_violations || o->bad_frees)
		snprintf(sig + n, 512 - n, "%sallocator", n ? "; " : "");
}

static void summarize(struct exec_summary *s, const struct oracle_results *o,
		      const struct early_pfn_stats *e)
{
	s->warn_not_set = sim_warn_count_fmt("alloc_tag was not set");
	s->warn_not_cleared = sim_warn_count_fmt("alloc_tag was not cleared");
	s->bug_sleep = sim_warn_count_fmt("BUG: sleeping function called from invalid context");
	s->pr_tracking_failed = sim_warn_count_fmt("early PFN tracking page allocation failed");
	s->pr_pfn_max = sim_warn_count_fmt("Early page allocations before page_ext init exceeded");
	s->leaks = o->nr_leaks;
	for (int i = 0; i < o->nr_leaks; i++)
		s->leaks_d13 += o->leaks[i].d13;
	s->unstamped = o->unstamped.pages;
	s->unreachable = o->tracking_pages_unreachable;
	s->early = *e;
}

static void arena_put_block(struct explorer *x, const char *text, size_t len,
			    size_t *off, size_t *outlen)
{
	struct shm_head *h = x->head;

	if (h->arena_used + len + 1 > ARENA_BYTES) {
		h->truncated = true;
		return;
	}
	memcpy(x->arena + h->arena_used, text, len);
	x->arena[h->arena_used + len] = '\0';
	*off = h->arena_used;
	*outlen = len;
	h->arena_used += ALIGN(len + 1, 8);
}

/* The traced run also leaves its oracle report, as text and as JSON. */
static void put_reports(struct explorer *x, const struct oracle_results *o,
			const struct early_pfn_stats *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f) {
		report_oracles_text(f, o, e);
		fclose(f);
		arena_put_block(x, buf, len, &x->head->report_off, &x->head->report_len);
		free(buf);
	}
	buf = NULL;
	f = open_memstream(&buf, &len);
	if (f) {
		report_oracles_json(f, o);
		fclose(f);
		arena_put_block(x, buf, len, &x->head->json_off, &x->head->json_len);
		free(buf);
	}
}

static const struct sim_tracer worker_tracer_proto = {
	.note = tracer_note,
	.log = tracer_log,
};

/* Run the target once; fill the head's status and signature. */
static void worker_run_one(struct explorer *x)
{
	const struct explore_options *o = x->opt;
	struct shm_head *h = x->head;
	struct exec_plan plan = h->plan;
	struct sim_tracer tracer = worker_tracer_proto;
	struct sim_ctl_hooks hooks = {
		.choose = worker_choose,
		.stepped = worker_stepped,
		.abort = worker_abort,
		.priv = x,
		.max_steps = o->max_steps,
	};
	const struct oracle_results *res;
	const struct early_pfn_stats *early;
	struct scenario_result sres;
	struct replay_result rres;
	struct boot_result bres;
	struct boot_options bopt = o->boot;
	char err[256] = "";
	int ret;

	plan.prefix = x->prefix;
	x->chooser = chooser_new(&plan, x->nr_cpus);
	if (!x->chooser || sim_ctl_begin(x->nr_cpus, &hooks)) {
		snprintf(h->error, sizeof(h->error), "out of host memory");
		h->error_exit = EXIT_INTERNAL;
		h->status = EXEC_ERROR;
		return;
	}
	tracer.priv = x;
	if (h->traced)
		sim_set_tracer(&tracer);
	sim_log_set_stream(NULL);
	bopt.log = NULL;
	if (o->scenario) {
		struct machine_config cfg = o->boot.machine;

		scenario_machine_config(o->scenario, &cfg);
		ret = scenario_run(o->scenario, &cfg, &sres, err, sizeof(err));
		res = &sres.oracles;
		early = &sres.early;
	} else if (o->trace) {
		ret = replay_plan_run(o->trace, &rres, err, sizeof(err));
		res = &rres.oracles;
		early = &rres.early;
	} else {
		ret = boot_run(&bopt, &bres, err, sizeof(err));
		res = &bres.oracles;
		early = &bres.early;
	}
	sim_set_tracer(NULL);
	sim_ctl_end();
	chooser_free(x->chooser);
	x->chooser = NULL;
	if (ret) {
		snprintf(h->error, sizeof(h->error), "%s", err);
		h->error_exit = ret == EXIT_USAGE ? EXIT_USAGE : EXIT_INTERNAL;
		h->status = EXEC_ERROR;
		return;
	}
	oracle_signature(h->signature, res);
	summarize(&h->summary, res, early);
	if (h->traced)
		put_reports(x, res, early);
	h->status = res->fired ? EXEC_FINDING : EXEC_CLEAN;
	if (o->scenario)
		scenario_result_free(&sres);
	else if (o->trace)
		replay_result_free(&rres);
	else
		boot_result_free(&bres);
}

static void worker_install_handlers(struct explorer *x)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT };
	struct sigaction sa;

	worker_self = x;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_crash;
	sa.sa_flags = SA_ONSTACK;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static double now_s(void);
static bool is_finding(const struct explorer *x);
static size_t recorded_decisions(const struct explorer *x);

/* Fill the slot in use with @plan, before the worker runs it. */
static void prepare_slot(struct explorer *x, const struct exec_plan *plan, bool traced)
{
	struct shm_head *h = x->head;

	memset(h, 0, sizeof(*h));
	h->plan = *plan;
	h->plan.prefix = NULL;
	if (plan->prefix_len > x->cap)
		h->plan.prefix_len = x->cap;
	if (h->plan.prefix_len)
		memcpy(x->prefix, plan->prefix, h->plan.prefix_len * sizeof(uint16_t));
	h->traced = traced;
	h->running = -1;
	memset(x->ring_pos, 0, x->nr_cpus * sizeof(unsigned int));
	memset(x->comm, 0, x->nr_cpus * 16);
	h->status = EXEC_RUNNING;
}

/* Until slot @seq may be written; false if the parent is gone. */
static bool worker_wait_slot(struct explorer *x, uint32_t seq)
{
	struct shm_pipe *p = x->pipe;

	for (;;) {
		uint32_t freed = __atomic_load_n(&p->consumed, __ATOMIC_ACQUIRE);

		if (seq - freed < x->nr_slots)
			return true;
		__atomic_store_n(&p->worker_want, seq - x->nr_slots + 1, __ATOMIC_SEQ_CST);
		futex_wait_ms(&p->consumed, freed, SLICE_MS);
		__atomic_store_n(&p->worker_want, 0, __ATOMIC_RELAXED);
		if (getppid() != x->parent_pid)
			return false;
	}
}

/* @produced executions are in their slots; @last: and no more will come. */
static void worker_publish(struct explorer *x, uint32_t produced, bool last)
{
	struct shm_pipe *p = x->pipe;
	uint32_t want;

	__atomic_store_n(&p->produced, produced, __ATOMIC_SEQ_CST);
	if (last)
		__atomic_store_n(&p->done, 1, __ATOMIC_SEQ_CST);
	want = __atomic_load_n(&p->parent_want, __ATOMIC_SEQ_CST);
	if (last || (want && seq_reached(produced, want)))
		futex_wake_all(&p->produced);
}

/*
 * The search, run ahead of the parent: the same plans from the same
 * strategy (x->strategy, copied by the fork), the same stop rule.
 *
 * Only one thread of the worker runs at a time, yet each hand-over between
 * its threads woke the next one on whichever host CPU was idle: an IPI and,
 * in a VM, a halted vCPU to wake, per scheduling switch.  Pinned to one host
 * CPU, a hand-over is a plain context switch.  Every PIN_PERIOD_S the worker
 * runs one execution unpinned and pins itself again where the scheduler
 * woke it, so it moves off a CPU that other work has taken.
 */
static void worker_search(struct explorer *x)
{
	struct strategy *s = x->strategy;
	uint32_t seq = x->pipe->produced;
	struct exec_plan plan;
	double pinned_until = 0;
	bool pinned = false;

	while (strategy_next(s, &plan)) {
		bool stop;
		double t;

		if (!worker_wait_slot(x, seq))
			_exit(0);
		use_slot(x, seq % x->nr_slots);
		prepare_slot(x, &plan, false);
		t = now_s();
		if (pinned && t >= pinned_until) {
			sim_cpu_pool_pin(-1);
			pinned = false;
		}
		x->head->t_start = t;
		__atomic_store_n(&x->head->started, (uint64_t)seq + 1, __ATOMIC_RELEASE);
		worker_run_one(x);
		if (!pinned) {
			/* a failure leaves the threads where they were: no harm */
			sim_cpu_pool_pin(sched_getcpu());
			pinned = true;
			pinned_until = t + PIN_PERIOD_S;
		}
		strategy_feedback(s, x->recs, recorded_decisions(x));
		stop = x->head->status == EXEC_ERROR ||
		       (plan.counted && !x->opt->all && is_finding(x));
		worker_publish(x, ++seq, stop);
		if (stop)
			return;
	}
	worker_publish(x, seq, true);
}

static __noreturn void worker_main(struct explorer *x)
{
	worker_install_handlers(x);
	sim_cpu_pool_enable();
	for (;;) {
		char cmd;

		if (read(x->req_fd, &cmd, 1) != 1)
			_exit(0);
		if (cmd == 's') {
			worker_search(x);
			use_slot(x, 0);
			continue;
		}
		worker_run_one(x);
		if (write(x->resp_fd, &cmd, 1) != 1)
			_exit(0);
	}
}

/* ---- the parent ------------------------------------------------------ */

static int explorer_map(struct explorer *x, unsigned int max_slots)
{
	size_t off = ALIGN(sizeof(struct shm_pipe), 64);
	size_t o_head, o_prefix, o_recs, o_pts, o_ring, o_ring_pos, o_comm, o_arena;
	size_t o_slot[MAX_SLOTS], slot_bytes, recs_bytes = x->cap * sizeof(struct decision_rec);

	o_head = off;
	off = ALIGN(off + sizeof(struct shm_head), 64);
	o_prefix = off;
	off = ALIGN(off + x->cap * sizeof(uint16_t), 64);
	o_recs = off;
	off = ALIGN(off + x->cap * sizeof(struct decision_rec), 64);
	o_pts = off;
	off = ALIGN(off + x->cap * sizeof(void *), 64);
	o_ring = off;
	off = ALIGN(off + (size_t)x->nr_cpus * RING * sizeof(void *), 64);
	o_ring_pos = off;
	off = ALIGN(off + x->nr_cpus * sizeof(unsigned int), 64);
	o_comm = off;
	off = ALIGN(off + x->nr_cpus * 16, 64);
	o_arena = off;
	off = ALIGN(off + ARENA_BYTES, 64);

	/* Slots 1.. repeat head, recs and ring (same layout as slot 0's). */
	slot_bytes = ALIGN(sizeof(struct shm_head), 64) + ALIGN(recs_bytes, 64) +
		     (o_comm - o_ring);
	x->nr_slots = max_slots;
	while (x->nr_slots > 1 && (x->nr_slots - 1) * recs_bytes > SLOTS_RECS_BYTES)
		x->nr_slots--;
	o_slot[0] = o_head;
	for (unsigned int i = 1; i < x->nr_slots; i++) {
		o_slot[i] = off;
		off += slot_bytes;
	}

	x->map = mmap(NULL, off, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (x->map == MAP_FAILED)
		return -errno;
	x->map_size = off;
	x->pipe = x->map;
	x->slots[0] = (struct slot){
		.head = (struct shm_head *)((char *)x->map + o_head),
		.recs = (struct decision_rec *)((char *)x->map + o_recs),
		.ring = (const struct sim_point **)((char *)x->map + o_ring),
		.ring_pos = (unsigned int *)((char *)x->map + o_ring_pos),
	};
	for (unsigned int i = 1; i < x->nr_slots; i++) {
		char *b = (char *)x->map + o_slot[i];
		char *ring = b + ALIGN(sizeof(struct shm_head), 64) + ALIGN(recs_bytes, 64);

		x->slots[i] = (struct slot){
			.head = (struct shm_head *)b,
			.recs = (struct decision_rec *)(b + ALIGN(sizeof(struct shm_head), 64)),
			.ring = (const struct sim_point **)ring,
			.ring_pos = (unsigned int *)(ring + (o_ring_pos - o_ring)),
		};
	}
	use_slot(x, 0);
	x->prefix = (uint16_t *)((char *)x->map + o_prefix);
	x->pts = (const struct sim_point **)((char *)x->map + o_pts);
	x->comm = (char (*)[16])((char *)x->map + o_comm);
	x->arena = (char *)x->map + o_arena;
	return 0;
}

static int worker_spawn(struct explorer *x)
{
	int req[2], resp[2];
	pid_t pid;

	if (pipe2(req, O_CLOEXEC))
		return -errno;
	if (pipe2(resp, O_CLOEXEC)) {
		close(req[0]);
		close(req[1]);
		return -errno;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(req[0]);
		close(req[1]);
		close(resp[0]);
		close(resp[1]);
		return -e;
	}
	if (pid == 0) {
		close(req[1]);
		close(resp[0]);
		x->parent_pid = getppid();
		x->req_fd = req[0];
		x->resp_fd = resp[1];
		worker_main(x);
	}
	close(req[0]);
	close(resp[1]);
	x->pid = pid;
	x->req_fd = req[1];
	x->resp_fd = resp[0];
	return 0;
}

static void worker_reap(struct explorer *x, int *wstatus)
{
	close(x->req_fd);
	close(x->resp_fd);
	while (waitpid(x->pid, wstatus, 0) < 0 && errno == EINTR)
		;
	x->pid = 0;
	x->strategy = NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A hang with no scheduling point: ask for the CPUs' positions, then kill. */
static void kill_hung_worker(struct explorer *x)
{
	kill(x->pid, SIGQUIT);
	for (int i = 0; i < 100 && waitpid(x->pid, NULL, WNOHANG) == 0; i++)
		usleep(10000);
	kill(x->pid, SIGKILL);
	__atomic_store_n(&x->head->status, EXEC_TIMEOUT, __ATOMIC_RELEASE);
}

/* Wait for the worker's answer; false when it died or hung. */
static bool await_worker(struct explorer *x)
{
	struct pollfd pfd = { .fd = x->resp_fd, .events = POLLIN };
	double deadline = now_s() + x->opt->timeout_s;
	char c;

	for (;;) {
		int left = (int)((deadline - now_s()) * 1000);
		int r;

		if (left <= 0)
			break;
		r = poll(&pfd, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		return read(x->resp_fd, &c, 1) == 1;
	}
	kill_hung_worker(x);
	return false;
}

/* The worker is dead (reaped into @wstatus): say how the slot in use ended. */
static void worker_died(struct explorer *x, int wstatus)
{
	struct shm_head *h = x->head;

	switch (__atomic_load_n(&h->status, __ATOMIC_ACQUIRE)) {
	case EXEC_ABORTED:
	case EXEC_CRASHED:
	case EXEC_TIMEOUT:
		break;
	default:
		/* died without a word: a signal the handlers do not catch */
		h->status = EXEC_CRASHED;
		h->signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
		break;
	}
}

/* Run one plan in slot 0; the outcome is in x->head and the shared arrays. */
static int execute(struct explorer *x, const struct exec_plan *plan, bool traced)
{
	int ret, wstatus = 0;
	char cmd = 'r';

	if (!x->pid && (ret = worker_spawn(x)))
		return ret;
	use_slot(x, 0);
	prepare_slot(x, plan, traced);
	if (write(x->req_fd, &cmd, 1) == 1 && await_worker(x))
		return 0;
	worker_reap(x, &wstatus);
	worker_died(x, wstatus);
	return 0;
}

/*
 * Start a searching worker whose first execution is @seq; it carries the
 * parent's strategy as it is now.
 */
static int search_spawn(struct explorer *x, struct strategy *s, uint32_t seq)
{
	struct shm_pipe *p = x->pipe;
	char cmd = 's';
	int ws, ret;

	if (x->pid)
		worker_reap(x, &ws);
	*p = (struct shm_pipe){ .produced = seq, .consumed = seq };
	x->strategy = s;
	ret = worker_spawn(x);
	if (ret)
		return ret;
	if (write(x->req_fd, &cmd, 1) != 1)
		return -EPIPE;
	return 0;
}

/*
 * Wait until the searching worker has published execution @seq, and make
 * its slot the one in use.  False: the worker died or hung in it (reaped;
 * the slot says how it ended, as execute() would).
 */
static bool await_slot(struct explorer *x, uint32_t seq)
{
	struct shm_pipe *p = x->pipe;
	struct shm_head *h;
	double since = now_s();
	int wstatus = 0;
	bool hung;

	use_slot(x, seq % x->nr_slots);
	h = x->head;
	for (;;) {
		uint32_t got = __atomic_load_n(&p->produced, __ATOMIC_ACQUIRE);
		enum exec_status st;
		double start;

		if (seq_reached(got, seq + 1))
			return true;
		if (__atomic_load_n(&h->started, __ATOMIC_ACQUIRE) == (uint64_t)seq + 1) {
			st = __atomic_load_n(&h->status, __ATOMIC_ACQUIRE);
			/* written by the handlers just before the worker exits */
			if (st == EXEC_ABORTED || st == EXEC_CRASHED)
				break;
			start = h->t_start;
		} else {
			start = since;
		}
		if (__atomic_load_n(&p->done, __ATOMIC_ACQUIRE) &&
		    !seq_reached(__atomic_load_n(&p->produced, __ATOMIC_ACQUIRE), seq + 1)) {
			/* cannot happen: both copies of the strategy stop together */
			snprintf(h->error, sizeof(h->error), "internal error: the worker "
				 "stopped its search before execution %u", seq);
			h->error_exit = EXIT_INTERNAL;
			h->status = EXEC_ERROR;
			return true;
		}
		if (now_s() - start >= x->opt->timeout_s) {
			kill_hung_worker(x);
			break;
		}
		__atomic_store_n(&p->parent_want, seq + (x->nr_slots + 1) / 2, __ATOMIC_SEQ_CST);
		futex_wait_ms(&p->produced, got, SLICE_MS);
		__atomic_store_n(&p->parent_want, 0, __ATOMIC_RELAXED);
		if (waitpid(x->pid, &wstatus, WNOHANG) == x->pid) {
			/* reaped here: worker_reap() must not wait again */
			close(x->req_fd);
			close(x->resp_fd);
			x->pid = 0;
			x->strategy = NULL;
			if (seq_reached(__atomic_load_n(&p->produced, __ATOMIC_ACQUIRE), seq + 1))
				return true;
			if (__atomic_load_n(&h->started, __ATOMIC_ACQUIRE) != (uint64_t)seq + 1)
				goto unstarted;
			worker_died(x, wstatus);
			return false;
		}
	}
	worker_reap(x, &wstatus);
	if (__atomic_load_n(&h->started, __ATOMIC_ACQUIRE) != (uint64_t)seq + 1)
		goto unstarted;
	worker_died(x, wstatus);
	return false;
unstarted:
	/* died or hung between two executions: nothing of this one is in the slot */
	hung = h->status == EXEC_TIMEOUT;
	memset(h, 0, sizeof(*h));
	h->running = -1;
	h->status = hung ? EXEC_TIMEOUT : EXEC_RUNNING;
	memset(x->ring_pos, 0, x->nr_cpus * sizeof(unsigned int));
	worker_died(x, wstatus);
	return false;
}

/* The parent is done with execution @seq: its slot may be written again. */
static void release_slot(struct explorer *x, uint32_t seq)
{
	struct shm_pipe *p = x->pipe;
	uint32_t want;

	__atomic_store_n(&p->consumed, seq + 1, __ATOMIC_SEQ_CST);
	want = __atomic_load_n(&p->worker_want, __ATOMIC_SEQ_CST);
	if (want && seq_reached(seq + 1, want))
		futex_wake_all(&p->consumed);
}

static bool is_finding(const struct explorer *x)
{
	struct exec_summary *s = &x->head->summary;
	enum exec_status st = x->head->status;

	if (st != EXEC_FINDING && st != EXEC_ABORTED && st != EXEC_CRASHED &&
	    st != EXEC_TIMEOUT)
		return false;
	if (!x->opt->wanted)
		return true;
	/* a dead worker left no summary: what the parent knows */
	if (st != EXEC_FINDING) {
		memset(s, 0, sizeof(*s));
		s->why = x->head->why;
		s->signal = x->head->signal;
	}
	s->status = st;
	return x->opt->wanted(s);
}

/* Same finding: same status and what fired (aborts: same reason). */
static void outcome_key(const struct shm_head *h, char *key, size_t size)
{
	switch (h->status) {
	case EXEC_ABORTED:
		snprintf(key, size, "abort %s", sim_ctl_abort_name(h->why));
		break;
	case EXEC_CRASHED:
		snprintf(key, size, "oops %s", strsignal(h->signal));
		break;
	case EXEC_TIMEOUT:
		snprintf(key, size, "hang");
		break;
	default:
		snprintf(key, size, "%s", h->signature);
		break;
	}
}

/* Decisions of the last execution that recs[] holds. */
static size_t recorded_decisions(const struct explorer *x)
{
	return x->head->nr_decisions < x->cap ? x->head->nr_decisions : x->cap;
}

static int executed_schedule(const struct explorer *x, struct schedule *s)
{
	size_t n = recorded_decisions(x);

	schedule_reset(s);
	for (size_t i = 0; i < n; i++)
		if (schedule_push(s, x->recs[i].chosen))
			return -ENOMEM;
	return 0;
}

/* Greedy: drop whole segments while the same finding still shows. */
static int shrink(struct explorer *x, struct schedule *best, const char *key,
		  unsigned long *runs)
{
	struct schedule cand = { 0 }, got = { 0 };
	char k2[600];
	bool improved = true;
	int ret = 0;

	while (improved && *runs < SHRINK_BUDGET) {
		improved = false;
		for (size_t j = 0; *runs < SHRINK_BUDGET &&
		     schedule_shrink_candidate(best, j, &cand); j++) {
			struct exec_plan plan = {
				.kind = PLAN_PREFIX,
				.prefix = cand.cpu,
				.prefix_len = cand.len,
				.strict = false,
			};

			ret = execute(x, &plan, false);
			(*runs)++;
			if (ret)
				goto out;
			if (!is_finding(x))
				continue;
			outcome_key(x->head, k2, sizeof(k2));
			if (strcmp(k2, key) || x->head->truncated)
				continue;
			if ((ret = executed_schedule(x, &got)))
				goto out;
			if (schedule_switches(&got) < schedule_switches(best)) {
				if ((ret = schedule_copy(best, &got)))
					goto out;
				improved = true;
				break;
			}
		}
	}
out:
	schedule_free(&cand);
	schedule_free(&got);
	return ret;
}

/* ---- reports --------------------------------------------------------- */

static const char *status_name(const struct shm_head *h)
{
	switch (h->status) {
	case EXEC_FINDING:
		return "oracle fired";
	case EXEC_ABORTED:
		return h->why == SIM_CTL_DEADLOCK ? "deadlock" :
		       h->why == SIM_CTL_STEP_BUDGET ? "hang (step budget)" :
		       "schedule does not fit";
	case EXEC_CRASHED:
		return "oops";
	case EXEC_TIMEOUT:
		return "hang (wall clock)";
	case EXEC_CLEAN:
		return "clean";
	default:
		return "error";
	}
}

struct traced_run {
	struct exec_event *events;
	size_t nr_events;
	struct timeline_input tl;
};

static int collect_events(const struct explorer *x, struct traced_run *t)
{
	const struct shm_head *h = x->head;
	size_t off = 0, n = 0;

	t->events = calloc(h->nr_events ? h->nr_events : 1, sizeof(*t->events));
	if (!t->events)
		return -ENOMEM;
	while (n < h->nr_events && off < h->arena_used) {
		const struct arena_event *e = (const void *)(x->arena + off);

		t->events[n++] = (struct exec_event){
			.step = e->step,
			.cpu = e->cpu < 0 ? 0 : e->cpu,
			.kind = e->kind,
			.text = e->text,
		};
		off += ALIGN(sizeof(*e) + e->len + 1, 8);
	}
	t->nr_events = n;
	t->tl = (struct timeline_input){
		.nr_steps = recorded_decisions(x),
		.recs = x->recs,
		.pts = x->pts,
		.events = t->events,
		.nr_events = n,
		.nr_cpus = x->nr_cpus,
		.comm = (const char (*)[16])x->comm,
		.full = x->opt->full_timeline,
	};
	return 0;
}

/* The CPU that was running and its last points, for oops and hang reports. */
static void print_last_points(FILE *out, const struct explorer *x, int cpu)
{
	unsigned int pos = x->ring_pos[cpu];

	fprintf(out, "  last scheduling points of CPU %d (oldest first):\n", cpu);
	for (unsigned int k = pos > RING ? pos - RING : 0; k < pos; k++) {
		const struct sim_point *pt = x->ring[(size_t)cpu * RING + k % RING];

		fprintf(out, "    %s:%d %s: %s\n", codetag_display_filename(pt->file),
			pt->line, pt->func, pt->what);
	}
}

static const char *target_name(const struct explore_options *o, char *buf, size_t size)
{
	if (o->scenario)
		snprintf(buf, size, "scenario %s", scenario_name(o->scenario));
	else if (o->trace)
		snprintf(buf, size, "trace %s (%u CPUs)", o->trace_path,
			 replay_plan_cpus(o->trace));
	else
		snprintf(buf, size, "boot (%u CPUs)", o->boot.machine.cpus);
	return buf;
}

static void print_finding_text(FILE *out, const struct explorer *x, struct traced_run *t,
			       const char *schedule, size_t switches)
{
	const struct explore_options *o = x->opt;
	const struct shm_head *h = x->head;

	fprintf(out, "finding: %s\n", status_name(h));
	switch (h->status) {
	case EXEC_FINDING:
		fwrite(x->arena + h->report_off, 1, h->report_len, out);
		break;
	case EXEC_ABORTED:
		if (h->why == SIM_CTL_MISMATCH && h->error[0])
			fprintf(out, "  %s\n", h->error);
		fprintf(out, "%s", h->desc);
		break;
	case EXEC_CRASHED:
		fprintf(out, "  the modelled code died with %s on CPU %d\n",
			strsignal(h->signal), h->running);
		fprintf(out, "%s", h->desc);
		if (h->running >= 0)
			print_last_points(out, x, h->running);
		break;
	case EXEC_TIMEOUT:
		fprintf(out, "  no scheduling point for %u s on CPU %d\n", o->timeout_s,
			h->running);
		fprintf(out, "%s", h->desc);
		if (h->running >= 0)
			print_last_points(out, x, h->running);
		break;
	default:
		break;
	}
	fprintf(out, "timeline (%zu decisions, %zu context switches):\n",
		t->tl.nr_steps, switches);
	timeline_print_text(out, &t->tl);
	fprintf(out, "kernel log:\n");
	for (size_t i = 0; i < t->nr_events; i++)
		if (t->events[i].kind == EXEC_EVENT_LOG)
			fprintf(out, "  %s\n", t->events[i].text);
	if (h->truncated)
		fprintf(out, "(trace truncated: raise --max-steps or shorten the scenario)\n");
	fprintf(out, "schedule: %s\n", schedule);
	fprintf(out, "replay: %s --schedule %s\n", o->replay_cmd, schedule);
}

static void print_finding_json(FILE *out, const struct explorer *x, struct traced_run *t,
			       const char *schedule, size_t switches)
{
	const struct explore_options *o = x->opt;
	const struct shm_head *h = x->head;
	char replay[4096];

	fprintf(out, "  \"finding\": {\n    \"kind\": ");
	json_string(out, status_name(h));
	fprintf(out, ",\n    \"schedule\": ");
	json_string(out, schedule);
	fprintf(out, ",\n    \"decisions\": %zu,\n    \"context_switches\": %zu,\n    \"replay\": ",
		t->tl.nr_steps, switches);
	snprintf(replay, sizeof(replay), "%s --schedule %s", o->replay_cmd, schedule);
	json_string(out, replay);
	fprintf(out, ",\n    \"signature\": ");
	json_string(out, h->signature);
	if (h->status != EXEC_FINDING) {
		fprintf(out, ",\n    \"cpus\": ");
		json_string(out, h->desc);
		fprintf(out, ",\n    \"signal\": %d,\n    \"cpu\": %d", h->signal, h->running);
	}
	fprintf(out, ",\n    \"timeline\": ");
	timeline_print_json(out, &t->tl);
	fprintf(out, ",\n    \"log\": [");
	for (size_t i = 0, k = 0; i < t->nr_events; i++) {
		if (t->events[i].kind != EXEC_EVENT_LOG)
			continue;
		fputs(k++ ? ",\n      " : "\n      ", out);
		json_string(out, t->events[i].text);
	}
	fprintf(out, "]\n  },\n");
	if (h->status == EXEC_FINDING)
		fwrite(x->arena + h->json_off, 1, h->json_len, out);
}

/* ---- the exploration ------------------------------------------------- */

struct hash_set {
	uint64_t *v;
	size_t n, cap;
};

static bool hash_set_add(struct hash_set *s, uint64_t h)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		uint64_t *nv = calloc(cap, sizeof(*nv));

		if (!nv)
			return false;
		for (size_t k = 0; k < s->cap; k++) {
			if (!s->v[k])
				continue;
			for (i = s->v[k] % cap; nv[i]; i = (i + 1) % cap)
				;
			nv[i] = s->v[k];
		}
		free(s->v);
		s->v = nv;
		s->cap = cap;
	}
	h |= 1;		/* 0 marks an empty slot */
	for (i = h % s->cap; s->v[i]; i = (i + 1) % s->cap)
		if (s->v[i] == h)
			return false;
	s->v[i] = h;
	s->n++;
	return true;
}

void explore_options_defaults(struct explore_options *o)
{
	memset(o, 0, sizeof(*o));
	boot_options_defaults(&o->boot);
	o->strategy.kind = STRATEGY_PCT;
	o->strategy.seed = 1;
	o->strategy.runs = 10000;
	o->strategy.depth = 2;
	o->strategy.preemptions = 2;
	o->strategy.shard_count = 1;
	o->shrink = true;
	o->max_steps = 2000000;
	o->timeout_s = 60;
	o->replay_cmd = "bootsim explore";
	o->out = stdout;
	o->err = stderr;
}

struct progress {
	double t0, last;
	bool on;
};

static void progress_update(struct progress *p, FILE *err, unsigned long runs,
			    unsigned long findings, bool final)
{
	double t = now_s();

	if (!p->on || (!final && t - p->last < 0.5))
		return;
	p->last = t;
	fprintf(err, "\r%lu executions, %.0f/s, %lu findings%s", runs,
		runs / (t - p->t0 > 1e-9 ? t - p->t0 : 1e-9), findings, final ? "\n" : "");
	fflush(err);
}

/* Replay @s verbosely and print everything; returns the exit status. */
static int report_traced(struct explorer *x, const struct schedule *s, const char *intro)
{
	const struct explore_options *o = x->opt;
	struct exec_plan plan = {
		.kind = PLAN_PREFIX,
		.prefix = s->cpu,
		.prefix_len = s->len,
		.strict = true,
	};
	struct traced_run t = { 0 };
	struct schedule ran = { 0 };
	char *str = NULL;
	int ret, status;

	ret = execute(x, &plan, true);
	if (!ret)
		ret = collect_events(x, &t);
	if (!ret)
		ret = executed_schedule(x, &ran);
	if (!ret && !(str = schedule_format(&ran)))
		ret = -ENOMEM;
	if (ret) {
		fprintf(o->err, "bootsim: explore: %s\n", strerror(-ret));
		status = 3;
		goto out;
	}
	if (x->head->status == EXEC_ERROR) {
		fprintf(o->err, "bootsim: explore: %s\n", x->head->error);
		status = x->head->error_exit;
		goto out;
	}
	if (x->head->status == EXEC_ABORTED && x->head->why == SIM_CTL_MISMATCH &&
	    o->schedule) {
		fprintf(o->err, "bootsim: --schedule: %s (a schedule replays only with the "
			"scenario, variant and options it was printed for)\n", x->head->error);
		status = 2;
		goto out;
	}
	status = is_finding(x) ? 1 : 0;
	if (o->json) {
		fprintf(o->out, "%s", intro);
		fprintf(o->out, "  \"result\": {\"finding\": %s, \"exit_status\": %d},\n",
			status ? "true" : "false", status);
		if (status) {
			print_finding_json(o->out, x, &t, str, schedule_switches(&ran));
		} else {
			fprintf(o->out, "  \"schedule\": ");
			json_string(o->out, str);
			fputs(",\n", o->out);
			fwrite(x->arena + x->head->json_off, 1, x->head->json_len, o->out);
		}
		fprintf(o->out, "  \"bootsim\": \"%s\"\n}\n", BOOTSIM_VERSION);
	} else {
		fputs(intro, o->out);
		if (status) {
			print_finding_text(o->out, x, &t, str, schedule_switches(&ran));
		} else {
			fprintf(o->out, "no oracle fired on this schedule\n");
			fwrite(x->arena + x->head->report_off, 1, x->head->report_len, o->out);
		}
	}
out:
	free(str);
	free(t.events);
	schedule_free(&ran);
	return status;
}

static void intro_text(char *buf, size_t size, const struct explore_options *o,
		       const char *what)
{
	char tgt[128];
	const struct early_pfn_variant *v = o->boot.machine.variant;

	if (o->json) {
		int n = snprintf(buf, size, "{\n  \"command\": \"explore\",\n  \"target\": ");
		FILE *f = fmemopen(buf + n, size - n, "w");

		if (!f)
			return;
		json_string(f, target_name(o, tgt, sizeof(tgt)));
		fprintf(f, ",\n  \"variant\": \"%s\",\n%s", v->id, what);
		fclose(f);
		return;
	}
	snprintf(buf, size, "bootsim explore: %s, variant %s (%s)\n%s",
		 target_name(o, tgt, sizeof(tgt)), v->id, v->section, what);
}

static int explorer_init(struct explorer *x, const struct explore_options *o)
{
	int ret;

	memset(x, 0, sizeof(*x));
	x->opt = o;
	x->nr_cpus = o->scenario ? scenario_cpus(o->scenario) :
		     o->trace ? replay_plan_cpus(o->trace) : o->boot.machine.cpus;
	x->cap = o->max_steps ? o->max_steps : 2000000;
	if (x->cap > 50000000)
		x->cap = 50000000;
	ret = explorer_map(x, MAX_SLOTS);
	/* Strict overcommit counts NORESERVE too: then search in lockstep. */
	if (ret == -ENOMEM)
		ret = explorer_map(x, 1);
	return ret;
}

static void explorer_destroy(struct explorer *x)
{
	int ws;

	if (x->pid)
		worker_reap(x, &ws);
	if (x->map)
		munmap(x->map, x->map_size);
}

/*
 * The search loop and the shrink: on a finding, @found holds the witness.
 * Returns 0 or an exit status (messages on o->err).
 */
static int search(struct explorer *x, struct schedule *found, struct explore_outcome *out)
{
	const struct explore_options *o = x->opt;
	struct strategy *s = NULL;
	struct schedule ran = { 0 };
	struct hash_set seen = { 0 };
	struct progress prog = { .t0 = now_s(), .on = o->progress };
	unsigned long findings = 0, shrink_runs = 0;
	char key[600] = "";
	struct strategy_config scfg;
	struct exec_plan plan;
	int ret, status = 0;

	memset(out, 0, sizeof(*out));
	scfg = o->strategy;
	scfg.nr_cpus = x->nr_cpus;
	if (scfg.kind == STRATEGY_PCT && !scfg.pct_k) {
		/* k from one default run, the same for every shard */
		struct exec_plan probe = { .kind = PLAN_PREFIX };

		if ((ret = execute(x, &probe, false)) == 0 && x->head->status != EXEC_ERROR)
			scfg.pct_k = strategy_count_choices(x->recs, recorded_decisions(x));
	}
	s = strategy_new(&scfg);
	if (!s) {
		fprintf(o->err, "bootsim: explore: cannot set up strategy %s for %u CPUs%s\n",
			strategy_name(o->strategy.kind), x->nr_cpus,
			o->strategy.kind == STRATEGY_DFS ? " (dfs handles at most 64)" : "");
		return 2;
	}
	for (uint32_t seq = 0;; seq++) {
		/* a new worker must copy the strategy before it hands out seq */
		if (x->strategy != s && (ret = search_spawn(x, s, seq))) {
			fprintf(o->err, "bootsim: explore: cannot start a worker: %s\n",
				strerror(-ret));
			status = 3;
			goto out;
		}
		if (!strategy_next(s, &plan))
			break;
		await_slot(x, seq);
		if (x->head->status == EXEC_ERROR) {
			fprintf(o->err, "bootsim: explore: %s\n", x->head->error);
			status = x->head->error_exit;
			goto out;
		}
		strategy_feedback(s, x->recs, recorded_decisions(x));
		if (plan.counted) {
			out->executions++;
			if (executed_schedule(x, &ran)) {
				status = 3;
				goto out;
			}
			hash_set_add(&seen, schedule_hash(&ran));
			if (is_finding(x)) {
				findings++;
				if (findings == 1) {
					out->first_index = plan.index;
					outcome_key(x->head, key, sizeof(key));
					snprintf(out->signature, sizeof(out->signature), "%s", key);
					if (schedule_copy(found, &ran)) {
						status = 3;
						goto out;
					}
				}
				if (!o->all)
					break;
			}
		}
		release_slot(x, seq);
		progress_update(&prog, o->err, out->executions, findings, false);
	}
	use_slot(x, 0);
	progress_update(&prog, o->err, out->executions, findings, true);
	out->distinct = seen.n;
	out->found = findings > 0;
	out->findings = findings;
	out->exhausted = !findings && strategy_exhausted(s);
	if (findings && o->shrink && (ret = shrink(x, found, key, &shrink_runs)))
		status = 3;
	out->shrink_executions = shrink_runs;
	if (!status && findings && !(out->schedule = schedule_format(found)))
		status = 3;
out:
	strategy_free(s);
	schedule_free(&ran);
	free(seen.v);
	return status;
}

int explore_search(const struct explore_options *o, struct explore_outcome *out)
{
	struct schedule found = { 0 };
	struct explorer x;
	int ret, status;

	ret = explorer_init(&x, o);
	if (ret) {
		fprintf(o->err, "bootsim: explore: cannot map shared memory: %s\n", strerror(-ret));
		return 3;
	}
	status = search(&x, &found, out);
	schedule_free(&found);
	explorer_destroy(&x);
	return status;
}

int explore_run(const struct explore_options *o)
{
	struct explorer x;
	struct schedule found = { 0 };
	struct explore_outcome res = { 0 };
	char what[1024], intro[2048];
	int ret, status = 0;

	ret = explorer_init(&x, o);
	if (ret) {
		fprintf(o->err, "bootsim: explore: cannot map shared memory: %s\n", strerror(-ret));
		return 3;
	}
	if (o->schedule) {
		ret = schedule_parse(o->schedule, x.nr_cpus, &found, what, sizeof(what));
		if (ret) {
			fprintf(o->err, "bootsim: --schedule: %s\n", what);
			explorer_destroy(&x);
			return 2;
		}
		snprintf(what, sizeof(what), o->json ? "  \"mode\": \"replay\",\n" :
			 "replaying the given schedule\n");
		intro_text(intro, sizeof(intro), o, what);
		status = report_traced(&x, &found, intro);
		goto out;
	}

	status = search(&x, &found, &res);
	if (status)
		goto out;
	if (!res.found) {
		intro_text(intro, sizeof(intro), o, "");
		if (o->json) {
			fprintf(o->out, "%s  \"strategy\": \"%s\",\n  \"seed\": %llu,\n"
				"  \"executions\": %lu,\n  \"distinct_schedules\": %zu,\n"
				"  \"exhausted\": %s,\n  \"findings\": 0,\n"
				"  \"result\": {\"finding\": false, \"exit_status\": 0},\n"
				"  \"bootsim\": \"%s\"\n}\n", intro,
				strategy_name(o->strategy.kind),
				(unsigned long long)o->strategy.seed, res.executions, res.distinct,
				res.exhausted ? "true" : "false", BOOTSIM_VERSION);
		} else {
			fprintf(o->out, "%sno oracle fired in %lu executions (%zu distinct schedules, "
				"strategy %s, seed %llu)\n", intro, res.executions, res.distinct,
				strategy_name(o->strategy.kind),
				(unsigned long long)o->strategy.seed);
			if (res.exhausted)
				fprintf(o->out, "the schedule space is exhausted: no finding is possible "
					"within %u preemptions\n", o->strategy.preemptions);
			else if (o->strategy.kind == STRATEGY_DFS)
				fprintf(o->out, "the DFS tree is not exhausted: stopped by --runs\n");
		}
		goto out;
	}

	if (o->json)
		snprintf(what, sizeof(what), "  \"strategy\": \"%s\",\n  \"seed\": %llu,\n"
			 "  \"executions\": %lu,\n  \"distinct_schedules\": %zu,\n"
			 "  \"first_finding_execution\": %lu,\n  \"findings\": %lu,\n"
			 "  \"shrink_executions\": %lu,\n",
			 strategy_name(o->strategy.kind), (unsigned long long)o->strategy.seed,
			 res.executions, res.distinct, res.first_index, res.findings,
			 res.shrink_executions);
	else
		snprintf(what, sizeof(what), "strategy %s, seed %llu: %lu executions (%zu distinct "
			 "schedules), %lu with a finding; the first was execution %lu%s\n",
			 strategy_name(o->strategy.kind), (unsigned long long)o->strategy.seed,
			 res.executions, res.distinct, res.findings, res.first_index,
			 res.shrink_executions ? " (schedule shrunk)" : "");
	intro_text(intro, sizeof(intro), o, what);
	status = report_traced(&x, &found, intro);
	if (status == 0) {
		fprintf(o->err, "bootsim: explore: internal error: the failing schedule did not "
			"reproduce its finding\n");
		status = 3;
	}
out:
	free(res.schedule);
	schedule_free(&found);
	explorer_destroy(&x);
	return status;
}
