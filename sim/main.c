// SPDX-License-Identifier: GPL-2.0
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/core/sched.h"
#include "cli.h"

/*
 * The modelled kernel code may crash by design (a NULL page_address() on a
 * highmem page, unbounded recursion): report it as the kernel's oops on the
 * CPU that was running, and exit with "an oracle fired".
 */
static void oops_handler(int sig)
{
	char buf[160];
	struct task_struct *t = current;
	int n = snprintf(buf, sizeof(buf),
			 "BUG: unable to handle kernel %s on CPU %d (task %s/%d): "
			 "oops in the modelled kernel code\n",
			 sig == SIGSEGV ? "paging request" : "exception", t->cpu, t->comm,
			 t->pid);

	if (n > 0 && write(STDERR_FILENO, buf, (size_t)n) < 0)
		_exit(EXIT_FINDING);
	_exit(EXIT_FINDING);
}

static void install_oops_handler(void)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;

	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = oops_handler;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

int main(int argc, char **argv)
{
	if (!getenv("BOOTSIM_NO_OOPS_HANDLER"))
		install_oops_handler();
	return bootsim_main(argc, argv, stdout, stderr);
}
