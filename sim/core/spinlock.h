/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/spinlock.h - kernel spinlocks.
 *
 * Free backend: a futex lock word (the protocol of glibc's mutex: 0 free, 1
 * held, 2 held with sleepers), whose uncontended take and release are inline
 * atomics; a waiter sleeps, since with thousands of simulated CPUs on two
 * host cores sleeping beats spinning.  Its acquire/release atomics are what
 * ThreadSanitizer sees.  Controlled backend: the scheduler owns the lock
 * (controlled.h), so a CPU re-taking a lock it holds (the NMI case of D3) is
 * reported as a deadlock worded as the kernel's "watchdog: Watchdog
 * detected hard LOCKUP on cpu N"; under the free backend that would hang,
 * which is why D3 is explored controlled (NMIs exist only there, nmi.h).
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
 * remote drains rarely).  In the free backend its waiters yield the host
 * CPU instead of sleeping, so its release is a plain store with no sleeper
 * to wake: one atomic exchange per critical section.  The controlled
 * backend models it like any other.
 *
 * The inline paths serve the free backend with no scheduling point hooked
 * (no --jitter), where a point would do nothing; everything else goes
 * through the out-of-line code.
 */
#ifndef SIM_CORE_SPINLOCK_H
#define SIM_CORE_SPINLOCK_H

#include "compiler.h"
#include "sched.h"

typedef struct spinlock {
	int word;			/* free backend: 0 free, 1 held, 2 sleepers */
	int owner_cpu;			/* -1 when unlocked */
	const char *name;
	bool percpu;			/* free backend: waiters yield, never sleep */
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(n) { 0, -1, #n, false }
#define DEFINE_SPINLOCK(n) spinlock_t n = __SPIN_LOCK_UNLOCKED(n)

void spin_lock_init(spinlock_t *lock);
void spin_lock_init_percpu(spinlock_t *lock);
void __spin_lock(spinlock_t *lock);
bool __spin_trylock(spinlock_t *lock);
void __spin_unlock(spinlock_t *lock);
void __spin_unlock_wake(spinlock_t *lock);
bool spin_is_locked_by_me(spinlock_t *lock);

static __always_inline bool spin_lock_inline(void)
{
	return likely(!sim_sched_hooked);
}

static __always_inline bool spin_word_trylock(spinlock_t *lock)
{
	int free = 0;

	return __atomic_compare_exchange_n(&lock->word, &free, 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static __always_inline void spin_acquired(spinlock_t *lock)
{
	struct task_struct *t = current;

	__atomic_store_n(&lock->owner_cpu, t->cpu, __ATOMIC_RELAXED);
	t->lock_depth++;
}

static __always_inline void spin_lock(spinlock_t *lock)
{
	if (spin_lock_inline() && spin_word_trylock(lock)) {
		spin_acquired(lock);
		return;
	}
	__spin_lock(lock);
}

static __always_inline bool spin_trylock(spinlock_t *lock)
{
	if (!spin_lock_inline())
		return __spin_trylock(lock);
	if (!spin_word_trylock(lock))
		return false;
	spin_acquired(lock);
	return true;
}

/* A sleeper (word 2) is woken; a per-CPU lock's waiters do not sleep. */
static __always_inline void spin_word_unlock(spinlock_t *lock)
{
	if (lock->percpu)
		__atomic_store_n(&lock->word, 0, __ATOMIC_RELEASE);
	else if (__atomic_exchange_n(&lock->word, 0, __ATOMIC_RELEASE) == 2)
		__spin_unlock_wake(lock);
}

static __always_inline void spin_unlock(spinlock_t *lock)
{
	struct task_struct *t;

	if (!spin_lock_inline()) {
		__spin_unlock(lock);
		return;
	}
	t = current;
	t->lock_depth--;
	__atomic_store_n(&lock->owner_cpu, -1, __ATOMIC_RELAXED);
	spin_word_unlock(lock);
}

#define spin_lock_irqsave(lock, flags)	do { (flags) = 0; spin_lock(lock); } while (0)
#define spin_unlock_irqrestore(lock, flags) do { (void)(flags); spin_unlock(lock); } while (0)

#endif /* SIM_CORE_SPINLOCK_H */
