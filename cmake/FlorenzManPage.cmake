# cmake -DHELP2MAN=… -DPROGRAM=… -DPAGE=florenz-run -DSUBCOMMAND=run -DSUMMARY=… -DVERSION=…
#       -DOUTPUT=…/florenz-run.1 -P FlorenzManPage.cmake
# One man page from a program's --help (SUBCOMMAND: `PROGRAM SUBCOMMAND --help`), by help2man,
# titled PAGE(1) with the NAME line "PAGE - SUMMARY".
set(include_file ${OUTPUT}.name)
file(WRITE ${include_file} "[NAME]\n${PAGE} \\- ${SUMMARY}\n")
set(help_option --help)
if(SUBCOMMAND)
  set(help_option "${SUBCOMMAND} --help")
endif()
execute_process(
  COMMAND ${HELP2MAN} --no-info --no-discard-stderr --version-string=${VERSION} --source=florenz
          --include=${include_file} --help-option=${help_option} --output=${OUTPUT}.tmp ${PROGRAM}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed for ${PAGE} (${rc})")
endif()
file(READ ${OUTPUT}.tmp page)
string(TOUPPER "${PAGE}" title)
string(REGEX REPLACE "\n\\.TH [^ ]+ " "\n.TH ${title} " page "${page}")
file(WRITE ${OUTPUT} "${page}")
file(REMOVE ${OUTPUT}.tmp ${include_file})
