/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/rcu.h - RCU for the modelled kernel code (§2.9), backed by
 * liburcu's urcu-memb flavour in the free backend.
 *
 * liburcu's own headers #define rcu_read_lock & co., so they are confined to
 * rcu.c; the modelled code sees only the kernel names below.
 *
 *   | API                     | contract                                        |
 *   |-------------------------|-------------------------------------------------|
 *   | rcu_read_lock/unlock    | nestable; the thread must be a registered CPU    |
 *   | rcu_dereference(p)      | consume load, for use inside a reader            |
 *   | rcu_assign_pointer(p,v) | release store (publish)                          |
 *   | synchronize_rcu()       | waits for every reader that began before it;     |
 *   |                         | full barrier; never call it inside a reader      |
 *   | rcu_read_lock_held()    | true inside a reader (drives might_sleep, D11)   |
 */
#ifndef SIM_CORE_RCU_H
#define SIM_CORE_RCU_H

#include "compiler.h"
#include "sched.h"

void rcu_read_lock(void);
void rcu_read_unlock(void);
void synchronize_rcu(void);

#define rcu_dereference(p)						\
	({								\
		SIM_POINT("rcu_dereference", &(p));			\
		__atomic_load_n(&(p), __ATOMIC_CONSUME);		\
	})

#define rcu_assign_pointer(p, v)					\
	do {								\
		SIM_POINT("rcu_assign_pointer", &(p));			\
		__atomic_store_n(&(p), (v), __ATOMIC_RELEASE);		\
	} while (0)

#define RCU_INITIALIZER(v) (v)

static inline bool rcu_read_lock_held(void)
{
	return current->rcu_read_depth > 0;
}

/*
 * Called by sim_cpu_start() threads; exposed for tests that bind by hand.
 * Returns false when the thread was registered already.
 */
bool sim_rcu_register_thread(void);
void sim_rcu_unregister_thread(void);

#endif /* SIM_CORE_RCU_H */
