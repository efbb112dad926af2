// SPDX-License-Identifier: GPL-2.0
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spinlock.h"
#include "sched.h"
#include "controlled.h"

void spin_lock_init(spinlock_t *lock)
{
	lock->word = 0;
	lock->owner_cpu = -1;
	lock->percpu = false;
}

void spin_lock_init_percpu(spinlock_t *lock)
{
	spin_lock_init(lock);
	lock->percpu = true;
}

static void futex_wait(int *word, int val)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

/*
 * The free backend's contended take (Drepper, "Futexes Are Tricky", mutex
 * 3): mark the word 2 so that the holder's release wakes a sleeper.  A
 * per-CPU lock's waiter yields instead and leaves the word at 1.
 */
static void spin_word_lock(spinlock_t *lock)
{
	int c = 0;

	/* spin_word_trylock(), keeping what the word held */
	if (__atomic_compare_exchange_n(&lock->word, &c, 1, false, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return;
	if (lock->percpu) {
		do
			sched_yield();
		while (!spin_word_trylock(lock));
		return;
	}
	if (c != 2)
		c = __atomic_exchange_n(&lock->word, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		futex_wait(&lock->word, 2);
		c = __atomic_exchange_n(&lock->word, 2, __ATOMIC_ACQUIRE);
	}
}

void __spin_unlock_wake(spinlock_t *lock)
{
	syscall(SYS_futex, &lock->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/*
 * sim_sched_hooked is set whenever the controlled backend is active, so
 * testing it first keeps the free backend's locks at one predictable branch
 * before the lock word (zone->lock is on every allocation).
 */
static __always_inline bool ctl_lock(void)
{
	return unlikely(sim_sched_hooked) && sim_ctl_on_cpu();
}

void __spin_lock(spinlock_t *lock)
{
	if (ctl_lock()) {
		SIM_CTL_POINT("spin_lock");

		sim_ctl_spin_lock(lock, &__pt);
		return;
	}
	SIM_POINT("spin_lock", lock);
	spin_word_lock(lock);
	spin_acquired(lock);
}

bool __spin_trylock(spinlock_t *lock)
{
	if (ctl_lock()) {
		SIM_CTL_POINT("spin_trylock");

		return sim_ctl_spin_trylock(lock, &__pt);
	}
	SIM_POINT("spin_trylock", lock);
	if (!spin_word_trylock(lock))
		return false;
	spin_acquired(lock);
	return true;
}

void __spin_unlock(spinlock_t *lock)
{
	if (ctl_lock()) {
		SIM_CTL_POINT("spin_unlock");

		sim_ctl_spin_unlock(lock, &__pt);
		return;
	}
	current->lock_depth--;
	__atomic_store_n(&lock->owner_cpu, -1, __ATOMIC_RELAXED);
	spin_word_unlock(lock);
	SIM_POINT("spin_unlock", lock);
}

bool spin_is_locked_by_me(spinlock_t *lock)
{
	return __atomic_load_n(&lock->owner_cpu, __ATOMIC_RELAXED) == smp_processor_id();
}
