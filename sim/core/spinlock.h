/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/spinlock.h - kernel spinlocks.
 *
 * Free backend: a pthread mutex (ThreadSanitizer-visible; with thousands of
 * simulated CPUs on two host cores, sleeping beats spinning).  Controlled
 * backend: the scheduler owns the lock (controlled.h), so a CPU re-taking a
 * lock it holds (the NMI case of D3) is reported as a deadlock worded as the
 * kernel's "watchdog: Watchdog detected hard LOCKUP on cpu N"; under the
 * free backend that would hang, which is why D3 is explored controlled
 * (NMIs exist only there, nmi.h).
 * The owner CPU is remembered for both.
 *
 *   | API                          | contract                                |
 *   |------------------------------|-----------------------------------------|
 *   | spin_lock / spin_unlock      | not recursive; scheduling point on take |
 *   | spin_lock_irqsave(l, flags)  | as spin_lock; flags kept for fidelity   |
 *   | spin_is_locked_by_me         | diagnostics only                        |
 */
#ifndef SIM_CORE_SPINLOCK_H
#define SIM_CORE_SPINLOCK_H

#include <pthread.h>
#include "compiler.h"

typedef struct spinlock {
	pthread_mutex_t mutex;
	int owner_cpu;			/* -1 when unlocked */
	const char *name;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(n) { PTHREAD_MUTEX_INITIALIZER, -1, #n }
#define DEFINE_SPINLOCK(n) spinlock_t n = __SPIN_LOCK_UNLOCKED(n)

void spin_lock_init(spinlock_t *lock);
void spin_lock(spinlock_t *lock);
bool spin_trylock(spinlock_t *lock);
void spin_unlock(spinlock_t *lock);
bool spin_is_locked_by_me(spinlock_t *lock);

#define spin_lock_irqsave(lock, flags)	do { (flags) = 0; spin_lock(lock); } while (0)
#define spin_unlock_irqrestore(lock, flags) do { (void)(flags); spin_unlock(lock); } while (0)

#endif /* SIM_CORE_SPINLOCK_H */
