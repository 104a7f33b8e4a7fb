// Multi-process integration test: real sophia-node processes on loopback
// ports chosen at run time, driven and observed through sophiactl, killed,
// frozen and reconfigured with signals.
//
// Every case starts its own cluster in a fresh temp dir (cluster.conf plus
// one log per node); a failing check prints the tail of every log, and the
// dir of a failed case is kept (set SOPHIA_KEEP_LOGS=1 to keep all of them).
// Bounds are generous on purpose: the test asserts behaviour, not speed
// (the benchmark measures detection latency).
//
// The cases are split by theme: membership_test.cpp (formation, a killed or
// frozen node, an idle cluster, SIGTERM) and calls_and_reload_test.cpp
// (calls, reload, config errors); harness.hpp/.cpp hold the cluster under
// test and register the doctest failure listener. This file only provides
// doctest's main.

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
