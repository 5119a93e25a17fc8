# The libFuzzer target needs clang; florenz itself builds with any C++17 compiler. So fuzz/
# is its own CMake project, built with clang as an external project of the main build, and
# run for 60 s as the CTest test `fuzz_grid_spec` (label `fuzz`).
if(NOT FLORENZ_BUILD_FUZZ)
  return()
endif()
find_program(FLORENZ_CLANGXX NAMES clang++ clang++-14)
if(NOT FLORENZ_CLANGXX)
  message(STATUS "florenz: clang++ not found, the grid fuzzer is not built")
  return()
endif()
set(FLORENZ_FUZZ_SECONDS 60 CACHE STRING "How long `make test` fuzzes the grid loader")
include(ExternalProject)
ExternalProject_Add(grid_fuzzer_build
  SOURCE_DIR ${PROJECT_SOURCE_DIR}/fuzz
  BINARY_DIR ${PROJECT_BINARY_DIR}/fuzz
  CMAKE_ARGS -DCMAKE_CXX_COMPILER=${FLORENZ_CLANGXX} -DCMAKE_BUILD_TYPE=RelWithDebInfo
  INSTALL_COMMAND ""
  BUILD_ALWAYS ON
  USES_TERMINAL_BUILD ON)
add_test(NAME fuzz_grid_spec
  COMMAND ${PROJECT_SOURCE_DIR}/fuzz/run-grid-fuzzer ${PROJECT_BINARY_DIR}/fuzz/grid_fuzzer
          ${PROJECT_SOURCE_DIR} ${FLORENZ_FUZZ_SECONDS})
set_tests_properties(fuzz_grid_spec PROPERTIES LABELS fuzz TIMEOUT 300)
