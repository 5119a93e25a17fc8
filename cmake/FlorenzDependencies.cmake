# Finds every dependency of florenz once, so each folder's CMakeLists only links targets.
# Debian 12 packages by default; any other install via CMAKE_PREFIX_PATH or Torch_DIR.

find_package(Threads REQUIRED)
find_package(MPI REQUIRED COMPONENTS C)
# florenz uses MPI's C API only; keep Open MPI's deprecated C++ bindings out of C++ files.
set_property(TARGET MPI::MPI_C APPEND PROPERTY
  INTERFACE_COMPILE_DEFINITIONS OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)
set(FLORENZ_HAVE_FITTING OFF)
if(NOT FLORENZ_PARALLEL_ONLY)
  find_package(yaml-cpp REQUIRED)
  find_package(HDF5 REQUIRED COMPONENTS C)
  find_package(CLI11 REQUIRED)
  find_package(nlohmann_json 3 REQUIRED)
  # The fitting tool's own dependencies. A GPU node that only trains may lack them: with
  # FLORENZ_WITH_FITTING=AUTO florenz then builds without fitting/ (`florenz fit` and `report`
  # say so), and the results are fitted on any machine that has them.
  if(NOT FLORENZ_WITH_FITTING STREQUAL "OFF")
    find_package(Eigen3 3.3 QUIET NO_MODULE)
    find_package(Ceres QUIET)
    find_package(PkgConfig QUIET)
    # PLplot through pkg-config: Debian's plplotConfig.cmake names every binding's export
    # file, including ones (Tcl, Qt, wx) whose packages are not installed, and so fails to load.
    if(PkgConfig_FOUND)
      pkg_check_modules(PLPLOT QUIET IMPORTED_TARGET plplot-c++ plplot)  # plplot: plsexit
    endif()
    if(Eigen3_FOUND AND Ceres_FOUND AND PLPLOT_FOUND)
      set(FLORENZ_HAVE_FITTING ON)
    elseif(FLORENZ_WITH_FITTING STREQUAL "ON")
      message(FATAL_ERROR "FLORENZ_WITH_FITTING=ON but Eigen3 (${Eigen3_FOUND}), Ceres "
                          "(${Ceres_FOUND}) or PLplot (${PLPLOT_FOUND}) was not found")
    else()
      message(STATUS "florenz: fitting tool OFF (Eigen3 ${Eigen3_FOUND}, Ceres ${Ceres_FOUND}, "
                     "PLplot ${PLPLOT_FOUND}): florenz fit and report are not built")
    endif()
  endif()
endif()

# LibTorch: Debian's 1.13 or an upstream 2.x (-DTorch_DIR=.../share/cmake/Torch).
find_package(Torch REQUIRED)
message(STATUS "florenz: LibTorch ${Torch_VERSION} from ${Torch_DIR}")
if(Torch_VERSION VERSION_GREATER_EQUAL 2.12 AND CMAKE_CXX_STANDARD LESS 20)
  message(STATUS "florenz: C++20, as LibTorch ${Torch_VERSION} requires")
  set(CMAKE_CXX_STANDARD 20)
endif()

# yaml-cpp 0.7 exports the plain target name; newer releases export yaml-cpp::yaml-cpp.
if(TARGET yaml-cpp::yaml-cpp)
  set(FLORENZ_YAML_TARGET yaml-cpp::yaml-cpp)
else()
  set(FLORENZ_YAML_TARGET yaml-cpp)
endif()

# HDF5 as one imported target, whatever FindHDF5 flavour is in use.
if(NOT FLORENZ_PARALLEL_ONLY AND NOT TARGET florenz::hdf5)
  add_library(florenz::hdf5 INTERFACE IMPORTED)
  target_include_directories(florenz::hdf5 INTERFACE ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS})
  target_link_libraries(florenz::hdf5 INTERFACE ${HDF5_C_LIBRARIES} ${HDF5_LIBRARIES})
  target_compile_definitions(florenz::hdf5 INTERFACE ${HDF5_DEFINITIONS})
endif()

