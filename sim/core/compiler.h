/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/compiler.h - the kernel's compiler helpers, in userspace C11.
 *
 * READ_ONCE()/WRITE_ONCE() are single untorn accesses (§2.9).  They are
 * modelled as __atomic loads/stores so that ThreadSanitizer sees them as the
 * intentional races they are:
 *
 *   | kernel              | here                              | why              |
 *   |---------------------|-----------------------------------|------------------|
 *   | READ_ONCE(x)        | __atomic_load_n(&x, CONSUME)      | address-dependency ordering, as on every arch but Alpha |
 *   | WRITE_ONCE(x, v)    | __atomic_store_n(&x, v, RELAXED)  | untorn, no ordering |
 *   | smp_mb()            | __atomic_thread_fence(SEQ_CST)    |                  |
 *   | barrier()           | compiler barrier                  |                  |
 */
#ifndef SIM_CORE_COMPILER_H
#define SIM_CORE_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#ifndef __always_inline
#define __always_inline	inline __attribute__((always_inline))
#endif
#define __maybe_unused	__attribute__((unused))
#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* Markers kept so the modelled code reads like the patch; no effect here. */
#define __init
#define __initdata
#define __refdata
#define __rcu
#define __percpu

#define barrier()	__asm__ __volatile__("" ::: "memory")
#define smp_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_CONSUME)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON(c)	_Static_assert(!(c), #c)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define ALIGN(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

#define min(a, b)	((a) < (b) ? (a) : (b))
#define max(a, b)	((a) > (b) ? (a) : (b))

#define BITS_PER_LONG	(8 * (int)sizeof(long))

#endif /* SIM_CORE_COMPILER_H */
