/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/atomic.h - the kernel's atomic_t and cmpxchg family (§2.9).
 *
 *   | kernel op                          | ordering here             |
 *   |------------------------------------|---------------------------|
 *   | atomic_read / atomic_set           | READ_ONCE / WRITE_ONCE    |
 *   | atomic_{inc,dec,add,sub} (void)    | relaxed RMW (unordered)   |
 *   | atomic_*_return, xchg              | seq_cst (fully ordered)   |
 *   | atomic_try_cmpxchg, cmpxchg        | seq_cst on success,       |
 *   |                                    | relaxed on failure        |
 *
 * Every operation is a scheduling point (SIM_POINT) so the controlled
 * backend can interleave CPUs between any two of them.
 */
#ifndef SIM_CORE_ATOMIC_H
#define SIM_CORE_ATOMIC_H

#include "compiler.h"
#include "sched.h"

typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;

#define ATOMIC_INIT(i) { (i) }

static __always_inline int atomic_read(const atomic_t *v)
{
	SIM_POINT("atomic_read", v);
	return READ_ONCE(v->counter);
}

static __always_inline void atomic_set(atomic_t *v, int i)
{
	SIM_POINT("atomic_set", v);
	WRITE_ONCE(v->counter, i);
}

static __always_inline void atomic_add(int i, atomic_t *v)
{
	SIM_POINT("atomic_add", v);
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);
}

static __always_inline void atomic_sub(int i, atomic_t *v)
{
	SIM_POINT("atomic_sub", v);
	__atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED);
}

#define atomic_inc(v) atomic_add(1, (v))
#define atomic_dec(v) atomic_sub(1, (v))

static __always_inline int atomic_add_return(int i, atomic_t *v)
{
	SIM_POINT("atomic_add_return", v);
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);
}

#define atomic_inc_return(v)	atomic_add_return(1, (v))
#define atomic_dec_return(v)	atomic_add_return(-1, (v))
#define atomic_dec_and_test(v)	(atomic_dec_return(v) == 0)

static __always_inline bool atomic_try_cmpxchg(atomic_t *v, int *old, int new)
{
	SIM_POINT("atomic_try_cmpxchg", v);
	return __atomic_compare_exchange_n(&v->counter, old, new, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

static __always_inline int atomic_cmpxchg(atomic_t *v, int old, int new)
{
	SIM_POINT("atomic_cmpxchg", v);
	__atomic_compare_exchange_n(&v->counter, &old, new, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	return old;
}

static __always_inline long atomic_long_read(const atomic_long_t *v)
{
	SIM_POINT("atomic_long_read", v);
	return READ_ONCE(v->counter);
}

static __always_inline void atomic_long_set(atomic_long_t *v, long i)
{
	SIM_POINT("atomic_long_set", v);
	WRITE_ONCE(v->counter, i);
}

static __always_inline void atomic_long_add(long i, atomic_long_t *v)
{
	SIM_POINT("atomic_long_add", v);
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);
}

static __always_inline long atomic_long_add_return(long i, atomic_long_t *v)
{
	SIM_POINT("atomic_long_add_return", v);
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);
}

#define atomic_long_sub(i, v)	atomic_long_add(-(i), (v))
#define atomic_long_inc(v)	atomic_long_add(1, (v))

/* cmpxchg(ptr, old, new): returns the value found; stored @new iff it was @old. */
#define cmpxchg(ptr, old, new)						\
	({								\
		__typeof__(*(ptr)) __old = (old);			\
		SIM_POINT("cmpxchg", (ptr));				\
		__atomic_compare_exchange_n((ptr), &__old, (new), false,\
				__ATOMIC_SEQ_CST, __ATOMIC_RELAXED);	\
		__old;							\
	})

#define try_cmpxchg(ptr, oldp, new)					\
	({								\
		SIM_POINT("try_cmpxchg", (ptr));			\
		__atomic_compare_exchange_n((ptr), (oldp), (new), false,\
				__ATOMIC_SEQ_CST, __ATOMIC_RELAXED);	\
	})

#define xchg(ptr, v)							\
	({								\
		SIM_POINT("xchg", (ptr));				\
		__atomic_exchange_n((ptr), (v), __ATOMIC_SEQ_CST);	\
	})

#endif /* SIM_CORE_ATOMIC_H */
