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
 *   | spin_lock_init_percpu        | bootsim's: see below                    |
 *
 * spin_lock_init_percpu() makes a lock that one CPU takes almost always and
 * others seldom (the kernel's pcp->lock: its owner on every allocation,
 * remote drains rarely).  The free backend takes it with one atomic
 * exchange on a lock word and releases it with a store, yielding the host
 * CPU while it is busy, instead of the mutex: sleeping buys nothing on a
 * lock nobody waits for, and the mutex's bookkeeping is most of an uncontended
 * per-CPU allocation.  The controlled backend models it like any other.
 */
#ifndef SIM_CORE_SPINLOCK_H
#define SIM_CORE_SPINLOCK_H

#include <pthread.h>
#include "compiler.h"
#include "sched.h"

typedef struct spinlock {
	pthread_mutex_t mutex;
	int owner_cpu;			/* -1 when unlocked */
	const char *name;
	bool percpu;			/* free backend: @word, not @mutex */
	int word;			/* 1 while held (percpu only) */
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(n) { PTHREAD_MUTEX_INITIALIZER, -1, #n }
#define DEFINE_SPINLOCK(n) spinlock_t n = __SPIN_LOCK_UNLOCKED(n)

void spin_lock_init(spinlock_t *lock);
void spin_lock_init_percpu(spinlock_t *lock);
void spin_lock(spinlock_t *lock);
bool __spin_trylock(spinlock_t *lock);
void __spin_unlock(spinlock_t *lock);
bool spin_is_locked_by_me(spinlock_t *lock);

/*
 * A per-CPU lock under the free backend with no scheduling points hooked
 * (no --jitter) is taken and released inline: that is every pcp allocation
 * and free.  Any other lock, and every lock under the controlled backend,
 * goes through the out-of-line code.
 */
static __always_inline bool spin_lock_inline(const spinlock_t *lock)
{
	return likely(!sim_sched_hooked) && lock->percpu;
}

static __always_inline bool spin_trylock(spinlock_t *lock)
{
	struct task_struct *t;

	if (!spin_lock_inline(lock))
		return __spin_trylock(lock);
	if (__atomic_exchange_n(&lock->word, 1, __ATOMIC_ACQUIRE))
		return false;
	t = current;
	__atomic_store_n(&lock->owner_cpu, t->cpu, __ATOMIC_RELAXED);
	t->lock_depth++;
	return true;
}

static __always_inline void spin_unlock(spinlock_t *lock)
{
	struct task_struct *t;

	if (!spin_lock_inline(lock)) {
		__spin_unlock(lock);
		return;
	}
	t = current;
	t->lock_depth--;
	__atomic_store_n(&lock->owner_cpu, -1, __ATOMIC_RELAXED);
	__atomic_store_n(&lock->word, 0, __ATOMIC_RELEASE);
}

#define spin_lock_irqsave(lock, flags)	do { (flags) = 0; spin_lock(lock); } while (0)
#define spin_unlock_irqrestore(lock, flags) do { (void)(flags); spin_unlock(lock); } while (0)

#endif /* SIM_CORE_SPINLOCK_H */
