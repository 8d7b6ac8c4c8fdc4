# Installs the built mcpkeep into a temporary prefix, then configures, builds
# and runs tests/consumer against it with find_package(mcpkeep), and again
# with only pkg-config. Run with -DBUILD_DIR=... -DWORK_DIR=...
file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix"
                COMMAND_ERROR_IS_FATAL ANY OUTPUT_QUIET)
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}" -B "${WORK_DIR}/build"
                "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix" COMMAND_ERROR_IS_FATAL ANY OUTPUT_QUIET)
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build"
                COMMAND_ERROR_IS_FATAL ANY OUTPUT_QUIET)
execute_process(COMMAND "${WORK_DIR}/build/consumer" "${WORK_DIR}/consumer.db"
                COMMAND_ERROR_IS_FATAL ANY)
# The same program built with only the installed pkg-config file.
file(GLOB pc_dirs "${WORK_DIR}/prefix/*/pkgconfig" "${WORK_DIR}/prefix/*/*/pkgconfig")
execute_process(COMMAND "${CMAKE_COMMAND}" -E env "PKG_CONFIG_PATH=${pc_dirs}" pkg-config --cflags --libs mcpkeep
                OUTPUT_VARIABLE pc_flags OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
execute_process(COMMAND c++ -std=c++17 "${CMAKE_CURRENT_LIST_DIR}/main.cc" -o "${WORK_DIR}/consumer-pc" ${pc_flags}
                COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND "${WORK_DIR}/consumer-pc" "${WORK_DIR}/consumer-pc.db" COMMAND_ERROR_IS_FATAL ANY)
file(REMOVE_RECURSE "${WORK_DIR}")
