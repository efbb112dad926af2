/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/scenario.h - small per-CPU programs that DFS can exhaust.
 *
 * A scenario is a text file (or a built-in string in the same format):
 *
 *   # comment                        (blank lines and '#' comments anywhere)
 *   scenario d7-clear-vs-alloc       name: [a-z0-9-]+
 *   description One line for `bootsim scenarios`.
 *   mem 512M                         simulated memory (default 512M)
 *   publish progressive|flat         page_ext availability (default progressive)
 *   bits 32|64                       machine word size (default 64); 32: x86-32
 *                                    zones DMA/Normal/HighMem, mem at most 4G
 *   movable 64M                      ZONE_MOVABLE at the top of memory (default
 *                                    none); leaves the other zones at least 16M
 *   compressed                       tag references in page flags (§2.2): no
 *                                    page_ext client, no early PFNs
 *   early:                           CPU 0 alone, before the others start
 *     alloc p order=0 gfp=GFP_KERNEL
 *     free p
 *   cpu 0 swapper/0:                 one block per CPU: "cpu N [COMM]:"
 *     page_ext_init
 *   cpu 1 kworker/1:1:
 *     alloc q pfn=@p                 the exact block p had (mem_claim_block)
 *   late:                            CPU 0, after every CPU block finished
 *     free q
 *
 * Statements (one per line; NAME binds the pages of one alloc statement):
 *
 *   | statement                         | does                                  |
 *   |-----------------------------------|---------------------------------------|
 *   | alloc NAME [order=N] [gfp=G]      | alloc_pages(G, N) under the line's    |
 *   |       [count=C] [pfn=P|@NAME]     | own tag, C times; pfn= claims exactly |
 *   |                                   | C: N, capacity[+-N] (PFNs one unit of |
 *   |                                   | the variant's storage holds: its array|
 *   |                                   | or one tracking page), or all (until  |
 *   |                                   | an allocation fails)                  |
 *   | split NAME                        | split_page() each of NAME's blocks;   |
 *   |                                   | NAME then holds order-0 pages (D17)   |
 *   | free NAME | free early | free all | __free_pages of NAME's blocks / of    |
 *   |                                   | every early block / every live block  |
 *   | page_ext_init                     | the whole walk, then init callbacks   |
 *   | page_ext_prepare                  | need callbacks, sizes (no tables)     |
 *   | page_ext_section N|all            | publish section N's table (or all)    |
 *   | page_ext_finish                   | flat switch, log line, init callbacks |
 *   | clear                             | clear_early_alloc_pfn_tag_refs()      |
 *   | lock L / unlock L                 | a scenario spinlock named L           |
 *   | rcu_read_lock / rcu_read_unlock   |                                       |
 *   | synchronize_rcu                   |                                       |
 *   | signal E / wait E [N]             | scenario event E (+1 / until >= N,    |
 *   |                                   | default 1)                            |
 *   | oops                              | NULL dereference on this CPU (tests   |
 *   |                                   | the explorer's crash isolation)       |
 *   | nmi NAME [order=N] [gfp=G] [at=K] | arm an NMI on this CPU (D3): it fires |
 *   |                                   | at the K-th scheduling point (default |
 *   |                                   | 2) this CPU reaches inside RECORD     |
 *   |                                   | (alloc_tag_add_early_pfn) after this  |
 *   |                                   | line; its handler, with in_nmi set,   |
 *   |                                   | does alloc_pages_nolock(G, N) under   |
 *   |                                   | the line's own tag and binds the page |
 *   |                                   | to NAME.  N is 0..3, G defaults to    |
 *   |                                   | none.  Controlled backend only        |
 *
 * gfp takes the symbolic form of alloc/gfp.h (GFP_KERNEL|__GFP_ZERO) or hex;
 * default GFP_KERNEL.  Tags: each alloc line gets a dynamic codetag
 * "<scenario>.scn:<line> func:<NAME>", so leaks name the line.
 *
 * nmi details: the NMI fires on entering the K-th point, before its
 * operation (at a spin_unlock() the lock is still held), nested on the
 * CPU's own thread; the handler is __alloc_pages(__GFP_NOWARN | __GFP_ZERO |
 * __GFP_NOMEMALLOC | __GFP_COMP | G, N, nid, NULL, ALLOC_NOLOCK), which only
 * trylocks zone locks.  One NMI per CPU: a later nmi line re-arms.  If the
 * CPU never reaches that point (it runs out of RECORDs, or fewer points lie
 * inside them), the NMI never fires, NAME stays empty and a log line says
 * so.  A1's RECORD passes spin_lock (point 1) and spin_unlock (point 2), so
 * at=2 lands with the array lock held: the nested RECORD spins on it, which
 * the controlled backend reports as "watchdog: Watchdog detected hard LOCKUP
 * on cpu N".  Under the free backend that would hang, so there the line only
 * logs that it was not armed: explore D3 with `bootsim explore`.
 *
 * Execution: CPU 0 runs `early:`, then its own block; the other CPUs start
 * when `early:` is done; when every CPU block has finished CPU 0 counts live
 * pages left with a NULL slot (the unstamped oracle's snapshot, no scheduling
 * points), then runs `late:`.  Under the controlled backend, `early:` and
 * `late:` have no choices: only CPU 0 is enabled.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdio.h>
#include "machine.h"
#include "oracles.h"

struct scenario;

/*
 * Parse @text (from @path, used in messages).  Returns NULL with
 * "path:line: what was found; expected what" in @err.  Each header directive
 * may appear once; the machine they describe together must be one
 * mem_setup() accepts (e.g. "bits 32" with "mem 8G" is an error on the mem
 * line).
 */
struct scenario *scenario_parse(const char *text, const char *path,
				char *err, size_t errlen);
/* Read and parse a file; "-" is stdin.  Same errors, plus I/O ones. */
struct scenario *scenario_load(const char *path, char *err, size_t errlen);
void scenario_free(struct scenario *sc);

const char *scenario_name(const struct scenario *sc);
const char *scenario_description(const struct scenario *sc);
/* Number of simulated CPUs (highest "cpu N" + 1). */
unsigned int scenario_cpus(const struct scenario *sc);
/* The machine the scenario asks for (cpus, mem, publish, bits, movable,
 * compressed) on top of @base. */
void scenario_machine_config(const struct scenario *sc, struct machine_config *cfg);

/* The built-in catalogue, in `bootsim scenarios` order. */
struct scenario_builtin {
	const char *name;
	const char *text;	/* the scenario in the file format */
};
extern const struct scenario_builtin scenario_builtins[];
extern const unsigned int scenario_nr_builtins;
const struct scenario_builtin *scenario_builtin_lookup(const char *name);
/* A built-in name, or else a file path. */
struct scenario *scenario_open(const char *name_or_path, char *err, size_t errlen);

struct scenario_result {
	struct oracle_results oracles;
	struct early_pfn_stats early;
	long allocs, frees, alloc_failures;
};

/*
 * Run @sc once on a fresh machine built from @cfg (see
 * scenario_machine_config), one thread per CPU under whatever backend is set
 * (sim_ctl_begin() first for the controlled one).  Returns 0 with @res
 * filled, or a negative errno with @err.  The machine stays up for the
 * report: call scenario_result_free() when done.
 */
int scenario_run(const struct scenario *sc, const struct machine_config *cfg,
		 struct scenario_result *res, char *err, size_t errlen);
void scenario_result_free(struct scenario_result *res);

#endif /* SIM_SCENARIO_H */
