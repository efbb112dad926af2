// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>

#include "sched.h"
#include "trace.h"

const struct sim_tracer *sim_tracer;

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
