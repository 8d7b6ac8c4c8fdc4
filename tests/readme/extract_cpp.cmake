# Writes each ```cpp block of README.md to OUT_DIR/readme_example_N.cc (N
# from 1, in order), so the build compiles every C++ example the README
# shows. Run with -DREADME=... -DOUT_DIR=... -DEXPECTED=<number of blocks>.
# (Blocks are cut with FIND and SUBSTRING: a CMake list would split the
# code at its semicolons.)
cmake_minimum_required(VERSION 3.25)
file(READ "${README}" rest)
set(n 0)
while(TRUE)
  string(FIND "${rest}" "```cpp\n" start)
  if(start EQUAL -1)
    break()
  endif()
  math(EXPR start "${start} + 7")
  string(SUBSTRING "${rest}" ${start} -1 rest)
  string(FIND "${rest}" "```" end)
  string(SUBSTRING "${rest}" 0 ${end} code)
  string(SUBSTRING "${rest}" ${end} -1 rest)
  math(EXPR n "${n} + 1")
  # Rewritten only when changed, so an unchanged example is not rebuilt.
  file(WRITE "${OUT_DIR}/readme_example_${n}.cc.new" "${code}")
  file(COPY_FILE "${OUT_DIR}/readme_example_${n}.cc.new" "${OUT_DIR}/readme_example_${n}.cc" ONLY_IF_DIFFERENT)
  file(REMOVE "${OUT_DIR}/readme_example_${n}.cc.new")
endwhile()
if(NOT n EQUAL EXPECTED)
  message(FATAL_ERROR "README.md has ${n} C++ blocks; tests/CMakeLists.txt builds ${EXPECTED}")
endif()