# LibTorch as one imported target with its compile flags (Debian's sets the old C++11 ABI flag
# only when needed; upstream pre-cxx11 builds need -D_GLIBCXX_USE_CXX11_ABI=0).
if(NOT TARGET florenz::torch)
  add_library(florenz::torch INTERFACE IMPORTED)
  target_link_libraries(florenz::torch INTERFACE ${TORCH_LIBRARIES})
  separate_arguments(_florenz_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(florenz::torch INTERFACE ${_florenz_torch_flags})
endif()

# The corpus reader's libraries (workers/data/shards): libpng and libjpeg-turbo's TurboJPEG API
# for images, SentencePiece for text. Found by path (CMAKE_PREFIX_PATH works, as for the packages scripts/gpu-deps carries).
if(NOT FLORENZ_PARALLEL_ONLY AND NOT TARGET florenz::turbojpeg)
  find_package(PNG REQUIRED)
  find_path(FLORENZ_TURBOJPEG_INCLUDE turbojpeg.h REQUIRED)
  find_library(FLORENZ_TURBOJPEG_LIBRARY NAMES turbojpeg REQUIRED)
  add_library(florenz::turbojpeg INTERFACE IMPORTED)
  target_include_directories(florenz::turbojpeg INTERFACE ${FLORENZ_TURBOJPEG_INCLUDE})
  target_link_libraries(florenz::turbojpeg INTERFACE ${FLORENZ_TURBOJPEG_LIBRARY})
  # SentencePiece 0.1.97: the tokenizer of a corpus (training and encoding).
  find_path(FLORENZ_SENTENCEPIECE_INCLUDE sentencepiece_processor.h REQUIRED)
  find_library(FLORENZ_SENTENCEPIECE_LIBRARY NAMES sentencepiece REQUIRED)
  find_library(FLORENZ_SENTENCEPIECE_TRAIN_LIBRARY NAMES sentencepiece_train REQUIRED)
  add_library(florenz::sentencepiece INTERFACE IMPORTED)
  target_include_directories(florenz::sentencepiece INTERFACE ${FLORENZ_SENTENCEPIECE_INCLUDE})
  target_link_libraries(florenz::sentencepiece INTERFACE ${FLORENZ_SENTENCEPIECE_TRAIN_LIBRARY}
                        ${FLORENZ_SENTENCEPIECE_LIBRARY})
endif()

# PLplot's C++ binding; the cairo driver (PNG/SVG output) is loaded by PLplot at run time.
set(FLORENZ_PLPLOT_TARGET PkgConfig::PLPLOT)

# NCCL backend: CUDA toolkit + NCCL headers and library.
set(FLORENZ_HAVE_NCCL OFF)
if(NOT FLORENZ_WITH_NCCL STREQUAL "OFF")
  if(NOT CUDAToolkit_ROOT AND EXISTS /usr/local/cuda)
    set(CUDAToolkit_ROOT /usr/local/cuda)
  endif()
  find_package(CUDAToolkit QUIET)
  if(CUDAToolkit_FOUND)
    find_path(NCCL_INCLUDE_DIR nccl.h
      HINTS ${NCCL_ROOT} ENV NCCL_ROOT ${CUDAToolkit_INCLUDE_DIRS} ${CUDAToolkit_LIBRARY_ROOT}
      PATH_SUFFIXES include)
    find_library(NCCL_LIBRARY nccl
      HINTS ${NCCL_ROOT} ENV NCCL_ROOT ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}
      PATH_SUFFIXES lib lib64)
  endif()
  if(CUDAToolkit_FOUND AND NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
    set(FLORENZ_HAVE_NCCL ON)
    add_library(florenz::nccl INTERFACE IMPORTED)
    target_include_directories(florenz::nccl INTERFACE ${NCCL_INCLUDE_DIR})
    target_link_libraries(florenz::nccl INTERFACE ${NCCL_LIBRARY} CUDA::cudart)
    message(STATUS "florenz: NCCL backend ON (${NCCL_LIBRARY}, CUDA ${CUDAToolkit_VERSION})")
  elseif(FLORENZ_WITH_NCCL STREQUAL "ON")
    message(FATAL_ERROR "FLORENZ_WITH_NCCL=ON but the CUDA toolkit or NCCL was not found "
                        "(set CUDAToolkit_ROOT and NCCL_ROOT)")
  else()
    message(STATUS "florenz: NCCL backend OFF (CUDA toolkit or NCCL not found)")
  endif()
endif()
