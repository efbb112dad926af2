// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel log lines and the registry of warnings.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "printk.h"
#include "sched.h"
#include "trace.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_stream;
static bool log_keep;
static char *log_buf;
static size_t log_len, log_cap;
static unsigned long log_seqno;

static struct sim_warn_site *sites_head, **sites_tail = &sites_head;

void sim_log_set_stream(FILE *f)
{
	log_stream = f;
}

void sim_log_set_echo(bool on)
{
	pthread_mutex_lock(&log_lock);
	log_keep = on;
	log_len = 0;
	if (log_buf)
		log_buf[0] = '\0';
	pthread_mutex_unlock(&log_lock);
}

const char *sim_log_buffer(void)
{
	return log_buf ? log_buf : "";
}

void sim_log_clock_reset(void)
{
	sim_clock_reset();
}

unsigned long sim_log_seq(void)
{
	return __atomic_add_fetch(&log_seqno, 1, __ATOMIC_RELAXED);
}

static void keep_line(const char *line, size_t n)
{
	if (log_len + n + 2 > log_cap) {
		size_t cap = (log_cap ? log_cap * 2 : 4096) + n;
		char *nb = realloc(log_buf, cap);

		if (!nb)
			return;
		log_buf = nb;
		log_cap = cap;
	}
	memcpy(log_buf + log_len, line, n);
	log_len += n;
	log_buf[log_len++] = '\n';
	log_buf[log_len] = '\0';
}

/* Emit @text (may hold several '\n'-separated lines) with timestamps. */
static void log_emit(const char *text)
{
	long long ns;

	if (!log_stream && !log_keep && !sim_tracing())
		return;
	ns = sim_clock_ns();
	if (ns < 0)
		ns = 0;
	pthread_mutex_lock(&log_lock);
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);
		char line[512];
		int m = snprintf(line, sizeof(line), "[%5lld.%06lld] %.*s",
				 ns / 1000000000LL, (ns / 1000) % 1000000, (int)n, text);

		if (m > (int)sizeof(line) - 1)
			m = sizeof(line) - 1;
		if (log_stream)
			fprintf(log_stream, "%s\n", line);
		if (log_keep)
			keep_line(line, (size_t)m);
		if (sim_tracing())
			sim_trace_log(line);
		text += n;
		if (*text == '\n')
			text++;
	}
	pthread_mutex_unlock(&log_lock);
}

void printk_line(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_emit(buf);
}

static void register_site(struct sim_warn_site *site, const char *text)
{
	pthread_mutex_lock(&log_lock);
	if (!site->registered) {
		size_t n;

		__atomic_store_n(&site->registered, 1, __ATOMIC_RELEASE);
		site->first_cpu = smp_processor_id();
		site->first_seq = sim_log_seq();
		n = strnlen(text, sizeof(site->text) - 1);
		memcpy(site->text, text, n);
		site->text[n] = '\0';
		while (n && site->text[n - 1] == '\n')
			site->text[--n] = '\0';
		site->next = NULL;
		*sites_tail = site;
		sites_tail = &site->next;
	}
	pthread_mutex_unlock(&log_lock);
}

void __sim_report(struct sim_warn_site *site, bool once, const char *fmt, ...)
{
	char msg[512], out[1024];
	struct task_struct *t = current;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (!__atomic_load_n(&site->registered, __ATOMIC_ACQUIRE))
		register_site(site, msg);
	__atomic_fetch_add(&site->count, 1, __ATOMIC_RELAXED);
	if (sim_tracing()) {
		size_t n = strcspn(msg, "\n");

		sim_note("%s: %.*s", site->kind == SIM_REPORT_WARN ? "WARN" :
			 site->kind == SIM_REPORT_BUG ? "BUG" : "pr_warn", (int)n, msg);
	}

	if (once && __atomic_exchange_n(&site->warned, 1, __ATOMIC_RELAXED))
		return;

	switch (site->kind) {
	case SIM_REPORT_WARN:
		snprintf(out, sizeof(out),
			 "------------[ cut here ]------------\n%s%s"
			 "WARNING: CPU: %d PID: %d at %s:%d %s\n"
			 "---[ end trace ]---",
			 msg, msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n",
			 t->cpu, t->pid, site->file, site->line, site->func);
		break;
	default:
		snprintf(out, sizeof(out), "%s", msg);
		break;
	}
	log_emit(out);
}

void sim_warn_for_each(void (*fn)(const struct sim_warn_site *site, void *arg), void *arg)
{
	for (struct sim_warn_site *s = sites_head; s; s = s->next)
		fn(s, arg);
}

long sim_warn_total(enum sim_report_kind kind)
{
	long n = 0;

	for (struct sim_warn_site *s = sites_head; s; s = s->next)
		if (s->kind == kind)
			n += s->count;
	return n;
}

long sim_warn_count_fmt(const char *prefix)
{
	long n = 0;

	for (struct sim_warn_site *s = sites_head; s; s = s->next)
		if (!strncmp(s->fmt, prefix, strlen(prefix)))
			n += s->count;
	return n;
}

void sim_warn_reset(void)
{
	struct sim_warn_site *s, *next;

	pthread_mutex_lock(&log_lock);
	for (s = sites_head; s; s = next) {
		next = s->next;
		s->registered = 0;
		s->warned = 0;
		s->count = 0;
		s->next = NULL;
	}
	sites_head = NULL;
	sites_tail = &sites_head;
	log_seqno = 0;
	pthread_mutex_unlock(&log_lock);
}
