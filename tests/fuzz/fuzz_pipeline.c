/* fuzz_pipeline.c - libFuzzer entry point: every input goes through the
 * whole pipeline (pipeline.c). Any status is fine; a crash, a sanitizer
 * report, a leak, a timeout or running out of memory is a finding. */
#include "pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)fuzz_pipeline_run(data, size);
    return 0;
}
