/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/catalogue.h - the defect catalogue of §4 as executable cases.
 *
 * Each case pairs a defect id with a built-in scenario, the oracle that
 * detects it (a detector over one execution's summary, so that another
 * defect firing in the same run does not count), the variants on which it
 * is expected, and those on which it cannot apply.  `bootsim matrix` runs
 * every case against every variant; the tests assert every expectation.
 *
 *   | API                   | contract                                      |
 *   |-----------------------|-----------------------------------------------|
 *   | defect_cases[]        | static, in D-number order                     |
 *   | defect_case_expect    | pure; ids matched case-insensitively          |
 *   | defect_case_lookup    | by scenario name or defect id ("d7", "D13det")|
 */
#ifndef SIM_CATALOGUE_H
#define SIM_CATALOGUE_H

#include "alloc_tag/early_pfn.h"
#include "explore.h"

enum expectation {
	EXPECT_NOT_FOUND,
	EXPECT_FOUND,
	EXPECT_NOT_APPLICABLE,
};

struct defect_case {
	const char *defect;		/* column label: "D7", "D13det" */
	const char *scenario;		/* built-in scenario name */
	const char *oracle;		/* what detects it, in words */
	bool race;			/* needs more than one CPU interleaving */
	/*
	 * How `matrix` searches a race: DFS with this preemption bound, or
	 * PCT with this depth (what found each witness fastest, README).
	 */
	enum strategy_kind strategy;
	unsigned int bound;
	const char *found_on;		/* variant ids expected to show it */
	const char *not_applicable;	/* variant ids it cannot concern */
	explore_wanted_fn detect;
	const char *note;		/* where the table differs from §4, and why */
};

extern const struct defect_case defect_cases[];
extern const unsigned int nr_defect_cases;

enum expectation defect_case_expect(const struct defect_case *c,
				    const struct early_pfn_variant *v);
const struct defect_case *defect_case_lookup(const char *name);

#endif /* SIM_CATALOGUE_H */
