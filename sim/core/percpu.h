/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/percpu.h - per-CPU variables (§2.2).
 *
 * A per-CPU object is an array with one element per possible CPU.  Only the
 * owning CPU writes its element (this_cpu_*); any CPU may read all elements
 * and sum them.  Each element is written by one thread only, so an update is
 * a relaxed load plus a relaxed store: no lock prefix, and no data race for a
 * concurrent reader (who may see a slightly stale value, as in the kernel).
 *
 *   | API                         | writer      | reader            |
 *   |-----------------------------|-------------|-------------------|
 *   | this_cpu_add(p, field, v)   | owning CPU  |                   |
 *   | per_cpu_read(p, cpu, field) |             | any thread        |
 */
#ifndef SIM_CORE_PERCPU_H
#define SIM_CORE_PERCPU_H

#include <stdlib.h>
#include "compiler.h"
#include "sched.h"

#define alloc_percpu(type)	((type *)calloc(nr_cpu_ids, sizeof(type)))
#define free_percpu(p)		free(p)
#define per_cpu_ptr(p, cpu)	(&(p)[(cpu)])
#define this_cpu_ptr(p)		per_cpu_ptr((p), smp_processor_id())

#define this_cpu_add(p, field, v)					\
	do {								\
		__typeof__(this_cpu_ptr(p)) __pc = this_cpu_ptr(p);	\
		__atomic_store_n(&__pc->field,				\
			__atomic_load_n(&__pc->field, __ATOMIC_RELAXED) + (v), \
			__ATOMIC_RELAXED);				\
	} while (0)
#define this_cpu_sub(p, field, v)	this_cpu_add(p, field, -(v))
#define this_cpu_inc(p, field)		this_cpu_add(p, field, 1)
#define this_cpu_dec(p, field)		this_cpu_add(p, field, -1)

#define per_cpu_read(p, cpu, field) \
	__atomic_load_n(&per_cpu_ptr((p), (cpu))->field, __ATOMIC_RELAXED)

#endif /* SIM_CORE_PERCPU_H */
