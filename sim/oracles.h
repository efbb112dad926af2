/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/oracles.h - the end-of-run checks of DESIGN.md "Oracles".
 *
 *   | oracle                | fires when                                          |
 *   |-----------------------|-----------------------------------------------------|
 *   | warnings              | any WARN / pr_warn_once / BUG report was counted    |
 *   | accounting            | a tag's Σcpu counters != what its live pages hold   |
 *   | unstamped early pages | a live page has a NULL slot after CLEAR, other than |
 *   |                       | a split tail of an untagged head (D17: latent, only |
 *   |                       | counted; freeing one would WARN)                    |
 *   | tracking pages        | a page the early-PFN code allocated is neither      |
 *   |                       | reachable from the list head nor freed (D10)        |
 *   | mobility              | a tracking page (pinned kernel memory) was placed   |
 *   |                       | in ZONE_MOVABLE or a movable pageblock (D14)        |
 *   | allocator             | mem_check_invariants() finds a violation            |
 *   | context               | "sleeping function called from invalid context"    |
 *                             (a BUG report, counted with the warnings)
 * Call with every CPU stopped.
 */
#ifndef SIM_ORACLES_H
#define SIM_ORACLES_H

#include <stdint.h>
#include "sim/core/codetag.h"

struct tag_leak {
	const struct alloc_tag *tag;
	int64_t bytes, calls;		/* counters minus live pages */
	bool d13;			/* fully explained by D13 (§4) */
};

/* Live pages with a NULL slot after CLEAR. */
struct unstamped_count {
	long pages, bytes;	/* unexplained: fire the oracle */
	long split_tails;	/* D17, latent: counted, not firing */
};

struct oracle_results {
	long warnings;			/* WARN + pr_warn hits */
	long bugs;			/* BUG-class reports */
	struct tag_leak *leaks;
	int nr_leaks;
	struct unstamped_count unstamped;	/* from oracle_count_unstamped() */
	long tracking_pages_unreachable;
	long mobility_violations;	/* tracking pages placed movable (D14) */
	long invariant_violations;
	long bad_frees;
	bool fired;
};

/* Live pages whose slot is NULL; call after CLEAR, before late frees. */
void oracle_count_unstamped(struct unstamped_count *out);
void oracle_evaluate(struct oracle_results *res, const struct unstamped_count *unstamped);
void oracle_results_free(struct oracle_results *res);

#endif /* SIM_ORACLES_H */
