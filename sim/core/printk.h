/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/printk.h - kernel log and the warning registry (DESIGN.md oracles).
 *
 * The modelled code reports through the kernel's macros with the kernel's
 * exact texts.  Besides printing a kernel-log style line, every report is
 * counted in a registry keyed by its call site:
 *
 *   registry[site] = { kind, first text, count, first CPU, first sequence }
 *
 * WARN_ONCE and pr_warn_once print once per boot but count every hit, so an
 * oracle can say how often a once-only warning would have fired.
 *
 *   | API                         | callable from | notes                        |
 *   |-----------------------------|---------------|------------------------------|
 *   | pr_info/pr_warn/pr_err      | any CPU       | log only                     |
 *   | pr_warn_once, WARN_ONCE,    | any CPU       | log once, count always       |
 *   | WARN_ON, WARN               |               | WARN_ON logs every hit       |
 *   | sim_report_bug              | any CPU       | BUG-class finding (bad page, |
 *   |                             |               | oops, invalid context)       |
 *   | sim_warn_for_each / reset   | machine owner | CPUs stopped                 |
 */
#ifndef SIM_CORE_PRINTK_H
#define SIM_CORE_PRINTK_H

#include <stdio.h>
#include "compiler.h"

enum sim_report_kind {
	SIM_REPORT_WARN,	/* WARN*, "WARNING: CPU: ..." */
	SIM_REPORT_PR_WARN,	/* pr_warn_once */
	SIM_REPORT_BUG,		/* "BUG: ..." lines: bad page, invalid context, oops */
};

struct sim_warn_site {
	const char *file;
	int line;
	const char *func;
	const char *fmt;
	enum sim_report_kind kind;
	/* registry state, reset per boot */
	int warned;			/* the _ONCE flag */
	long count;
	int first_cpu;
	unsigned long first_seq;
	char text[160];			/* first formatted text, without '\n' */
	struct sim_warn_site *next;	/* registry list */
	int registered;
};

#define KERN_SOH ""

/* Log sink: every line is "[sss.uuuuuu] text".  NULL mutes the log. */
void sim_log_set_stream(FILE *f);
void sim_log_set_echo(bool on);		/* also keep lines in memory (tests) */
const char *sim_log_buffer(void);	/* kept lines, '\n'-separated */
void printk_line(const char *fmt, ...) __printf(1, 2);

#define pr_info(fmt, ...)	printk_line(fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)	printk_line(fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...)	printk_line(fmt, ##__VA_ARGS__)

void __sim_report(struct sim_warn_site *site, bool once, const char *fmt, ...)
	__printf(3, 4);

#define __SIM_SITE(kind_, fmt_)						\
	static struct sim_warn_site __site = {				\
		.file = __FILE__, .line = __LINE__, .func = __func__,	\
		.fmt = (fmt_), .kind = (kind_) }

#define pr_warn_once(fmt, ...)						\
	({								\
		__SIM_SITE(SIM_REPORT_PR_WARN, fmt);			\
		__sim_report(&__site, true, fmt, ##__VA_ARGS__);	\
	})

#define WARN_ONCE(cond, fmt, ...)					\
	({								\
		bool __c = !!(cond);					\
		if (unlikely(__c)) {					\
			__SIM_SITE(SIM_REPORT_WARN, fmt);		\
			__sim_report(&__site, true, fmt, ##__VA_ARGS__);\
		}							\
		__c;							\
	})

#define WARN(cond, fmt, ...)						\
	({								\
		bool __c = !!(cond);					\
		if (unlikely(__c)) {					\
			__SIM_SITE(SIM_REPORT_WARN, fmt);		\
			__sim_report(&__site, false, fmt, ##__VA_ARGS__);\
		}							\
		__c;							\
	})

#define WARN_ON(cond)	WARN((cond), "WARN_ON(%s)", #cond)
#define WARN_ON_ONCE(cond) WARN_ONCE((cond), "WARN_ON_ONCE(%s)", #cond)

/* A BUG-class report ("BUG: Bad page state ...", "BUG: sleeping function ..."). */
#define sim_report_bug(fmt, ...)					\
	({								\
		__SIM_SITE(SIM_REPORT_BUG, fmt);			\
		__sim_report(&__site, false, fmt, ##__VA_ARGS__);	\
	})

/* Iterate the sites that fired since the last reset, in order of first hit. */
void sim_warn_for_each(void (*fn)(const struct sim_warn_site *site, void *arg), void *arg);
long sim_warn_total(enum sim_report_kind kind);
/* Count of hits whose format string starts with @fmt_prefix. */
long sim_warn_count_fmt(const char *fmt_prefix);
void sim_warn_reset(void);
/* Monotonic sequence number used to order first occurrences. */
unsigned long sim_log_seq(void);
/* Restart the log clock (machine boot). */
void sim_log_clock_reset(void);

#endif /* SIM_CORE_PRINTK_H */
