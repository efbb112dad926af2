// SPDX-License-Identifier: GPL-2.0
/*
 * The built-in scenarios and the defect catalogue (§4) they execute.
 *
 * A scenario states the smallest program that can show one defect; its
 * case below states which oracle tells that defect from others, and on
 * which variants it is expected.  Where bootsim's answer differs from the
 * "Variants" line of §4, the case's note says why.
 */
#include <string.h>
#include <strings.h>

#include "sim/core/compiler.h"
#include "sim/core/controlled.h"
#include "catalogue.h"
#include "scenario.h"

/*
 * The first pfn_pool page is two PFNs short of full when CPU 0 starts the
 * walk.  Measured with kmemleak (the default): before section 0 is
 * published the walk makes exactly two early allocations of its own,
 * section 0's table and kmemleak's first slab page (pool pages carry the
 * marker and are not recorded).  So capacity-2 + 2 fills the first pool
 * exactly when section 0 gets its table, and the next slot-missing
 * allocation pushes a second pool page.  Only CPUs 1 and 2 can still make
 * one: theirs, if they run before that publication.
 */
#define POOL_BOUNDARY_PROGRAM						\
	"mem 256M\n"							\
	"early:\n"							\
	"	alloc e order=0 count=capacity-2	# one pool page, 2 slots left\n" \
	"cpu 0:\n"							\
	"	page_ext_init			# + 2 early PFNs, then section 0\n" \
	"cpu 1:\n"							\
	"	alloc a order=0 count=2\n"				\
	"cpu 2:\n"							\
	"	alloc b order=0 count=2\n"

