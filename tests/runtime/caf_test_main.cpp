// main() of the deterministic actor tests: CAF's own unit test runner, which
// caf/test/dsl.hpp builds on.
#include <caf/test/unit_test_impl.hpp>
