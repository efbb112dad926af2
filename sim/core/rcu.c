// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel RCU API on liburcu's urcu-memb flavour.  Readers are tracked per
 * task as well, so might_sleep() can tell a blocking allocation inside a read
 * section (D11).
 */
/*
 * The inline read-side of urcu-memb (LGPL, allowed in a GPL program): the
 * library's out-of-line calls reach the reader's TLS through
 * __tls_get_addr(), and page_ext_get()/put() run on every tagged page.
 * Not under ThreadSanitizer: urcu synchronises readers with plain volatile
 * accesses (urcu_common_wake_up_gp()'s futex word), which TSan would report
 * once they are compiled into instrumented code; the library is not.
 */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BOOTSIM_TSAN 1
#endif
#endif
#if !defined(__SANITIZE_THREAD__) && !defined(BOOTSIM_TSAN)
#define _LGPL_SOURCE
#endif
#include <urcu/urcu-memb.h>

#include "sched.h"
#include "controlled.h"

/* rcu.h re-declares the kernel names urcu-memb.h mapped; undo the macros. */
#undef rcu_read_lock
#undef rcu_read_unlock
#undef synchronize_rcu
#undef rcu_dereference
#undef rcu_assign_pointer
#include "rcu.h"

/*
 * Threads of sim_cpu_start() register up front; any other thread (a test's
 * main thread, say) is registered on first use and stays registered.
 */
static __thread bool rcu_registered;

/* As in spinlock.c: the free backend pays one predictable branch. */
static __always_inline bool ctl_rcu(void)
{
	return unlikely(sim_sched_hooked) && sim_ctl_on_cpu();
}

static void ensure_registered(void)
{
	if (unlikely(!rcu_registered))
		sim_rcu_register_thread();
}


void rcu_read_lock(void)
{
	if (ctl_rcu()) {
		SIM_CTL_POINT("rcu_read_lock");

		sim_ctl_rcu_read_lock(&__pt);
		return;
	}
	SIM_POINT("rcu_read_lock", NULL);
	ensure_registered();
	urcu_memb_read_lock();
	current->rcu_read_depth++;
}

void rcu_read_unlock(void)
{
	if (ctl_rcu()) {
		SIM_CTL_POINT("rcu_read_unlock");

		sim_ctl_rcu_read_unlock(&__pt);
		return;
	}
	current->rcu_read_depth--;
	urcu_memb_read_unlock();
	SIM_POINT("rcu_read_unlock", NULL);
}

void synchronize_rcu(void)
{
	if (ctl_rcu()) {
		SIM_CTL_POINT("synchronize_rcu");

		sim_ctl_synchronize_rcu(&__pt);
		return;
	}
	SIM_POINT("synchronize_rcu", NULL);
	urcu_memb_synchronize_rcu();
}

bool sim_rcu_register_thread(void)
{
	if (rcu_registered)
		return false;
	urcu_memb_register_thread();
	rcu_registered = true;
	return true;
}

void sim_rcu_unregister_thread(void)
{
	if (!rcu_registered)
		return;
	urcu_memb_unregister_thread();
	rcu_registered = false;
}