const struct scenario_builtin scenario_builtins[] = {
	{ "d1-untagged-early-free",
	  "scenario d1-untagged-early-free\n"
	  "description D1 (§4): an early page nobody recorded is freed after "
	  "page_ext appeared: WARN \"alloc_tag was not set\"\n"
	  "mem 256M\n"
	  "cpu 0:\n"
	  "	alloc p order=0\n"
	  "	page_ext_init\n"
	  "	free p\n" },
	{ "d2-array-256",
	  "scenario d2-array-256\n"
	  "description D2 (§4): 300 early pages; a 256-entry array drops the rest "
	  "silently and their frees warn\n"
	  "mem 256M\n"
	  "cpu 0:\n"
	  "	alloc p order=0 count=300\n"
	  "	page_ext_init\n"
	  "	free p\n" },
	{ "d3-nmi-in-record",
	  "scenario d3-nmi-in-record\n"
	  "description D3 (§4): an NMI-context allocation (alloc_pages_nolock) "
	  "arrives while CPU 0 is inside RECORD for an early page; on A1 its own "
	  "RECORD spins on the array lock CPU 0 already holds: hard LOCKUP.  From A2 "
	  "on the nested RECORD completes and both pages are stamped (NMIs exist "
	  "under the controlled backend only: explore it)\n"
	  "mem 64M\n"
	  "cpu 0:\n"
	  "	nmi n at=2		# fires at RECORD's second scheduling point\n"
	  "	alloc p			# no page_ext yet: RECORD runs\n"
	  "	page_ext_init\n"
	  "	free n\n"
	  "	free p\n" },
	{ "d4-clear-overwrites-tag",
	  /* p is in ZONE_DMA so that the walk's allocations leave its PFN free */
	  "scenario d4-clear-overwrites-tag\n"
	  "description D4 (§4): an early page is freed, its section gets page_ext, "
	  "the PFN is allocated again and tagged, then CLEAR runs: stamping without "
	  "a check loses the tag (leak, no WARN)\n"
	  "mem 256M\n"
	  "cpu 0:\n"
	  "	alloc p order=0 gfp=GFP_DMA\n"
	  "	free p\n"
	  "	page_ext_prepare\n"
	  "	page_ext_section all\n"
	  "	alloc q order=0 pfn=@p\n"
	  "	page_ext_finish			# CLEAR\n"
	  "	free q\n" },
	{ "d5-record-after-clear",
	  "scenario d5-record-after-clear\n"
	  "description D5 (§4): CPU 1's RECORD loads the worker pointer, CPU 0 "
	  "retires it and CLEAR walks the array, then CPU 1 stores its PFN: never "
	  "stamped, its free warns\n"
	  "mem 256M\n"
	  "cpu 0:\n"
	  "	page_ext_init\n"
	  "cpu 1:\n"
	  "	alloc p order=0\n"
	  "late:\n"
	  "	free p\n" },
	{ "d6-array-8192",
	  "scenario d6-array-8192\n"
	  "description D6 (§4): 8200 early pages overflow the 8192-entry array: "
	  "pr_warn_once, then the unrecorded pages' frees warn\n"
	  "mem 256M\n"
	  "cpu 0:\n"
	  "	alloc p order=0 count=8200\n"
	  "	page_ext_init\n"
	  "	free p\n" },
	{ "d7-clear-vs-alloc",
	  /*
	   * p comes from ZONE_DMA because the walk allocates too: with
	   * kmemleak on, its slab page is an order-0 GFP_KERNEL allocation
	   * that would take p's freed PFN from the head of the DMA32 free
	   * list before CLEAR runs, and q's claim could then never race
	   * with CLEAR (DFS exhausts that version without a finding).
	   */
	  "scenario d7-clear-vs-alloc\n"
	  "description D7 (§4): CLEAR reads the NULL slot of p's freed early PFN, "
	  "CPU 1 claims that PFN as q and tags it, CLEAR stores EMPTY over the tag: "
	  "q's tag leaks one page, no WARN (p is in ZONE_DMA so that the walk's "
	  "own allocations leave its PFN free)\n"
	  "mem 256M\n"
	  "early:\n"
	  "	alloc p order=0 gfp=GFP_DMA	# recorded as an early PFN ...\n"
	  "	free p				# ... and still listed once free\n"
	  "cpu 0:\n"
	  "	page_ext_init			# walk, then CLEAR\n"
	  "cpu 1:\n"
	  "	alloc q order=0 pfn=@p		# the same PFN, under CLEAR's feet\n" },
	{ "d8-free-in-window",
	  "scenario d8-free-in-window\n"
	  "description D8 (§4): p is freed after its section got page_ext but "
	  "before CLEAR stamped it: WARN \"alloc_tag was not set\"\n"
	  "mem 256M\n"
	  "early:\n"
	  "	alloc p order=0\n"
	  "cpu 0:\n"
	  "	page_ext_init\n"
	  "cpu 1:\n"
	  "	free p\n" },
	{ "d9-tracking-page-recursion",
	  "scenario d9-tracking-page-recursion\n"
	  "description D9 (§4): the pool overflows before page_ext exists, so the "
	  "tracking page itself has no slot; without the recursion marker RECORD "
	  "would recurse until the stack overflows\n"
	  "mem 256M\n"
	  "cpu 0:\n"
	  "	alloc p order=0 count=capacity+1\n"
	  "	page_ext_init\n"
	  "	free p\n" },
	{ "d10-list-head-race",
	  "scenario d10-list-head-race\n"
	  "description D10 (§4): CPUs 1 and 2 make the first early allocations "
	  "at once and both push a tracking page; a plain head store loses one "
	  "page and the PFN in it\n"
	  "mem 256M\n"
	  "cpu 0:\n"
	  "	wait a-done\n"
	  "	wait b-done\n"
	  "	page_ext_init\n"
	  "cpu 1:\n"
	  "	alloc a order=0\n"
	  "	signal a-done\n"
	  "cpu 2:\n"
	  "	alloc b order=0\n"
	  "	signal b-done\n"
	  "late:\n"
	  "	free all\n" },
	{ "d11-sleep-in-rcu-reader",
	  "scenario d11-sleep-in-rcu-reader\n"
	  "description D11 (§4): a GFP_KERNEL early allocation makes RECORD "
	  "allocate its tracking page; a blocking mask inside RECORD's RCU reader "
	  "is \"sleeping function called from invalid context\"\n"
	  "mem 256M\n"
	  "cpu 0:\n"
	  "	alloc p order=0 gfp=GFP_KERNEL\n"
	  "	page_ext_init\n"
	  "	free p\n" },
	{ "d12-loser-slotless",
	  "scenario d12-loser-slotless\n"
	  "description D12 (§4): two CPUs push a tracking page around section 0's "
	  "publication; the loser's page got its (NULL) slot after it was allocated "
	  "and its free warns\n"
	  POOL_BOUNDARY_PROGRAM },
	{ "d13-loser-accounted",
	  "scenario d13-loser-accounted\n"
	  "description D13, race form (§4): the loser's tracking page was allocated "
	  "after its section got page_ext, so it is accounted; clear_page_tag_ref() "
	  "before its free discards the tag (leak on __alloc_tag_add_early_pfn)\n"
	  POOL_BOUNDARY_PROGRAM },
	{ "d13-clear-discards-tag",
	  /* x claims PFNs from 0xc000 on: section 1, still without page_ext */
	  "scenario d13-clear-discards-tag\n"
	  "description D13, deterministic form (§4): a tracking page allocated from "
	  "an already published section is accounted; CLEAR frees it after "
	  "clear_page_tag_ref() and its tag keeps 4096 bytes, 1 call\n"
	  "mem 256M\n"
	  "cpu 0:\n"
	  "	alloc e order=0 count=capacity	# fills tracking page 1\n"
	  "	page_ext_prepare\n"
	  "	page_ext_section 0		# its table pushes page 2\n"
	  "	alloc x order=0 pfn=0xc000 count=capacity\n"
	  "	page_ext_section 1\n"
	  "	page_ext_finish			# CLEAR frees page 3\n"
	  "	free all\n" },
	{ "d14-highmem-tracking-page",
	  "scenario d14-highmem-tracking-page\n"
	  "description D14 (§4): on a 32-bit machine a __GFP_HIGHMEM early "
	  "allocation passes its zone to the tracking page; page_address() is NULL "
	  "and writing the pool header oopses\n"
	  "bits 32\n"
	  "mem 1G\n"
	  "cpu 0:\n"
	  "	alloc p order=0 gfp=GFP_HIGHUSER\n"
	  "	page_ext_init\n"
	  "	free p\n" },
	{ "d14-movable-tracking-page",
	  "scenario d14-movable-tracking-page\n"
	  "description D14 (§4): a GFP_HIGHUSER_MOVABLE early allocation passes "
	  "its zone and migratetype to the tracking page, a pinned kernel page "
	  "then sits in ZONE_MOVABLE (mobility violation)\n"
	  "mem 512M\n"
	  "movable 128M\n"
	  "cpu 0:\n"
	  "	alloc p order=0 gfp=GFP_HIGHUSER_MOVABLE\n"
	  "	page_ext_init\n"
	  "	free p\n" },
	{ "d15-no-obj-ext-alias",
	  "scenario d15-no-obj-ext-alias\n"
	  "description D15 (§4): a genuine __GFP_NO_OBJ_EXT allocation before "
	  "page_ext looks like a tracking page to RECORD, is not recorded, and "
	  "its free warns\n"
	  "mem 256M\n"
	  "cpu 0:\n"
	  "	alloc p order=0 gfp=GFP_KERNEL|__GFP_NO_OBJ_EXT\n"
	  "	page_ext_init\n"
	  "	free p\n" },
	{ "d16-empty-head-split",
	  "scenario d16-empty-head-split\n"
	  "description D16 (§4): CLEAR stamps an early order-1 page EMPTY, then it "
	  "is split; a __pgalloc_tag_get() that turned EMPTY into a tag pointer "
	  "would update counters through address 1\n"
	  "mem 256M\n"
	  "cpu 0:\n"
	  "	alloc p order=1\n"
	  "	page_ext_init\n"
	  "	split p\n" },
	{ "d17-split-tail-free",
	  "scenario d17-split-tail-free\n"
	  "description D17 (§4): only the head PFN of an early order-1 page is "
	  "recorded; after a split its tail's slot stays NULL and freeing the "
	  "tail warns\n"
	  "mem 256M\n"
	  "cpu 0:\n"
	  "	alloc p order=1\n"
	  "	page_ext_init\n"
	  "	split p\n"
	  "	free p\n" },
	{ "d18-tracking-alloc-fails",
	  /*
	   * The fill must not itself push tracking pages, or the pool would
	   * take the last pages first: it carries __GFP_NO_OBJ_EXT, which L1–L6
	   * read as their recursion marker (D15).  L7 and proposed record it.
	   */
	  "scenario d18-tracking-alloc-fails\n"
	  "description D18 (§4): a __GFP_MEMALLOC fill takes every page below the "
	  "watermarks but one; the next early allocation takes that one and its "
	  "tracking page allocation fails: the PFN is dropped and stays unstamped\n"
	  "mem 32M\n"
	  "cpu 0:\n"
	  "	alloc spare order=0 gfp=GFP_KERNEL|__GFP_NO_OBJ_EXT\n"
	  "	alloc fill order=0 gfp=GFP_KERNEL|__GFP_MEMALLOC|__GFP_NOWARN|__GFP_NO_OBJ_EXT count=all\n"
	  "	free spare\n"
	  "	alloc x order=0 gfp=GFP_KERNEL|__GFP_MEMALLOC\n"
	  "	free fill\n"
	  "	page_ext_init\n" },
	{ "clean-two-cpus",
	  "scenario clean-two-cpus\n"
	  "description No defect possible: page_ext exists before SMP (EARLY boot "
	  "mode, §2.6), so both CPUs allocate with slots; DFS must exhaust cleanly\n"
	  "mem 256M\n"
	  "early:\n"
	  "	page_ext_init\n"
	  "cpu 0:\n"
	  "	alloc a order=0\n"
	  "	free a\n"
	  "cpu 1:\n"
	  "	alloc b order=1\n"
	  "	free b\n" },
	{ "abba-deadlock",
	  "scenario abba-deadlock\n"
	  "description Deliberate ABBA deadlock between two scenario spinlocks "
	  "(checks the controlled backend's deadlock report); hangs the free backend\n"
	  "mem 64M\n"
	  "cpu 0:\n"
	  "	lock A\n"
	  "	lock B\n"
	  "	unlock B\n"
	  "	unlock A\n"
	  "cpu 1:\n"
	  "	lock B\n"
	  "	lock A\n"
	  "	unlock A\n"
	  "	unlock B\n" },
	{ "sync-in-reader",
	  "scenario sync-in-reader\n"
	  "description synchronize_rcu() inside an RCU reader (§2.9: never call it "
	  "there): a self-deadlock under the controlled backend; the free backend "
	  "reports a BUG instead of hanging\n"
	  "mem 64M\n"
	  "cpu 0:\n"
	  "	rcu_read_lock\n"
	  "	synchronize_rcu\n"
	  "	rcu_read_unlock\n" },
};

