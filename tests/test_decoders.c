/* text: decoders (written next). */
#include "test.h"

static void placeholder(void)
{
}

TEST_SUITE(decoders, T(placeholder));
