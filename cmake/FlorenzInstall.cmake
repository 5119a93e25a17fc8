# Installing florenz (issue 29): `cmake --install build --prefix P` and `make package` (CPack,
# a Debian package). Installed: bin/florenz and bin/florenz-tokenizer (florenz starts it from
# its own folder, /proc/self/exe), the example grids under share/florenz/grids/, the site
# profiles under share/florenz/profiles/, an Lmod module under share/florenz/modulefiles/, the
# docs under share/doc/florenz/ and man pages made from --help. Nothing installed names the source or build folder (-ffile-prefix-map,
# CMakeLists.txt; no build RPATH): tests/install/ checks both with the source tree hidden.
include(GNUInstallDirs)

# Libraries outside the system's folders (an upstream LibTorch, CUDA, NCCL) are found through
# RPATH in the installed programs, as they are in the build tree.
set_target_properties(florenz florenz-tokenizer PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
install(TARGETS florenz florenz-tokenizer RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/experiments/grids/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/florenz/grids FILES_MATCHING PATTERN "*.yaml")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/cluster/profiles/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/florenz/profiles FILES_MATCHING PATTERN "*.yaml")
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# An Lmod module for the prefix: `module use PREFIX/share/florenz/modulefiles; module load florenz`.
configure_file(${PROJECT_SOURCE_DIR}/cluster/modulefiles/florenz.lua.in
               ${PROJECT_BINARY_DIR}/modulefiles/florenz/${PROJECT_VERSION}.lua @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/modulefiles/florenz/${PROJECT_VERSION}.lua
        DESTINATION ${CMAKE_INSTALL_DATADIR}/florenz/modulefiles/florenz)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Man pages: florenz(1), florenz-<subcommand>(1) for each subcommand and florenz-tokenizer(1),
# made from each --help by Debian's help2man (cmake/FlorenzManPage.cmake).
set(FLORENZ_MAN_PAGES
  "florenz||scaling-law studies of systematic generalization in vision-language models"
  "florenz-validate|validate|check a grid and print its run table"
  "florenz-run|run|train every run of a grid into a results folder"
  "florenz-collect|collect|gather a results folder's final metrics into results.h5 and results.csv"
  "florenz-status|status|show every run of a results folder with its progress"
  "florenz-submit|submit|submit a grid to Slurm as requeueing batch jobs"
  "florenz-simulate|simulate|replay the scheduler on a grid and a cluster shape"
  "florenz-data|data|preview, export, index, inspect and tokenize a grid's data or a corpus")
if(FLORENZ_HAVE_FITTING)
  list(APPEND FLORENZ_MAN_PAGES
    "florenz-fit|fit|fit a scaling law to a results folder"
    "florenz-report|report|write the study report of a collected results folder")
endif()
find_program(FLORENZ_HELP2MAN help2man)
if(FLORENZ_HELP2MAN)
  set(man_dir ${PROJECT_BINARY_DIR}/man)
  set(pages "")
  foreach(entry ${FLORENZ_MAN_PAGES} "florenz-tokenizer||train a corpus's SentencePiece tokenizer (started by florenz)")
    string(REPLACE "|" ";" fields "${entry}")
    list(GET fields 0 page)
    list(GET fields 1 subcommand)
    list(GET fields 2 summary)
    set(program florenz)
    if(page STREQUAL "florenz-tokenizer")
      set(program florenz-tokenizer)
    endif()
    add_custom_command(OUTPUT ${man_dir}/${page}.1
      COMMAND ${CMAKE_COMMAND} -E make_directory ${man_dir}
      COMMAND ${CMAKE_COMMAND} -DHELP2MAN=${FLORENZ_HELP2MAN} -DPROGRAM=$<TARGET_FILE:${program}>
              -DPAGE=${page} -DSUBCOMMAND=${subcommand} -DSUMMARY=${summary}
              -DVERSION=${PROJECT_VERSION} -DOUTPUT=${man_dir}/${page}.1
              -P ${PROJECT_SOURCE_DIR}/cmake/FlorenzManPage.cmake
      DEPENDS ${program} ${PROJECT_SOURCE_DIR}/cmake/FlorenzManPage.cmake VERBATIM)
    list(APPEND pages ${man_dir}/${page}.1)
  endforeach()
  add_custom_target(florenz_man ALL DEPENDS ${pages})
  install(FILES ${pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "florenz: help2man not found, no man pages (scripts/install-deps installs it)")
  add_custom_target(florenz_man)
endif()

# What an install needs built: `make install` / `make package` build these, not the tests; and
# installing (cmake's install target, cpack's preinstall) builds nothing itself.
add_custom_target(florenz_programs DEPENDS florenz florenz-tokenizer florenz_man)
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# `make package`: build/florenz_<version>_amd64.deb. Its Depends are the Debian packages of the
# libraries the programs link (dpkg-shlibdeps) and PLplot's cairo driver, which PLplot loads at
# run time; libraries that no Debian package provides (CUDA, NCCL, an upstream LibTorch) are
# not declared: a package built against them needs the same installs where it is used.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME florenz)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "florenz developers <florenz@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "scaling-law studies of systematic generalization in vision-language models")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "plplot-driver-cairo")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "openmpi-bin")
set(private_dirs "")
foreach(library ${NCCL_LIBRARY} ${TORCH_LIBRARY})
  get_filename_component(dir "${library}" DIRECTORY)
  if(dir AND NOT dir MATCHES "^/usr/lib")
    list(APPEND private_dirs ${dir})
  endif()
endforeach()
if(FLORENZ_HAVE_NCCL)
  list(APPEND private_dirs ${CUDAToolkit_LIBRARY_DIR})
endif()
list(REMOVE_DUPLICATES private_dirs)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${private_dirs})
include(CPack)