const unsigned int scenario_nr_builtins = ARRAY_SIZE(scenario_builtins);

/* ------------------------------------------------------------------ */
/* Detectors: one per defect, over one execution's summary            */

static bool warned_not_set(const struct exec_summary *s)
{
	return s->warn_not_set > 0;
}

static bool d2_dropped(const struct exec_summary *s)
{
	return s->warn_not_set > 0 && s->early.pfns_dropped > 0;
}

static bool d3_lockup(const struct exec_summary *s)
{
	return s->status == EXEC_ABORTED && s->why == SIM_CTL_DEADLOCK;
}

static bool d4_tag_lost(const struct exec_summary *s)
{
	return s->leaks > s->leaks_d13 && s->early.clear_overwrote > 0;
}

static bool d5_stored_after_clear(const struct exec_summary *s)
{
	return s->early.pfns_stored_after_clear > 0;
}

static bool d6_overflow(const struct exec_summary *s)
{
	return s->pr_pfn_max > 0 || (s->warn_not_set > 0 && s->early.pfns_dropped > 0);
}

static bool oops_or_hang(const struct exec_summary *s)
{
	return s->status == EXEC_CRASHED || s->status == EXEC_TIMEOUT ||
	       (s->status == EXEC_ABORTED && s->why == SIM_CTL_STEP_BUDGET);
}

