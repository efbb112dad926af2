/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/core/random.h - small seeded PRNG (splitmix64 seeding xoshiro256**),
 * so every workload and jitter decision derives from --seed.
 */
#ifndef SIM_CORE_RANDOM_H
#define SIM_CORE_RANDOM_H

#include <stdint.h>

struct sim_rng {
	uint64_t s[4];
};

void sim_rng_seed(struct sim_rng *rng, uint64_t seed, uint64_t stream);
uint64_t sim_rng_next(struct sim_rng *rng);
/* Uniform in [0, bound); bound > 0. */
uint64_t sim_rng_below(struct sim_rng *rng, uint64_t bound);

#endif /* SIM_CORE_RANDOM_H */
