/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/replay_priv.h - what replay.c (pass 1, the per-event policy, the
 * `timestamp` driver) shares with replay_plan.c (per-CPU sequences for the
 * `free` ordering and `explore --trace`).
 *
 * Concurrency contract of the shared state while CPUs play:
 *
 *   | state                 | written by                  | access            |
 *   |-----------------------|-----------------------------|-------------------|
 *   | held, tracking bits   | the CPU playing a block's   | atomic word RMW:  |
 *   |                       |   event; events on one      |   neighbours in a |
 *   |                       |   block are ordered (plan   |   word belong to  |
 *   |                       |   dependencies)             |   other CPUs      |
 *   | marker_done           | the marker's CPU            | release / acquire |
 *   | status, err, stop     | the first CPU with bad input| cmpxchg on status |
 *   | replay_cpu.c          | its own CPU only            | plain; summed     |
 *   |                       |                             |   after the join  |
 *   | tags (tag_of[])       | before CPUs start (plans);  | read-only while   |
 *   |                       |   the single player (ts)    |   CPUs race       |
 */
#ifndef SIM_REPLAY_PRIV_H
#define SIM_REPLAY_PRIV_H

#include <stdint.h>

#include "sim/core/event.h"
#include "sim/core/sched.h"
#include "replay.h"
#include "trace_parse.h"

#define REPLAY_MAX_CPUS		4096
#define REPLAY_MAX_TAGS		4096
#define REPLAY_TAG_SLOTS	8192

/* A bit per PFN; word updates are atomic (CPUs share words). */
struct pfn_bits {
	unsigned long *v;
	unsigned long nbits;
};

int bits_reserve(struct pfn_bits *b, unsigned long end);

static inline bool bits_test(const struct pfn_bits *b, unsigned long pfn)
{
	return pfn < b->nbits &&
	       (__atomic_load_n(&b->v[pfn / 64], __ATOMIC_RELAXED) >> (pfn % 64)) & 1;
}

bool bits_any(const struct pfn_bits *b, unsigned long pfn, unsigned long n);
void bits_assign(struct pfn_bits *b, unsigned long pfn, unsigned long n, bool on);

/* A block to claim before the first event (allocated before tracing). */
struct early_block {
	unsigned long pfn;
	unsigned int order;
	int cpu;
};

/*
 * `timestamp`: pass 1 keeps the events pass 2 plays, so the file is parsed
 * once (parsing was most of a replay).  Past REPLAY_LOG_MAX_BYTES the log
 * is dropped and pass 2 reads the file again: memory stays bounded.
 */
#define REPLAY_LOG_MAX_BYTES	(1UL << 30)

enum replay_rec_kind {
	REC_ALLOC = TEV_ALLOC,
	REC_FREE = TEV_FREE,
	REC_FREE_BATCHED = TEV_FREE_BATCHED,
	REC_BEFORE = 64,	/* claim a block allocated before tracing */
	REC_MARKER,		/* the first page_ext marker (or --page-ext-at) */
	REC_MARK,		/* a bootsim mark of page_ext_init(): pfn = rank */
};

struct replay_rec {
	unsigned long pfn;
	unsigned long line;
	gfp_t gfp;
	uint32_t name;		/* replay_intern() index (allocations) */
	int pid;
	uint16_t cpu;
	uint8_t kind;
	uint8_t order;
	bool failed;
	char comm[16];
};

/* A distinct task name (or gfp string): one allocation tag per run. */
struct replay_name {
	char *name;
	uint64_t hash;
	unsigned long first_line;
	uint32_t idx;			/* in replay.tag_of[] */
};

