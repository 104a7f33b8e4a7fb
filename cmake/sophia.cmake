# Helpers shared by every module: one library per module, one way to add tests.

# sophia_add_module(NAME SOURCES... [DEPS targets...])
# Creates the static library `sophia_<NAME>` rooted at the repository top, so
# that path = include path = namespace (`runtime/wire/codec.hpp`).
function(sophia_add_module name)
  cmake_parse_arguments(arg "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(sophia_${name} STATIC ${arg_SOURCES})
  target_include_directories(sophia_${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(sophia_${name} PUBLIC ${arg_DEPS} PRIVATE ${arg_PRIVATE_DEPS})
  target_compile_options(sophia_${name} PRIVATE ${SOPHIA_WARNINGS})
endfunction()

# sophia_add_test(NAME SOURCES... DEPS targets... LABELS labels... [CAF])
# A doctest executable (or, with CAF, one using CAF's own test DSL) registered with ctest.
function(sophia_add_test name)
  cmake_parse_arguments(arg "CAF" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_DEPS})
  target_compile_options(${name} PRIVATE ${SOPHIA_WARNINGS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  if(arg_CAF)
    add_test(NAME ${name} COMMAND ${name} -r 300)
  else()
    target_link_libraries(${name} PRIVATE doctest::doctest)
    add_test(NAME ${name} COMMAND ${name})
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${arg_LABELS}" TIMEOUT ${arg_TIMEOUT}
    ENVIRONMENT "SOPHIA_BIN_DIR=${PROJECT_BINARY_DIR}/bin;SOPHIA_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
