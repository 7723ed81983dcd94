/* text: pre_tokenizers (written next). */
#include "test.h"

static void placeholder(void)
{
}

TEST_SUITE(pre_tokenizers, T(placeholder));
