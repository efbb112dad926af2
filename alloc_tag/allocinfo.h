/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alloc_tag/allocinfo.h - /proc/allocinfo, version 2.0 (§2.7).
 */
#ifndef ALLOC_TAG_ALLOCINFO_H
#define ALLOC_TAG_ALLOCINFO_H

#include <stdio.h>
#include "alloc_tag.h"

/* One tag's line, as the kernel prints it (trailing space included). */
size_t alloc_tag_to_text(char *buf, size_t size, const struct alloc_tag *tag);
/* Header plus every tag; @all false skips tags that never counted a call. */
void allocinfo_print(FILE *out, bool all);

#endif /* ALLOC_TAG_ALLOCINFO_H */
