/* stb_image_instrumented.c - fuzz builds only (KQ_FUZZ): compiles the very
 * stb_image.h that Debian's libstb-dev installs, so that the fuzzer sees
 * coverage inside the decoders and AddressSanitizer checks their memory
 * accesses (the prebuilt libstb.so is not instrumented, which would leave
 * the fuzzer blind in the code that matters most). The definitions here
 * take precedence over libstb.so's in the fuzz binary only; the kquant
 * program and the normal tests link libstb.so as always. */
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