struct replay {
	const struct replay_options *opt;
	struct replay_result *res;
	char *err;
	size_t errlen;
	int status;			/* exit status of the first bad input */
	bool stop;			/* a CPU hit bad input: everyone stops */
	/* pass 1 */
	struct early_block *before;
	size_t nr_before, cap_before;
	bool have_marker;
	bool bulk_seen;			/* function lines of the bulk allocator */
	bool logging;			/* keep the events (struct replay_rec) */
	struct replay_rec *log;
	size_t nr_log, cap_log;
	bool marker_placed;		/* a reader met the first marker */
	char marker_text[96];		/* of the REC_MARKER event */
	/* names: open addressing on the hash; REPLAY_TAG_SLOTS > 2 * MAX_TAGS */
	struct replay_name names[REPLAY_TAG_SLOTS];
	unsigned int nr_names;		/* + 1 for the overflow name */
	uint16_t slot_of[REPLAY_MAX_TAGS];	/* name index -> names[] slot */
	struct alloc_tag *tag_of[REPLAY_MAX_TAGS + 1];	/* this run's tags */
	const char *tag_file;
	/* pass 2 */
	struct pfn_bits held;		/* pages of blocks the trace holds */
	struct pfn_bits tracking;	/* heads: the traced kernel's tracking pages */
	struct task_struct *tasks;	/* `timestamp`: one per CPU of the trace */
	bool marker_done;
	/*
	 * Stepped page_ext_init() (bootsim recordings): an extra CPU runs it
	 * and stops at each of its marks until the trace reaches that mark:
	 * init_target = rank + 1 of the trace's last mark, init_reached =
	 * rank + 1 of the init CPU's; a strict hand-off, so deterministic.
	 */
	bool stepped;
	bool init_started;
	int marker_owner;		/* `free`: the CPU that plays the marks */
	long init_target_cur, init_reached_cur;
	struct sim_event init_target, init_reached;
	double t_pass2;
};

/* One simulated CPU playing events: its counters, summed after the join. */
struct replay_cpu {
	struct replay *r;
	struct replay_counts c;
	struct task_struct *self;	/* racing CPUs: the thread's own task */
};


int replay_bad(struct replay *r, const struct trace_event *ev, const char *fmt, ...)
	__printf(3, 4);
bool replay_is_marker(const struct replay *r, const struct trace_event *ev);
void replay_run_marker(struct replay_cpu *rc, const struct trace_event *ev);
bool replay_first_marker(struct replay *r, const struct trace_event *ev);
/* Fill @rec from @ev (@name: the tag of an allocation). */
void replay_rec_set(struct replay_rec *rec, const struct trace_event *ev,
		    enum replay_rec_kind kind, uint32_t name);
/* Play one kept event on @rc: 0 to go on, -1 on bad input (status set). */
int replay_play_rec(struct replay_cpu *rc, const struct replay_rec *rec);
/* Stepped: the rank of a bootsim marker event, or -1 (not a mark of init). */
long replay_mark_rank(const struct trace_event *ev);
/* Stepped: let the init CPU run up to the mark of @rank, and wait for it. */
void replay_step_init(struct replay_cpu *rc, const struct trace_event *ev, long rank);
/* Stepped: no more marks will come; let the init CPU finish. */
void replay_release_init(struct replay *r);
void replay_wait_init(struct replay *r);
/* Stepped: start the init CPU (simulated CPU @cpu) before the players. */
int replay_start_init(struct replay *r, int cpu);
void replay_stop_init(struct replay *r);
void replay_become(struct replay_cpu *rc, const struct trace_event *ev);
/* The name index of the event's task or gfp string; -1: out of memory. */
long replay_intern(struct replay *r, const struct trace_event *ev);
/* This run's tag for name @idx (created on first use). */
struct alloc_tag *replay_tag(struct replay *r, uint32_t idx);
/* Play one alloc/free event: 0 to go on, -1 on bad input (status set). */
int replay_event(struct replay_cpu *rc, const struct trace_event *ev, uint32_t name);
#define BEFORE_TRACING	"before-tracing"
int replay_claim_before(struct replay_cpu *rc, const struct early_block *b, uint32_t name);
long replay_intern_before(struct replay *r);
void replay_counts_add(struct replay_counts *to, const struct replay_counts *from);
struct trace_reader *replay_open(struct replay *r);
int replay_next(struct replay *r, struct trace_reader *tr, struct trace_event *ev);
/* Console, function, marker and other lines: the reader's counters. */
void replay_count_other(struct replay_counts *c, const struct trace_event *ev);
/* Pass 1: machine size, CPUs, blocks allocated before tracing. */
int replay_scan(struct replay *r);
/* Pass 1 (or --mem for stdin) and the checks before any run: 0 or exit status. */
int replay_prepare(struct replay *r);
/* A fresh machine for one run (pass 2), sized from pass 1 unless --mem. */
int replay_setup_machine(struct replay *r);
/* After the CPUs joined: oracles and early-PFN counters into res. */
void replay_evaluate(struct replay *r, const struct unstamped_count *unstamped);
void replay_release(struct replay *r);

#endif /* SIM_REPLAY_PRIV_H */
