/* pipeline.h - the whole kquant pipeline on in-memory bytes, shared by the
 * libFuzzer target and the regression unit test. */
#ifndef KQ_FUZZ_PIPELINE_H
#define KQ_FUZZ_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "kquant.h"

/* Small enough that a hostile header cannot make the fuzzer run out of
 * memory, large enough for every seed. */
#define FUZZ_MAX_PIXELS (4u * 1000u * 1000u)

/* Decodes data as the CLI does (header check against FUZZ_MAX_PIXELS),
 * resizes to a small size taken from the input's last bytes, clusters with
 * a k (1..16) taken from them too, recolours and encodes to memory in one
 * of the four output formats with the CLI's encoders (for PNG also as a
 * palette PNG). Returns the first failing status (decode
 * errors are expected), KQ_OK when every stage ran. */
kq_status fuzz_pipeline_run(const uint8_t *data, size_t len);

#endif
