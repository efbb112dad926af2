/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SIM_VERSION_H
#define SIM_VERSION_H
#define BOOTSIM_VERSION "0.1.0"
#endif
