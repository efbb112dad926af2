// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>

#include "sched.h"
#include "trace.h"

const struct sim_tracer *sim_tracer;
const struct sim_tracer *sim_mark_hook;

void sim_set_tracer(const struct sim_tracer *t)
{
	sim_tracer = t;
}

void __sim_note(const char *fmt, ...)
{
	const struct sim_tracer *t = sim_tracer;
	char buf[256];
	va_list ap;

	if (!t || !t->note)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	t->note(t->priv, smp_processor_id(), buf);
}

void sim_trace_log(const char *line)
{
	const struct sim_tracer *t = sim_tracer;

	if (t && t->log)
		t->log(t->priv, smp_processor_id(), line);
}

void sim_set_mark_hook(const struct sim_tracer *t)
{
	sim_mark_hook = t;
}

void __sim_mark(enum sim_mark mark, unsigned long arg)
{
	const struct sim_tracer *t = sim_tracer;

	if (t && t->mark)
		t->mark(t->priv, smp_processor_id(), mark, arg);
	t = sim_mark_hook;
	if (t && t->mark)
		t->mark(t->priv, smp_processor_id(), mark, arg);
}

int sim_mark_format(char *buf, size_t size, enum sim_mark mark, unsigned long arg)
{
	switch (mark) {
	case SIM_MARK_PAGE_EXT_INIT_START:
		return snprintf(buf, size, "page_ext_init start");
	case SIM_MARK_PAGE_EXT_SECTION:
		return snprintf(buf, size, "page_ext section=%lu published", arg);
	case SIM_MARK_PAGE_EXT_INIT_DONE:
		return snprintf(buf, size, "page_ext_init done");
	case SIM_MARK_CLEAR_START:
		return snprintf(buf, size, "clear_early_alloc_pfn_tag_refs start");
	case SIM_MARK_CLEAR_DONE:
		return snprintf(buf, size, "clear_early_alloc_pfn_tag_refs done");
	}
	return -1;
}
