// SPDX-License-Identifier: GPL-2.0
#include <sched.h>

#include "spinlock.h"
#include "sched.h"
#include "controlled.h"

void spin_lock_init(spinlock_t *lock)
{
	pthread_mutex_init(&lock->mutex, NULL);
	lock->owner_cpu = -1;
	lock->percpu = false;
	lock->word = 0;
}

void spin_lock_init_percpu(spinlock_t *lock)
{
	spin_lock_init(lock);
	lock->percpu = true;
}

static __always_inline bool percpu_trylock(spinlock_t *lock)
{
	return !__atomic_exchange_n(&lock->word, 1, __ATOMIC_ACQUIRE);
}

/*
 * sim_sched_hooked is set whenever the controlled backend is active, so
 * testing it first keeps the free backend's uncontended lock at one
 * predictable branch before the mutex (zone->lock is on every allocation).
 */
static __always_inline bool ctl_lock(void)
{
	return unlikely(sim_sched_hooked) && sim_ctl_on_cpu();
}

void spin_lock(spinlock_t *lock)
{
	if (ctl_lock()) {
		SIM_CTL_POINT("spin_lock");

		sim_ctl_spin_lock(lock, &__pt);
		return;
	}
	SIM_POINT("spin_lock", lock);
	if (lock->percpu) {
		while (!percpu_trylock(lock))
			sched_yield();
	} else {
		pthread_mutex_lock(&lock->mutex);
	}
	__atomic_store_n(&lock->owner_cpu, smp_processor_id(), __ATOMIC_RELAXED);
	current->lock_depth++;
}

bool __spin_trylock(spinlock_t *lock)
{
	if (ctl_lock()) {
		SIM_CTL_POINT("spin_trylock");

		return sim_ctl_spin_trylock(lock, &__pt);
	}
	SIM_POINT("spin_trylock", lock);
	if (lock->percpu ? !percpu_trylock(lock) : pthread_mutex_trylock(&lock->mutex))
		return false;
	__atomic_store_n(&lock->owner_cpu, smp_processor_id(), __ATOMIC_RELAXED);
	current->lock_depth++;
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
	if (lock->percpu)
		__atomic_store_n(&lock->word, 0, __ATOMIC_RELEASE);
	else
		pthread_mutex_unlock(&lock->mutex);
	SIM_POINT("spin_unlock", lock);
}

bool spin_is_locked_by_me(spinlock_t *lock)
{
	return __atomic_load_n(&lock->owner_cpu, __ATOMIC_RELAXED) == smp_processor_id();
}
