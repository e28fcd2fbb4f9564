# masa_layer(NAME SOURCES ... [INCLUDE dir...] [PRIVATE_INCLUDE dir...]
#            [DEPS lib...] [PRIVATE_DEPS lib...])
#
# One layer of the tree: a static library whose public include directory is
# its own folder, linked to the layers below it that it may use (DEPS) and
# nothing else. A layer sees only the headers of what it links, so including
# another layer's header is a compile error; and, unless MASA_FUZZ, a shared
# "layer check" library links the layer's objects alone with its declared
# dependencies and -Wl,--no-undefined, so calling a function of a layer it
# may not use is a link error (README, "Architecture").
function(masa_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;INCLUDE;PRIVATE_INCLUDE;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${L_SOURCES})
  target_include_directories(${name} PUBLIC ${L_INCLUDE} PRIVATE ${L_PRIVATE_INCLUDE})
  target_link_libraries(${name} PUBLIC masa_flags ${L_DEPS} PRIVATE ${L_PRIVATE_DEPS})
  if(NOT MASA_FUZZ)
    add_library(${name}_layercheck SHARED $<TARGET_OBJECTS:${name}>)
    target_link_libraries(${name}_layercheck PRIVATE masa_flags ${L_DEPS} ${L_PRIVATE_DEPS})
    target_link_options(${name}_layercheck PRIVATE -Wl,--no-undefined)
  endif()
endfunction()
