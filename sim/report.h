/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/report.h - boot summaries as text and as one JSON object (fields
 * documented in README.md).
 */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stdio.h>
#include "boot.h"

void report_boot_text(FILE *out, const struct boot_options *opt,
		      const struct boot_result *res);
void report_boot_json(FILE *out, const struct boot_options *opt,
		      const struct boot_result *res);
void report_oracles_text(FILE *out, const struct oracle_results *o,
			 const struct early_pfn_stats *e);
void report_oracles_json(FILE *out, const struct oracle_results *o);
/* Minimal JSON string writer shared by every JSON report. */
void json_string(FILE *out, const char *s);

#endif /* SIM_REPORT_H */
