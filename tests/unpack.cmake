# Unpacks every SRC/*.tar.xz into DEST (ctest fixture setup).
file(MAKE_DIRECTORY "${DEST}")
file(GLOB archives "${SRC}/*.tar.xz")
foreach(archive ${archives})
  execute_process(COMMAND "${CMAKE_COMMAND}" -E tar xf "${archive}"
                  WORKING_DIRECTORY "${DEST}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot unpack ${archive}")
  endif()
endforeach()
