// One GoogleTest program for every unit test of the core (PlatformIO's layout:
// a single test application directly in test/, with its own main()).
//
//   meter_tests                          the unit tests
//   meter_tests --payloads [vectors]     JSON lines of payloads the firmware wrote,
//                                        for tests/firmware/ (see payloads.cpp)
#include <gtest/gtest.h>

#include <cstring>
#include <iostream>

#include "payloads.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--payloads") == 0) {
    return dump_payloads(std::cout, argc > 2 ? argv[2] : "");
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
