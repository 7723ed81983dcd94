/* text: normalizers (written next). */
#include "test.h"

static void placeholder(void)
{
}

TEST_SUITE(normalizers, T(placeholder));
