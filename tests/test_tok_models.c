/* text: tok_models (written next). */
#include "test.h"

static void placeholder(void)
{
}

TEST_SUITE(tok_models, T(placeholder));
