/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/nmi.h - non-maskable interrupts on a simulated CPU (D3).
 *
 * A CPU arms an NMI on itself.  The modelled code marks the stretches an NMI
 * is aimed at with nmi_window_enter()/nmi_window_exit() (early_pfn.c marks
 * RECORD); both are bookkeeping, never scheduling points.  The NMI fires on
 * the CPU's own thread, nested in whatever the CPU was doing, at the @at-th
 * scheduling point the CPU reaches inside a window after arming, just before
 * that point's operation (at a spin_unlock() the lock is still held).
 * current->in_nmi is set while the handler runs.  One shot: a CPU that never
 * reaches that point never takes the NMI.  NMIs do not nest, and the
 * handler's own points do not count.  spin_lock_irqsave() does not hold an
 * NMI off, as in the kernel.
 *
 *   | API                     | caller                                      |
 *   |-------------------------|---------------------------------------------|
 *   | sim_nmi_arm / _disarm   | the CPU itself, controlled backend only     |
 *   | nmi_window_enter / exit | modelled code, any thread (no-op off a CPU) |
 *   | in_nmi                  | modelled code                               |
 *   | sim_nmi_point           | the controlled backend, on entering each    |
 *   |                         | scheduling point                            |
 *
 * Controlled backend only: a handler that takes a lock its own CPU holds
 * (A1's D3) would hang a pthread mutex under the free backend, while the
 * controlled scheduler sees that the CPU can never run again and reports the
 * kernel's hard-lockup text (controlled.h).
 */
#ifndef SIM_CORE_NMI_H
#define SIM_CORE_NMI_H

#include "sched.h"

struct sim_nmi {
	void (*handler)(void *arg);
	void *arg;
	unsigned long at;		/* fire at this point inside a window, from 1 */
	/* state, reset by sim_nmi_arm() */
	unsigned long seen;		/* points passed inside windows since arming */
	bool fired;
};

/*
 * Arm @nmi on the calling CPU, replacing one armed before.  Returns 0, or
 * -EOPNOTSUPP off a CPU thread or under the free backend.
 */
int sim_nmi_arm(struct sim_nmi *nmi);
/* Disarm; returns the NMI that had not fired yet, or NULL. */
struct sim_nmi *sim_nmi_disarm(void);

static inline void nmi_window_enter(void)
{
	if (sim_on_cpu_thread())
		current->nmi_window++;
}

static inline void nmi_window_exit(void)
{
	if (sim_on_cpu_thread())
		current->nmi_window--;
}

static inline bool in_nmi(void)
{
	return current->in_nmi;
}

void __sim_nmi_point(void);

static inline void sim_nmi_point(void)
{
	if (unlikely(current->nmi))
		__sim_nmi_point();
}

#endif /* SIM_CORE_NMI_H */
