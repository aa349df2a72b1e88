// module_support.h: the C source of the support unit linked into every
// module .so in place of libc (see module_support.cpp).
#pragma once

namespace lucet {

const char *module_support_source();

}  // namespace lucet
