# cmake --install: headers, the two static libraries, the CMake package (find_package(Gaon)
# → gaon::sdk, gaon::model) with its version file, and gaon.pc for pkg-config.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(GAON_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Gaon)
install(TARGETS gaon_model gaon_sdk EXPORT GaonTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT sdk
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/gaon DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT sdk FILES_MATCHING PATTERN "*.h")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/include/gaon/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gaon COMPONENT sdk)
install(EXPORT GaonTargets NAMESPACE gaon:: DESTINATION ${GAON_CMAKE_DIR} COMPONENT sdk)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/GaonConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/GaonConfig.cmake INSTALL_DESTINATION ${GAON_CMAKE_DIR})
# 0.x: a minor version may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/GaonConfigVersion.cmake
  VERSION ${GAON_SDK_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/GaonConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/GaonConfigVersion.cmake
  DESTINATION ${GAON_CMAKE_DIR} COMPONENT sdk)

configure_file(${CMAKE_CURRENT_LIST_DIR}/gaon.pc.in ${CMAKE_CURRENT_BINARY_DIR}/gaon.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/gaon.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT sdk)
