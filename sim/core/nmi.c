// SPDX-License-Identifier: GPL-2.0
/*
 * NMIs on a simulated CPU: armed per task, fired from the controlled
 * backend's scheduling points (nmi.h).
 */
#include <errno.h>

#include "controlled.h"
#include "nmi.h"
#include "trace.h"

int sim_nmi_arm(struct sim_nmi *nmi)
{
	if (!sim_ctl_on_cpu())
		return -EOPNOTSUPP;
	nmi->seen = 0;
	nmi->fired = false;
	current->nmi = nmi;
	return 0;
}

struct sim_nmi *sim_nmi_disarm(void)
{
	struct task_struct *t = current;
	struct sim_nmi *nmi = t->nmi;

	t->nmi = NULL;
	return nmi;
}

void __sim_nmi_point(void)
{
	struct task_struct *t = current;
	struct sim_nmi *nmi = t->nmi;

	if (t->nmi_window <= 0 || t->in_nmi || sim_points_suppressed())
		return;
	if (++nmi->seen < nmi->at)
		return;
	t->nmi = NULL;			/* one shot */
	nmi->fired = true;
	sim_note("NMI on CPU %d (point %lu inside the window)", t->cpu, nmi->seen);
	t->in_nmi = true;
	nmi->handler(nmi->arg);
	t->in_nmi = false;
	sim_note("NMI on CPU %d returns", t->cpu);
}
