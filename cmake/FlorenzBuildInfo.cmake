# The facts `florenz --version` and each run's /config report (core/build_info.h): the versions
# of the libraries found by FlorenzDependencies, written into build/generated/
# build_info_config.h; and the git commit, rewritten at every build into
# build/generated/florenz_commit.cc (only when it changed) by the florenz_commit target, which
# only the programs compile (cli/CMakeLists.txt).
set(FLORENZ_BUILD_LIBTORCH "${Torch_VERSION}")
set(FLORENZ_BUILD_CUDA "")
set(FLORENZ_BUILD_NCCL "")
if(FLORENZ_HAVE_NCCL)
  set(FLORENZ_BUILD_CUDA "${CUDAToolkit_VERSION}")
  file(STRINGS "${NCCL_INCLUDE_DIR}/nccl.h" _florenz_nccl REGEX "^#define NCCL_(MAJOR|MINOR|PATCH) ")
  string(REGEX REPLACE ".*NCCL_MAJOR ([0-9]+).*NCCL_MINOR ([0-9]+).*NCCL_PATCH ([0-9]+).*" "\\1.\\2.\\3"
         FLORENZ_BUILD_NCCL "${_florenz_nccl}")
endif()
set(FLORENZ_BUILD_HDF5 "${HDF5_VERSION}")
set(FLORENZ_BUILD_CERES "")
if(FLORENZ_HAVE_FITTING)
  set(FLORENZ_BUILD_CERES "${Ceres_VERSION}")
endif()
# The MPI library's name and version from its mpi.h: "Open MPI 4.1.4", "MPICH 4.0".
set(FLORENZ_BUILD_MPI "MPI ${MPI_C_VERSION}")
if(EXISTS "${MPI_C_HEADER_DIR}/mpi.h")
  file(STRINGS "${MPI_C_HEADER_DIR}/mpi.h" _florenz_mpi
       REGEX "^#define (OMPI_(MAJOR|MINOR|RELEASE)_VERSION|MPICH_VERSION) ")
  if(_florenz_mpi MATCHES "OMPI_MAJOR_VERSION ([0-9]+).*OMPI_MINOR_VERSION ([0-9]+).*OMPI_RELEASE_VERSION ([0-9]+)")
    set(FLORENZ_BUILD_MPI "Open MPI ${CMAKE_MATCH_1}.${CMAKE_MATCH_2}.${CMAKE_MATCH_3}")
  elseif(_florenz_mpi MATCHES "MPICH_VERSION \"([^\"]+)\"")
    set(FLORENZ_BUILD_MPI "MPICH ${CMAKE_MATCH_1}")
  endif()
endif()
configure_file(${PROJECT_SOURCE_DIR}/core/build_info_config.h.in
               ${PROJECT_BINARY_DIR}/generated/build_info_config.h @ONLY)

set(FLORENZ_COMMIT_SOURCE ${PROJECT_BINARY_DIR}/generated/florenz_commit.cc)
set(_florenz_commit_command ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
    -DOUTPUT=${FLORENZ_COMMIT_SOURCE} -P ${PROJECT_SOURCE_DIR}/cmake/FlorenzCommit.cmake)
execute_process(COMMAND ${_florenz_commit_command})  # so that the file exists from the start
add_custom_target(florenz_commit COMMAND ${_florenz_commit_command}
                  BYPRODUCTS ${FLORENZ_COMMIT_SOURCE} VERBATIM)