static bool d10_page_lost(const struct exec_summary *s)
{
	return s->unreachable > 0;
}

static bool d11_sleep(const struct exec_summary *s)
{
	return s->bug_sleep > 0;
}

static bool d12_loser_warned(const struct exec_summary *s)
{
	return s->early.tracking_pages_freed_null > 0;
}

static bool d13_loser_tag_lost(const struct exec_summary *s)
{
	return s->leaks_d13 > 0 && s->early.tracking_pages_lost_accounted > 0;
}

static bool d13_tag_lost(const struct exec_summary *s)
{
	return s->leaks_d13 > 0;
}

static bool d14_oops(const struct exec_summary *s)
{
	return s->status == EXEC_CRASHED;
}

static bool d14_movable(const struct exec_summary *s)
{
	return s->early.tracking_pages_movable > 0;
}

static bool d15_alias(const struct exec_summary *s)
{
	return s->warn_not_set > 0 && s->early.pfns_skipped_marker > 0;
}

static bool d18_failed(const struct exec_summary *s)
{
	return s->pr_tracking_failed > 0;
}

#define ARRAYS		"A1 A2 A3"
#define LISTS		"L1 L2 L3 L4pre L4 L5 L6 L7"
#define ALL_FIXES	ARRAYS " " LISTS " proposed"

const struct defect_case defect_cases[] = {
	{ "D1", "d1-untagged-early-free", "WARN \"alloc_tag was not set\"", false, STRATEGY_RANDOM, 0,
	  "none", "", warned_not_set, NULL },
	{ "D2", "d2-array-256", "WARN \"alloc_tag was not set\" for a dropped PFN", false, STRATEGY_RANDOM, 0,
	  "A1", "none", d2_dropped, NULL },
	{ "D3", "d3-nmi-in-record", "hard LOCKUP (the CPU waits for a lock it holds)",
	  false, STRATEGY_RANDOM, 0, "A1", "none", d3_lockup, NULL },
	{ "D4", "d4-clear-overwrites-tag", "leak on q's tag; CLEAR stored EMPTY over it",
	  false, STRATEGY_RANDOM, 0, "A1", "none", d4_tag_lost, NULL },
	{ "D5", "d5-record-after-clear", "a PFN stored after CLEAR walked the storage",
	  true, STRATEGY_PCT, 3, "A1 A2", "none", d5_stored_after_clear,
	  "A1 too: its state flag is as unsynchronised as A2's pointer (§3.1)." },
	{ "D6", "d6-array-8192", "pr_warn EARLY_ALLOC_PFN_MAX, or dropped PFNs warn",
	  false, STRATEGY_RANDOM, 0, ARRAYS, "none", d6_overflow,
	  "A1 too: its 256 entries overflow first (D2)." },
	{ "D7", "d7-clear-vs-alloc", "leak on q's tag; CLEAR stored EMPTY over it",
	  true, STRATEGY_DFS, 2, ARRAYS " " LISTS, "none", d4_tag_lost,
	  "A1 too: it stamps without reading the slot, so no race is needed (D4)." },
	{ "D8", "d8-free-in-window", "WARN \"alloc_tag was not set\"", true, STRATEGY_DFS, 2,
	  ALL_FIXES, "none", warned_not_set, NULL },
	{ "D9", "d9-tracking-page-recursion", "oops or hang (unbounded recursion)", false, STRATEGY_RANDOM, 0,
	  "", "none " ARRAYS, oops_or_hang,
	  "Every list variant carries the marker; the case pins that it works." },
	{ "D10", "d10-list-head-race", "tracking page unreachable from the head", true, STRATEGY_PCT, 3,
	  "L1", "none " ARRAYS, d10_page_lost, NULL },
	{ "D11", "d11-sleep-in-rcu-reader",
	  "BUG \"sleeping function called from invalid context\"", false, STRATEGY_RANDOM, 0,
	  "L2", "none " ARRAYS, d11_sleep, NULL },
	{ "D12", "d12-loser-slotless", "WARN when a tracking page is freed", true, STRATEGY_PCT, 3,
	  "L2 L3 L4pre", "none " ARRAYS, d12_loser_warned, NULL },
	{ "D13", "d13-loser-accounted", "leak on __alloc_tag_add_early_pfn from a loser page",
	  true, STRATEGY_PCT, 3, "L4 L5 L6 L7", "none " ARRAYS, d13_loser_tag_lost, NULL },
	{ "D13det", "d13-clear-discards-tag", "leak on __alloc_tag_add_early_pfn", false, STRATEGY_RANDOM, 0,
	  LISTS, "none " ARRAYS, d13_tag_lost,
	  "[DER] L1–L3 too: bootsim reads their CLEAR as L4's (clear_page_tag_ref + "
	  "__free_page); §4 lists L4–L7 for the race form." },
	{ "D14", "d14-highmem-tracking-page", "oops (NULL page_address)", false, STRATEGY_RANDOM, 0,
	  "L3 L4pre L4", "none " ARRAYS, d14_oops, NULL },
	{ "D14mov", "d14-movable-tracking-page", "tracking page in a movable placement",
	  false, STRATEGY_RANDOM, 0, "L3 L4pre L4", "none " ARRAYS, d14_movable, NULL },
	{ "D15", "d15-no-obj-ext-alias", "WARN \"alloc_tag was not set\" for a marked page",
	  false, STRATEGY_RANDOM, 0, "L1 L2 L3 L4pre L4 L5 L6", "none", d15_alias, NULL },
	{ "D16", "d16-empty-head-split", "oops (counter update through EMPTY)", false, STRATEGY_RANDOM, 0,
	  "", "none", d14_oops,
	  "Every modelled variant carries the __pgalloc_tag_get() fix (§3.1 step 3); "
	  "none has no EMPTY pages to split." },
	{ "D17", "d17-split-tail-free", "WARN \"alloc_tag was not set\" for a tail", false, STRATEGY_RANDOM, 0,
	  ALL_FIXES, "none", warned_not_set, NULL },
	{ "D18", "d18-tracking-alloc-fails",
	  "pr_warn \"early PFN tracking page allocation failed\"",
	  false, STRATEGY_RANDOM, 0, "L1 L2 L3 L4pre L4 L5 L6", "none " ARRAYS, d18_failed,
	  "L7 and proposed too in principle (§4), but not by this program: no gfp bit "
	  "hides its fill from their RECORD, whose own tracking pages then take the "
	  "reserve first." },
};

const unsigned int nr_defect_cases = ARRAY_SIZE(defect_cases);

static bool id_in_list(const char *list, const char *id)
{
	size_t n = strlen(id);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, " ");

		if (len == n && !strncasecmp(p, id, n))
			return true;
		p += len;
		p += strspn(p, " ");
	}
	return false;
}

enum expectation defect_case_expect(const struct defect_case *c,
				    const struct early_pfn_variant *v)
{
	if (id_in_list(c->not_applicable, v->id))
		return EXPECT_NOT_APPLICABLE;
	return id_in_list(c->found_on, v->id) ? EXPECT_FOUND : EXPECT_NOT_FOUND;
}

const struct defect_case *defect_case_lookup(const char *name)
{
	for (unsigned int i = 0; i < nr_defect_cases; i++)
		if (!strcasecmp(defect_cases[i].defect, name) ||
		    !strcmp(defect_cases[i].scenario, name))
			return &defect_cases[i];
	return NULL;
}
